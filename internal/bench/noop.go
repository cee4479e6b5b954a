package bench

import (
	"context"

	"github.com/openevents/openevents/event"
)

// RuntimeNoop is the function the benchmarks' ce-run sides host: ce run's
// noop built-in (runtime/builtin), which keeps nothing of a call
// (function.Contained), plus a count the benchmark reads. Count is
// called with each event and its error returned.
type RuntimeNoop func(ctx context.Context, e *event.Event) error

// Call counts the event and replies nothing.
func (f RuntimeNoop) Call(ctx context.Context, e *event.Event) (*event.Event, error) {
	return nil, f(ctx, e)
}

// Contained says that the noop keeps nothing of a call, as the built-in
// does; the count keeps nothing either.
func (RuntimeNoop) Contained() {}
