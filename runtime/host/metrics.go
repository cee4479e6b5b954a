package host

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. Every metric has the labels trigger and function.
const (
	MetricReceived     = "ce_host_events_received_total"
	MetricSucceeded    = "ce_host_events_succeeded_total"
	MetricFailed       = "ce_host_events_failed_total"
	MetricRetried      = "ce_host_retries_total"
	MetricDeadLettered = "ce_host_events_dead_lettered_total"
	MetricRejected     = "ce_host_events_rejected_total"
	MetricOverloaded   = "ce_host_events_overloaded_total"
	MetricUnavailable  = "ce_host_events_unavailable_total"
	MetricDuplicates   = "ce_host_events_duplicate_total"
	MetricLate         = "ce_host_late_finishers_total"
	MetricSinkErrors   = "ce_host_sink_errors_total"
	MetricInFlight     = "ce_host_in_flight"
	MetricQueued       = "ce_host_queue_depth"
	MetricDuration     = "ce_host_dispatch_duration_seconds"
)

var labels = []string{"trigger", "function"}

// metrics are the host's vectors; a [Trigger] resolves its children once.
// The metrics every event touches are sharded instead (stats.go).
type metrics struct {
	failed, retried, deadLettered, rejected,
	overloaded, unavailable, duplicates, late *prometheus.CounterVec
	sinkErrors *prometheus.CounterVec // labels + "sink" (reply, deadletter)
	queued     *prometheus.GaugeVec
	registerer prometheus.Registerer
	gatherer   prometheus.Gatherer
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &metrics{
		failed:       counter(MetricFailed, "Events whose every attempt failed (dead-lettered or not)."),
		retried:      counter(MetricRetried, "Attempts after a failed one."),
		deadLettered: counter(MetricDeadLettered, "Failed events the dead-letter sink took."),
		rejected:     counter(MetricRejected, "Events the function rejected (binding.ErrRejected); never retried."),
		overloaded:   counter(MetricOverloaded, "Events refused because every slot was busy and the queue full."),
		unavailable:  counter(MetricUnavailable, "Events refused because the host was draining."),
		duplicates:   counter(MetricDuplicates, "Events acknowledged without a call because their (source, id) was handled within the dedupe window."),
		late:         counter(MetricLate, "Functions that returned after their event had timed out."),
		sinkErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricSinkErrors, Help: "Failed sends to reply and dead-letter sinks.",
		}, append(labels[:2:2], "sink")),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricQueued, Help: "Dispatch calls waiting for a slot or their partition key.",
		}, labels),
	}
	if r == nil {
		r = prometheus.NewRegistry()
	}
	m.registerer = r
	m.gatherer, _ = r.(prometheus.Gatherer)
	var err error
	reg := func(c prometheus.Collector) prometheus.Collector {
		if e := r.Register(c); e != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(e, &are) {
				return are.ExistingCollector
			}
			err = errors.Join(err, e)
		}
		return c
	}
	for _, v := range []**prometheus.CounterVec{&m.failed, &m.retried,
		&m.deadLettered, &m.rejected, &m.overloaded, &m.unavailable, &m.duplicates, &m.late, &m.sinkErrors} {
		if c, ok := reg(*v).(*prometheus.CounterVec); ok {
			*v = c
		}
	}
	if c, ok := reg(m.queued).(*prometheus.GaugeVec); ok {
		m.queued = c
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// triggerMetrics are one trigger's resolved children: counting an event
// is an atomic add, with no label lookup.
type triggerMetrics struct {
	failed, retried, deadLettered, rejected,
	overloaded, unavailable, duplicates, late prometheus.Counter
	replyErrors, deadLetterErrors prometheus.Counter
	queued                        prometheus.Gauge
}

func (m *metrics) forTrigger(trigger, fn string) triggerMetrics {
	return triggerMetrics{
		failed:           m.failed.WithLabelValues(trigger, fn),
		retried:          m.retried.WithLabelValues(trigger, fn),
		deadLettered:     m.deadLettered.WithLabelValues(trigger, fn),
		rejected:         m.rejected.WithLabelValues(trigger, fn),
		overloaded:       m.overloaded.WithLabelValues(trigger, fn),
		unavailable:      m.unavailable.WithLabelValues(trigger, fn),
		duplicates:       m.duplicates.WithLabelValues(trigger, fn),
		late:             m.late.WithLabelValues(trigger, fn),
		replyErrors:      m.sinkErrors.WithLabelValues(trigger, fn, "reply"),
		deadLetterErrors: m.sinkErrors.WithLabelValues(trigger, fn, "deadletter"),
		queued:           m.queued.WithLabelValues(trigger, fn),
	}
}
