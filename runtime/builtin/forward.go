package builtin

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/trace"
)

// Forwarder is the function Forward returns. It is safe for concurrent
// use as far as its sinks are (every sink of package runtime/sink is).
type Forwarder struct {
	sinks []function.Sink
}

// Forward returns a function that sends every event to each of sinks, in
// order, and replies nothing. It takes ownership of the sinks: Close
// closes them. It returns an error when sinks is empty or holds a nil.
func Forward(sinks ...function.Sink) (*Forwarder, error) {
	if len(sinks) == 0 {
		return nil, errors.New("builtin: forward: no sink given (Noop accepts events without sending them anywhere)")
	}
	for i, s := range sinks {
		if s == nil {
			return nil, fmt.Errorf("builtin: forward: sink %d is nil", i)
		}
	}
	return &Forwarder{sinks: append([]function.Sink(nil), sinks...)}, nil
}

// Call sends e to every sink, even after one failed, so that one sink
// being down does not hold back the others. It returns nil when all of
// them took e. Otherwise it returns one *SinkError per failed sink
// (joined): a transient failure whatever the sink said, so the host tries
// the event again, and every sink, those that took it included, gets it
// again (at-least-once). e is not retained; the sinks do not keep it.
//
// A traceparent the context carries (from the trigger's protocol: the
// HTTP header or gRPC metadata) goes on as the event's traceparent
// extension when the event has none, so the trace continues downstream.
func (f *Forwarder) Call(ctx context.Context, e *event.Event) (*event.Event, error) {
	if tp := trace.FromContext(ctx); tp != "" {
		if _, ok := e.Extension(trace.Extension); !ok {
			c := e.Clone()
			c.SetExtension(trace.Extension, event.String(tp))
			e = &c
		}
	}
	var errs []error
	for i, s := range f.sinks {
		if err := s.Send(ctx, e); err != nil {
			errs = append(errs, &SinkError{Index: i, Err: err})
		}
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// Close closes every sink, within ctx, and returns their errors joined.
func (f *Forwarder) Close(ctx context.Context) error {
	var errs []error
	for i, s := range f.sinks {
		if err := s.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("builtin: forward: closing sink %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// SinkError is the failure of one sink of a Forwarder.
//
// It deliberately has no Unwrap method: a sink's refusal (an HTTP 400, a
// gRPC INVALID_ARGUMENT) matches binding.ErrRejected, which from a
// function means "refuse the event to its sender"; the event the function
// received was fine, only the next hop would not take it, so the host must
// treat the failure as transient. Read Err for the sink's own error.
type SinkError struct {
	Index int   // position of the sink in Forward's arguments
	Err   error // the sink's error
}

// Error returns "builtin: forward: sink INDEX: ERR".
func (e *SinkError) Error() string {
	return "builtin: forward: sink " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}
