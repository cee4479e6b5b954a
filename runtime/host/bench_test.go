package host_test

import (
	"context"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trace"
)

func noop(context.Context, *event.Event) (*event.Event, error) { return nil, nil }

// benchHost is a host without a registry of the test's own or cleanup,
// for benchmarks and allocation counts.
func benchHost(tb testing.TB, opts ...host.Option) *host.Trigger {
	tb.Helper()
	h, err := host.New(funcOf(noop), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Drain(context.Background()); h.Close() })
	return h.Trigger("bench")
}

// BenchmarkDispatch measures one event through the host with a noop
// function. "direct" is the baseline: the same function called without
// the host.
func BenchmarkDispatch(b *testing.B) {
	ctx := context.Background()
	e := newEvent("1")
	b.Run("direct", func(b *testing.B) {
		fn := funcOf(noop)
		var f interface {
			Call(context.Context, *event.Event) (*event.Event, error)
		} = fn
		b.ReportAllocs()
		for b.Loop() {
			_, _ = f.Call(ctx, e)
		}
	})
	for _, bc := range []struct {
		name string
		opts []host.Option
	}{
		{"inline", []host.Option{host.WithTimeout(0), host.WithConcurrency(1)}},
		{"timeout", []host.Option{host.WithTimeout(time.Second), host.WithConcurrency(1)}},
		{"cooperative", []host.Option{host.WithTimeout(time.Second), host.WithCooperativeTimeout(true), host.WithConcurrency(1)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr := benchHost(b, bc.opts...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tr.Dispatch(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, bc := range []struct {
		name string
		opts []host.Option
	}{
		{"inline-parallel", []host.Option{host.WithTimeout(0), host.WithConcurrency(64), host.WithQueueSize(1 << 16)}},
		{"timeout-parallel", []host.Option{host.WithTimeout(time.Second), host.WithConcurrency(64), host.WithQueueSize(1 << 16)}},
		{"cooperative-parallel", []host.Option{host.WithTimeout(time.Second), host.WithCooperativeTimeout(true), host.WithConcurrency(64), host.WithQueueSize(1 << 16)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tr := benchHost(b, bc.opts...)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				e := newEvent("1")
				for pb.Next() {
					if _, err := tr.Dispatch(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestDispatchAllocations holds the hot path to its allocation budget:
// none inline, one (the function's context) with a timeout, cooperative
// or on a worker; one for a traceparent the context must carry.
func TestDispatchAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts; run without -race")
	}
	ctx := context.Background()
	plain := newEvent("1")
	traced := newEvent("2")
	traced.SetExtension(trace.Extension, event.String("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	keyedEv := keyed("3", "k")
	tests := []struct {
		name string
		opts []host.Option
		e    *event.Event
		max  float64
	}{
		{"inline", []host.Option{host.WithTimeout(0)}, plain, 0},
		{"inline traceparent", []host.Option{host.WithTimeout(0)}, traced, 1},
		{"inline ordered", []host.Option{host.WithTimeout(0), host.WithPartitionOrder(true)}, keyedEv, 0},
		{"inline dedupe", []host.Option{host.WithTimeout(0), host.WithDedupe(time.Nanosecond, 16)}, plain, 0},
		{"timeout", []host.Option{host.WithTimeout(time.Minute)}, plain, 1},
		{"timeout traceparent", []host.Option{host.WithTimeout(time.Minute)}, traced, 1},
		{"cooperative", []host.Option{host.WithTimeout(time.Minute), host.WithCooperativeTimeout(true)}, plain, 1},
		{"cooperative traceparent", []host.Option{host.WithTimeout(time.Minute), host.WithCooperativeTimeout(true)}, traced, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := benchHost(t, tt.opts...)
			n := testing.AllocsPerRun(1000, func() {
				if _, err := tr.Dispatch(ctx, tt.e); err != nil {
					t.Fatal(err)
				}
			})
			if n > tt.max {
				t.Errorf("Dispatch allocates %v times per event, budget %v", n, tt.max)
			}
			t.Logf("%v allocations per event", n)
		})
	}
}
