package sink

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/openevents/openevents/event"
	cehttp "github.com/openevents/openevents/transports/http"
)

// HTTPSink posts events to one URL with a [cehttp.Sender]. It is safe for
// concurrent use.
type HTTPSink struct {
	sender *cehttp.Sender
	target string // redacted, for errors
	closed atomic.Bool
}

// HTTP returns a sink that posts each event to target, an absolute http or
// https URL, in binary content mode unless opts choose another
// (cehttp.WithMode). opts are the Sender's options: cehttp.WithTLS,
// WithHeader, WithRequestTimeout, WithRetry (by default the Sender itself
// tries 3 times on 408, 429, 503 or no answer before Send fails), ... It
// returns an error for another URL or an invalid option. No connection is
// made before the first Send.
func HTTP(target string, opts ...cehttp.SenderOption) (*HTTPSink, error) {
	s, err := cehttp.NewSender(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("sink: http %s: %w", redact(target), err)
	}
	return &HTTPSink{sender: s, target: redact(target)}, nil
}

// Send posts e and returns nil once the receiver answered 2xx. A reply
// event in the answer is discarded: a sink delivers, it does not chain.
// A non-2xx answer is an error wrapping *cehttp.StatusError, whose message
// gives the status and the start of the body (for a 400 from an OpenEvents
// receiver, the broken requirement IDs); no answer at all wraps
// *cehttp.UnreachableError; an event that cannot be encoded is refused
// without sending. After Close, Send returns ErrClosed. e is not retained.
func (s *HTTPSink) Send(ctx context.Context, e *event.Event) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if _, err := s.sender.Send(ctx, e); err != nil {
		return fmt.Errorf("sink: http %s: %w", s.target, err)
	}
	return nil
}

// Close makes later Sends fail with ErrClosed and closes the idle
// connections; requests in progress finish. It returns nil; ctx is unused
// (there is nothing to wait for) and there for the Sink shape.
func (s *HTTPSink) Close(context.Context) error {
	s.closed.Store(true)
	s.sender.CloseIdleConnections()
	return nil
}
