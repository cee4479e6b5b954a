// Package binding holds what every protocol binding shares: the content
// modes, the handler a receiving transport calls, and the rule that a
// message is acknowledged only after its handler succeeded.
//
// Transports (package http, grpc, mqtt, nats) import it; it imports only
// the event layer.
package binding

import (
	"context"
	"errors"

	"github.com/openevents/openevents/event"
)

// Mode is a content mode of a protocol binding.
type Mode uint8

// The content modes. The zero Mode is unknown.
const (
	// ModeBinary carries attributes in protocol metadata (headers, user
	// properties) and the data as the message body.
	ModeBinary Mode = iota + 1
	// ModeStructured carries the whole event, encoded by an event format,
	// as the message body.
	ModeStructured
	// ModeBatch carries several events, encoded by a batch format, as
	// the message body.
	ModeBatch
)

var modeNames = [...]string{"unknown", "binary", "structured", "batch"}

// String returns "binary", "structured", "batch" or "unknown".
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "unknown"
}

// ParseMode returns the Mode named s ("binary", "structured", "batch").
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames[1:] {
		if n == s {
			return Mode(i + 1), nil
		}
	}
	return 0, errors.New("binding: unknown content mode " + `"` + s + `"` + ` (want binary, structured or batch)`)
}

// Handler processes one received event. A receiving transport calls it
// once per event and acknowledges the message to its sender only after
// Handle returned nil (at-least-once delivery); an error makes the
// transport report failure in its own status space (HTTP status, gRPC code,
// MQTT reason code) so the sender may retry.
//
// The event and its bytes are valid only until Handle returns; a handler
// that keeps them must [event.Event.Clone] it. Handle may be called
// concurrently.
type Handler interface {
	Handle(ctx context.Context, e *event.Event) error
}

// BatchHandler is a [Handler] that can also take the events of one batch
// in one call, for a transport that receives them together (the gRPC
// Stream): a handler that must take a lock or a slot per call takes it
// once per batch. HandleBatch handles events[i] for every i whose errs[i]
// is nil on entry (the others the transport refused already) and sets
// errs[i] to that event's outcome, as Handle would return it, so that
// events[i] is acknowledged or refused on its own. It must recover its
// own panics, as [Call] does for Handle. The events are valid only until
// it returns.
type BatchHandler interface {
	Handler
	HandleBatch(ctx context.Context, events []event.Event, errs []error)
}

// HandlerFunc adapts a function to [Handler].
type HandlerFunc func(ctx context.Context, e *event.Event) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, e *event.Event) error { return f(ctx, e) }

// ErrRejected is returned by a handler (possibly wrapped) to say the event
// will never be accepted, so the sender must not retry it; transports map
// it to a permanent failure (HTTP 400, gRPC InvalidArgument, MQTT 0x99
// payload format invalid). Any other handler error is taken as transient.
var ErrRejected = errors.New("event rejected")
