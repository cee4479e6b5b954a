package host

import (
	"context"
	"time"

	"github.com/openevents/openevents/event"
)

// A Tracer records each dispatch of an event as a span ([WithTracer]).
// Package runtime/telemetry implements it with OpenTelemetry; the host
// itself links no tracing library.
//
// Start is called once per [Trigger.Dispatch], on the dispatching
// goroutine, before anything else happens to the event: the span covers
// the wait for a slot, every attempt, the backoff between them, the
// reply sinks and the dead-letter sink, and refusals (overloaded,
// draining, duplicate) get a span too. ctx already carries the parent
// traceparent (package runtime/trace): the trigger's, or else the
// event's traceparent extension. The context Start returns is the one
// the function gets; it should carry the new span's own traceparent, so
// that what the function sends on continues the trace from this span.
//
// Start must not keep e or strings of it past its return (e may point
// into a buffer the trigger reuses); trigger and function are the
// trigger's and the function's names, which stay valid. It must be safe
// for concurrent use.
type Tracer interface {
	Start(ctx context.Context, e *event.Event, trigger, function string) (context.Context, Span)
}

// A Span is the span a [Tracer] started for one dispatch. The host calls
// End exactly once, on the dispatching goroutine, with the error
// Dispatch returns (nil when the event was acknowledged; see
// [Trigger.Dispatch] for the others).
type Span interface {
	End(err error)
}

// WithTracer makes the host start a span for every event it dispatches
// (see [Tracer]); default none, and then tracing costs one nil check per
// event. nil is refused.
func WithTracer(t Tracer) Option {
	return optionFunc(func(c *config) { c.tracer, c.tracerSet = t, true })
}

// dispatchTraced is Dispatch with a span around it; Dispatch has
// already counted the call as pending and taken its start time.
func (t *Trigger) dispatchTraced(ctx context.Context, e *event.Event, start time.Duration) (*event.Event, error) {
	h := t.h
	ctx, span := h.cfg.tracer.Start(withTrace(ctx, e), e, t.name, h.cfg.functionName)
	reply, sh, err := t.dispatch(ctx, e, start)
	span.End(err)
	sh.observe(h.now() - start)
	h.exit()
	return reply, err
}
