// Package function declares what the function runtime calls: a
// [Function] takes one event and may return a reply. Built-in functions,
// Go functions of library users and out-of-process functions (exec, http,
// grpc) all satisfy it; the host in runtime/host runs them.
package function

import (
	"context"

	"github.com/openevents/openevents/event"
)

// A Function handles one event.
//
// e is valid until Call returns (its strings may point into a transport's
// buffer); a function that keeps it must call [event.Event.Clone]. The
// reply, when not nil, must stay valid until the next Call on the same
// goroutine returns, so returning e itself (an echo) costs nothing.
//
// A nil error means the event was handled and may be acknowledged. An
// error wrapping [github.com/openevents/openevents/event/binding.ErrRejected]
// is permanent: the host neither retries nor dead-letters it as a
// transient failure but refuses the event to its sender. Any other error
// is a failure the host may retry. ctx carries the per-event deadline and
// the trace context; a function should return when it ends.
type Function interface {
	Call(ctx context.Context, e *event.Event) (reply *event.Event, err error)
}

// Contained is a [Function] that keeps nothing of a call once it
// returned: neither the event nor the context, and it starts nothing (no
// goroutine, no I/O) that could read them later. The host may then reuse
// the context it passes from call to call instead of making one per
// event. A function that does I/O must not claim it: the standard
// library's HTTP client, for one, keeps a request's context after the
// request returned.
type Contained interface {
	Function
	// Contained marks the promise; it does nothing.
	Contained()
}

// Func adapts an ordinary Go function to [Function].
type Func func(ctx context.Context, e *event.Event) (*event.Event, error)

// Call calls f(ctx, e).
func (f Func) Call(ctx context.Context, e *event.Event) (*event.Event, error) { return f(ctx, e) }

// A Sink takes events a function emitted, or that failed every attempt
// (the dead-letter sink). Send must not keep e after it returns.
type Sink interface {
	Send(ctx context.Context, e *event.Event) error
	Close(ctx context.Context) error
}
