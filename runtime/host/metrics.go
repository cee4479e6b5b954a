package host

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the host's Prometheus collectors, labelled by trigger and
// function.
type metrics struct {
	reg                                                                               prometheus.Registerer
	gatherer                                                                          prometheus.Gatherer
	received, succeeded, failed, retried, deadLettered, rejected, overloaded, refused *prometheus.CounterVec
	late, replyFailed                                                                 *prometheus.CounterVec
	inFlight                                                                          *prometheus.GaugeVec
	latency                                                                           *prometheus.HistogramVec
}

// series are one trigger's resolved metrics: no label lookup per event.
type series struct {
	received, succeeded, failed, retried, deadLettered, rejected, overloaded, refused prometheus.Counter
	late, replyFailed                                                                 prometheus.Counter
	inFlight                                                                          prometheus.Gauge
	latency                                                                           prometheus.Observer
}

var labels = []string{"trigger", "function"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{reg: reg}
	if reg == nil {
		r := prometheus.NewRegistry()
		m.reg, m.gatherer = r, r
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		m.gatherer = g
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "openevents", Subsystem: "runtime", Name: name, Help: help}, labels)
	}
	m.received = counter("events_received_total", "Events handed to the host by a trigger.")
	m.succeeded = counter("events_succeeded_total", "Attempts in which the function succeeded.")
	m.failed = counter("events_failed_total", "Attempts in which the function failed (error, panic or timeout).")
	m.retried = counter("events_retried_total", "Retries after a failed attempt.")
	m.deadLettered = counter("events_dead_lettered_total", "Events handed to the dead-letter sink after their last attempt.")
	m.rejected = counter("events_rejected_total", "Events the function refused for good (binding.ErrRejected).")
	m.overloaded = counter("events_overloaded_total", "Events refused because every slot was busy and the queue full.")
	m.refused = counter("events_refused_draining_total", "Events refused while draining.")
	m.late = counter("functions_late_total", "Functions that returned after their timeout.")
	m.replyFailed = counter("reply_sink_failures_total", "Reply events a reply sink failed to take.")
	m.inFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "openevents", Subsystem: "runtime", Name: "functions_in_flight", Help: "Functions running now."}, labels)
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "openevents", Subsystem: "runtime", Name: "function_duration_seconds",
		Help: "Time one attempt of the function took.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, labels)
	for _, c := range []prometheus.Collector{m.received, m.succeeded, m.failed, m.retried, m.deadLettered, m.rejected,
		m.overloaded, m.refused, m.late, m.replyFailed, m.inFlight, m.latency} {
		if err := m.reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("%w: metrics already registered (one Host per registry): %w", ErrConfig, err)
			}
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) series(trigger, function string) series {
	l := prometheus.Labels{"trigger": trigger, "function": function}
	return series{
		received: m.received.With(l), succeeded: m.succeeded.With(l), failed: m.failed.With(l),
		retried: m.retried.With(l), deadLettered: m.deadLettered.With(l), rejected: m.rejected.With(l),
		overloaded: m.overloaded.With(l), refused: m.refused.With(l), late: m.late.With(l),
		replyFailed: m.replyFailed.With(l), inFlight: m.inFlight.With(l), latency: m.latency.With(l),
	}
}

// Gatherer returns the registry the host's metrics are in, when it can
// be read (always with the default Registerer).
func (h *Host) Gatherer() prometheus.Gatherer { return h.m.gatherer }
