package host

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The metrics every event touches (received, succeeded, in flight and the
// duration histogram) are not prometheus vectors: with two cores
// dispatching, their shared atomics bounced between the cores and cost
// the host a quarter of a gRPC Stream trigger's throughput. Each trigger
// counts them in shards instead, one chosen by the event's slot, so that
// two functions running at once rarely touch the same cache line; in
// flight is read from the slots themselves. A collector adds the shards
// up when the registry is scraped.

// durationBuckets are the upper bounds, in seconds, of MetricDuration.
var durationBuckets = []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5, 10, 30, 60}

// bucketNanos are durationBuckets in nanoseconds, for the hot path.
var bucketNanos = func() []int64 {
	b := make([]int64, len(durationBuckets))
	for i, s := range durationBuckets {
		b[i] = int64(s * float64(time.Second))
	}
	return b
}()

// statShards is how many shards a trigger's counts are spread over (a
// power of two).
const statShards = 16

// shard is one trigger's counts for the events whose slot maps to it.
// Buckets are not cumulative: bucket i counts observations above bound
// i-1 and up to bound i, the last one those above every bound.
type shard struct {
	received, succeeded atomic.Uint64
	sumNanos            atomic.Uint64
	buckets             [14]atomic.Uint64 // len(durationBuckets) + 1
	_                   [64]byte          // keep neighbours off this cache line
}

// triggerStats are one trigger's sharded counts.
type triggerStats struct{ shards [statShards]shard }

// at returns the shard of slot; -1 (no slot: a refusal) maps to the last.
func (s *triggerStats) at(slot int32) *shard { return &s.shards[uint32(slot)&(statShards-1)] }

// observe records one Dispatch that took d.
func (sh *shard) observe(d time.Duration) {
	n := int64(d)
	i := 0
	for i < len(bucketNanos) && n > bucketNanos[i] {
		i++
	}
	sh.buckets[i].Add(1)
	if n > 0 {
		sh.sumNanos.Add(uint64(n))
	}
}

// slotState is what a slot's running function shows to Ready and to the
// in-flight metric, alone on its cache line.
type slotState struct {
	start atomic.Int64 // mark(start) of the running function, or 0
	trig  atomic.Pointer[Trigger]
	_     [48]byte
}

// begin marks slot as running t's function since start.
func (h *Host) begin(slot int32, t *Trigger, start time.Duration) {
	s := &h.slots[slot]
	if s.trig.Load() != t {
		s.trig.Store(t)
	}
	s.start.Store(mark(start))
}

// end marks slot as free of a running function.
func (h *Host) end(slot int32) { h.slots[slot].start.Store(0) }

// hotDescs describe the sharded metrics.
var (
	descReceived = prometheus.NewDesc(MetricReceived, "Events passed to Dispatch, counted once admitted or refused.", labels, nil)
	descSucceed  = prometheus.NewDesc(MetricSucceeded, "Events the function handled without error.", labels, nil)
	descInFlight = prometheus.NewDesc(MetricInFlight, "Functions running, late finishers included.", labels, nil)
	descDuration = prometheus.NewDesc(MetricDuration, "Time from Dispatch to its outcome: queueing, every attempt and backoff.", labels, nil)
)

// collector exposes the sharded metrics of every host registered on one
// registerer; hosts sharing it are told apart by the function label, and
// counts of the same trigger and function are added together.
type collector struct {
	mu    sync.Mutex
	hosts map[*Host]struct{}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descReceived
	ch <- descSucceed
	ch <- descInFlight
	ch <- descDuration
}

type statKey struct{ trigger, function string }

type statSum struct {
	received, succeeded, inFlight, sumNanos uint64
	buckets                                 [14]uint64
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	sums := map[statKey]*statSum{}
	var order []statKey
	get := func(k statKey) *statSum {
		s, ok := sums[k]
		if !ok {
			s = &statSum{}
			sums[k] = s
			order = append(order, k)
		}
		return s
	}
	c.mu.Lock()
	hosts := make([]*Host, 0, len(c.hosts))
	for h := range c.hosts {
		hosts = append(hosts, h)
	}
	c.mu.Unlock()
	for _, h := range hosts {
		fn := h.cfg.functionName
		h.triggersMu.Lock()
		for name, t := range h.triggers {
			s := get(statKey{name, fn})
			for i := range t.stats.shards {
				sh := &t.stats.shards[i]
				s.received += sh.received.Load()
				s.succeeded += sh.succeeded.Load()
				s.sumNanos += sh.sumNanos.Load()
				for b := range sh.buckets {
					s.buckets[b] += sh.buckets[b].Load()
				}
			}
		}
		h.triggersMu.Unlock()
		for i := range h.slots {
			if st := &h.slots[i]; st.start.Load() != 0 {
				if t := st.trig.Load(); t != nil {
					get(statKey{t.name, fn}).inFlight++
				}
			}
		}
	}
	for _, k := range order {
		s := sums[k]
		ch <- prometheus.MustNewConstMetric(descReceived, prometheus.CounterValue, float64(s.received), k.trigger, k.function)
		ch <- prometheus.MustNewConstMetric(descSucceed, prometheus.CounterValue, float64(s.succeeded), k.trigger, k.function)
		ch <- prometheus.MustNewConstMetric(descInFlight, prometheus.GaugeValue, float64(s.inFlight), k.trigger, k.function)
		cum := make(map[float64]uint64, len(durationBuckets))
		var n uint64
		for i, le := range durationBuckets {
			n += s.buckets[i]
			cum[le] = n
		}
		n += s.buckets[len(durationBuckets)] // the count: every bucket, +Inf's too
		ch <- prometheus.MustNewConstHistogram(descDuration, n, float64(s.sumNanos)/float64(time.Second), cum, k.trigger, k.function)
	}
}

// registerCollector registers a collector for h's sharded metrics on r,
// or joins the one another host registered there.
func registerCollector(r prometheus.Registerer, h *Host) (*collector, error) {
	c := &collector{hosts: map[*Host]struct{}{}}
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		existing, ok := c, false
		if errors.As(err, &are) {
			existing, ok = are.ExistingCollector.(*collector)
		}
		if !ok {
			return nil, err
		}
		c = existing
	}
	c.mu.Lock()
	c.hosts[h] = struct{}{}
	c.mu.Unlock()
	return c, nil
}
