package host_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trigger"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The entry point fits both interfaces triggers call.
var (
	_ binding.Handler    = (*host.Trigger)(nil)
	_ trigger.Dispatcher = (*host.Trigger)(nil)
)

func newEvent(id string) *event.Event {
	e := event.New(id, "/test", "com.example.test")
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"n":1}`))
	return &e
}

// newHost builds a host on a registry of the test's own and closes it at
// the end, after a drain so no function outlives the test.
func newHost(t *testing.T, fn func(context.Context, *event.Event) (*event.Event, error), opts ...host.Option) (*host.Host, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	h, err := host.New(funcOf(fn), append([]host.Option{host.WithMetrics(reg)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.Drain(ctx); err != nil {
			t.Errorf("drain at cleanup: %v", err)
		}
		h.Close()
	})
	return h, reg
}

type funcOf func(context.Context, *event.Event) (*event.Event, error)

func (f funcOf) Call(ctx context.Context, e *event.Event) (*event.Event, error) { return f(ctx, e) }

// metric reads one series of the host's metrics.
func metric(t *testing.T, reg *prometheus.Registry, name, trig string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0 // over every series of the trigger (sink errors have a sink label too)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "trigger" && l.GetValue() == trig {
					switch {
					case m.Counter != nil:
						sum += m.Counter.GetValue()
					case m.Gauge != nil:
						sum += m.Gauge.GetValue()
					case m.Histogram != nil:
						sum += float64(m.Histogram.GetSampleCount())
					}
				}
			}
		}
	}
	return sum
}

// waitFor polls cond until it holds; a condition, not a sleep, is what
// the test waits for, and the bound only stops a broken test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// gate is a function that reports each call and blocks until released
// (or, when honour is set, until its context ends).
type gate struct {
	started chan string // the ids of calls that began
	release chan struct{}
	honour  bool
	mu      sync.Mutex
	ctxErrs []error // ctx.Err() of each call when it returned
}

func newGate(buf int) *gate {
	return &gate{started: make(chan string, buf), release: make(chan struct{})}
}

func (g *gate) call(ctx context.Context, e *event.Event) (*event.Event, error) {
	g.started <- strings.Clone(e.ID()) // e is valid only during the call
	var done <-chan struct{}
	if g.honour {
		done = ctx.Done()
	}
	select {
	case <-g.release:
	case <-done:
	}
	g.mu.Lock()
	g.ctxErrs = append(g.ctxErrs, ctx.Err())
	g.mu.Unlock()
	return nil, nil
}

func (g *gate) open() { close(g.release) }

// memSink keeps clones of what it is sent; err makes it fail.
type memSink struct {
	mu     sync.Mutex
	events []event.Event
	err    error
}

func (s *memSink) Send(_ context.Context, e *event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.events = append(s.events, e.Clone())
	return nil
}

func (s *memSink) Close(context.Context) error { return nil }

func (s *memSink) got() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.events...)
}

var errBoom = errors.New("boom")
