package builtin

import (
	"context"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/function"
)

// Echo returns a function that replies with the event it was given, e
// itself, which the function contract allows for as long as the call. It
// never fails and does not allocate.
func Echo() function.Function { return echo{} }

type echo struct{}

func (echo) Call(_ context.Context, e *event.Event) (*event.Event, error) { return e, nil }

// Contained says that echo keeps nothing of a call (function.Contained).
func (echo) Contained() {}

// Noop returns a function that accepts every event, with no reply. It
// never fails and does not allocate.
func Noop() function.Function { return noop{} }

type noop struct{}

func (noop) Call(context.Context, *event.Event) (*event.Event, error) { return nil, nil }

// Contained says that noop keeps nothing of a call (function.Contained).
func (noop) Contained() {}
