package binding

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/openevents/openevents/event"
)

// PanicError is what a receiving transport reports when a handler
// panicked. The transport recovers, answers the message as a failure that
// is not the sender's fault (HTTP 500, gRPC INTERNAL, no MQTT
// acknowledgement), so the event may be delivered again, and keeps
// serving: one event must not bring a receiver down.
//
// PanicError does not unwrap to the panic value, even an error: a handler
// that panics with [ErrRejected] has still panicked.
type PanicError struct {
	Value any    // what the handler panicked with
	Stack []byte // the handler's stack when it panicked
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("binding: the handler panicked: %v", e.Value)
}

// Call runs h.Handle(ctx, e) and returns a *PanicError if it panics.
// Transports call handlers through it.
func Call(ctx context.Context, h Handler, e *event.Event) (err error) {
	defer Recover(&err)
	return h.Handle(ctx, e)
}

// Recover turns a panic into a *PanicError in *err when it is deferred,
// as [Call] does, by a function that calls a handler of another shape (a
// replier, say): defer binding.Recover(&err).
func Recover(err *error) {
	if v := recover(); v != nil { //nolint:revive // Recover is the deferred function itself

		*err = &PanicError{Value: v, Stack: debug.Stack()}
	}
}
