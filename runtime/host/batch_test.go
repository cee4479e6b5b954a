package host_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/host"
)

func batchOf(ids ...string) []event.Event {
	out := make([]event.Event, len(ids))
	for i, id := range ids {
		out[i] = *newEvent(id)
	}
	return out
}

// Each event of a batch gets its own outcome, in order; skipped events
// are left alone; the metrics count every event.
func TestDispatchBatchOutcomes(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var mu sync.Mutex
			var order []string
			h, reg := newHost(t, func(_ context.Context, e *event.Event) (*event.Event, error) {
				mu.Lock()
				order = append(order, strings.Clone(e.ID())) // a worker reuses the event's buffers
				mu.Unlock()
				switch e.ID() {
				case "bad":
					return nil, fmt.Errorf("no: %w", binding.ErrRejected)
				case "flaky":
					return nil, errors.New("down")
				}
				return nil, nil
			}, m.opt, host.WithAttempts(2), host.WithBackoff(time.Millisecond, time.Millisecond))
			tr := h.Trigger("b")
			events := batchOf("a", "bad", "skipped", "flaky", "z")
			errs := make([]error, len(events))
			skip := errors.New("refused by the transport")
			errs[2] = skip
			tr.DispatchBatch(context.Background(), events, errs)
			if errs[0] != nil || errs[4] != nil {
				t.Errorf("good events: %v, %v; want nil", errs[0], errs[4])
			}
			if !errors.Is(errs[1], binding.ErrRejected) {
				t.Errorf("rejected event: %v", errs[1])
			}
			if !errors.Is(errs[2], skip) {
				t.Errorf("skipped event's outcome changed to %v", errs[2])
			}
			var fe *host.FailedError
			if !errors.As(errs[3], &fe) || fe.Attempts != 2 {
				t.Errorf("failing event: %v, want a FailedError after 2 attempts", errs[3])
			}
			want := []string{"a", "bad", "flaky", "flaky", "z"}
			if fmt.Sprint(order) != fmt.Sprint(want) {
				t.Errorf("calls %v, want %v", order, want)
			}
			if got := metric(t, reg, host.MetricReceived, "b"); got != 4 {
				t.Errorf("%s = %v, want 4", host.MetricReceived, got)
			}
			if got := metric(t, reg, host.MetricSucceeded, "b"); got != 2 {
				t.Errorf("%s = %v, want 2", host.MetricSucceeded, got)
			}
		})
	}
}

// A batch takes one slot: with every slot busy and no queue the whole
// batch is refused as overloaded, and once draining as unavailable.
func TestDispatchBatchRefused(t *testing.T) {
	g := newGate(4)
	h, reg := newHost(t, g.call, host.WithConcurrency(1), host.WithQueueSize(0), host.WithTimeout(0))
	tr := h.Trigger("b")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = tr.Dispatch(context.Background(), newEvent("holder"))
	}()
	<-g.started
	events := batchOf("x", "y")
	errs := make([]error, 2)
	tr.DispatchBatch(context.Background(), events, errs)
	for i, err := range errs {
		if !errors.Is(err, host.ErrOverloaded) {
			t.Errorf("event %d with every slot busy: %v, want ErrOverloaded", i, err)
		}
	}
	if got := metric(t, reg, host.MetricOverloaded, "b"); got != 2 {
		t.Errorf("%s = %v, want 2", host.MetricOverloaded, got)
	}
	g.open()
	<-done
	if err := h.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs = make([]error, 2)
	tr.DispatchBatch(context.Background(), events, errs)
	for i, err := range errs {
		if !errors.Is(err, host.ErrDraining) {
			t.Errorf("event %d while draining: %v, want ErrDraining", i, err)
		}
	}
}

// TestDispatchBatchAllocations: a batch allocates nothing without a
// timeout, and one context per event with a cooperative one.
func TestDispatchBatchAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts; run without -race")
	}
	for _, bc := range []struct {
		name   string
		opt    host.Option
		budget float64
	}{{"inline", host.WithTimeout(0), 0}, {"cooperative", cooperative(time.Minute), 4}} {
		t.Run(bc.name, func(t *testing.T) {
			tr := benchHost(t, bc.opt)
			events := batchOf("1", "2", "3", "4")
			errs := make([]error, len(events))
			n := testing.AllocsPerRun(500, func() {
				clear(errs)
				tr.DispatchBatch(context.Background(), events, errs)
			})
			if n > bc.budget {
				t.Errorf("DispatchBatch allocates %v times per batch of 4, budget %v", n, bc.budget)
			}
		})
	}
}

// BenchmarkDispatchBatch is BenchmarkDispatch's events in batches of
// 100, the gRPC Stream's default, reported per event.
func BenchmarkDispatchBatch(b *testing.B) {
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	for _, bc := range []struct {
		name string
		opt  host.Option
	}{{"inline", host.WithTimeout(0)}, {"cooperative", cooperative(time.Second)}} {
		b.Run(bc.name, func(b *testing.B) {
			tr := benchHost(b, bc.opt)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				events := batchOf(ids...)
				errs := make([]error, len(events))
				for pb.Next() {
					clear(errs)
					tr.DispatchBatch(context.Background(), events, errs)
				}
			})
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/event")
		})
	}
}
