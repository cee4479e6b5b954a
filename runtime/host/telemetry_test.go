package host_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trace"
)

// recordingTracer is a host.Tracer that records what the host gives it
// and puts its own traceparent in the function's context.
type recordingTracer struct {
	parent, trigger, function, id string
	ended                         []error
}

const (
	parentTP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	spanTP   = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01"
)

func (r *recordingTracer) Start(ctx context.Context, e *event.Event, trigger, function string) (context.Context, host.Span) {
	r.parent, r.trigger, r.function, r.id = trace.FromContext(ctx), trigger, function, e.ID()
	return trace.NewContext(ctx, spanTP), spanFunc(func(err error) { r.ended = append(r.ended, err) })
}

type spanFunc func(error)

func (f spanFunc) End(err error) { f(err) }

// TestTracer: the tracer sees the event's traceparent as the parent, the
// function sees the context the tracer returned, and the span ends once
// with what Dispatch returned, for every way the host can run.
func TestTracer(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts []host.Option
	}{
		{"inline", []host.Option{host.WithTimeout(0)}},
		{"worker", []host.Option{host.WithTimeout(time.Minute)}},
		{"cooperative", []host.Option{host.WithTimeout(time.Minute), host.WithCooperativeTimeout(true)}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			rt := &recordingTracer{}
			fail := errors.New("boom")
			var seen string
			h, _ := newHost(t, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
				seen = trace.FromContext(ctx)
				return nil, fail
			}, append(mode.opts, host.WithTracer(rt), host.WithFunctionName("fn"), host.WithAttempts(1))...)
			e := newEvent("t-1")
			e.SetExtension(trace.Extension, event.String(parentTP))
			_, err := h.Trigger("http").Dispatch(context.Background(), e)
			var fe *host.FailedError
			if !errors.As(err, &fe) {
				t.Fatalf("Dispatch = %v; want a FailedError", err)
			}
			if rt.parent != parentTP || rt.trigger != "http" || rt.function != "fn" || rt.id != "t-1" {
				t.Errorf("Start got parent %q trigger %q function %q id %q", rt.parent, rt.trigger, rt.function, rt.id)
			}
			if seen != spanTP {
				t.Errorf("the function saw %q; want the span's %q", seen, spanTP)
			}
			if len(rt.ended) != 1 || !errors.Is(rt.ended[0], err) {
				t.Errorf("End got %v; want once, with %v", rt.ended, err)
			}
		})
	}
}

// TestTracerSeesRefusals: a refused event (the host draining) gets a
// span ended with the refusal.
func TestTracerSeesRefusals(t *testing.T) {
	rt := &recordingTracer{}
	h, _ := newHost(t, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil }, host.WithTracer(rt))
	_ = h.Drain(context.Background())
	_, err := h.Trigger("http").Dispatch(context.Background(), newEvent("t-2"))
	if !errors.Is(err, host.ErrDraining) || len(rt.ended) != 1 || !errors.Is(rt.ended[0], err) {
		t.Fatalf("Dispatch = %v, End got %v; want ErrDraining in both", err, rt.ended)
	}
}

func TestTracerNil(t *testing.T) {
	_, err := host.New(funcOf(func(context.Context, *event.Event) (*event.Event, error) { return nil, nil }), host.WithTracer(nil))
	if !errors.Is(err, host.ErrConfig) {
		t.Fatalf("New = %v; want ErrConfig for a nil tracer", err)
	}
}
