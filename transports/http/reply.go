package http

import (
	"context"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/transports/http/internal/receive"
)

// Replier is an optional interface of a [binding.Handler]: a receiver calls
// HandleReply instead of Handle for a binary or structured request, and
// when it returns true with a nil error writes reply back as the response
// (200 with a body, 204 for a binary-mode reply without data), in the mode
// set with [WithReplyMode]. reply is empty on entry and owned by the
// receiver; it must not be kept after HandleReply returns. Batched requests
// get no reply and are handled with Handle.
type Replier interface {
	HandleReply(ctx context.Context, e, reply *event.Event) (bool, error)
}

// ReplierFunc adapts a function to [binding.Handler] and [Replier].
type ReplierFunc func(ctx context.Context, e, reply *event.Event) (bool, error)

// HandleReply calls f.
func (f ReplierFunc) HandleReply(ctx context.Context, e, reply *event.Event) (bool, error) {
	return f(ctx, e, reply)
}

// Handle calls f and drops any reply.
func (f ReplierFunc) Handle(ctx context.Context, e *event.Event) error {
	var reply event.Event
	_, err := f(ctx, e, &reply)
	return err
}

// The receiving core finds a Replier by type assertion on its own
// declaration of the interface; the two must stay identical.
var (
	_ receive.Replier = Replier(nil)
	_ Replier         = receive.Replier(nil)
)
