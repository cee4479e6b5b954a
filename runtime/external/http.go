package external

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	cehttp "github.com/openevents/openevents/transports/http"
)

// HTTPFunction is a [function.Function] served by an HTTP endpoint: each
// call POSTs the event with the project's HTTP sender and takes the reply
// event from the response. Make one with [HTTP]. It is safe for
// concurrent use.
//
// [function.Function]: github.com/openevents/openevents/runtime/function.Function
type HTTPFunction struct {
	url    string
	sender *cehttp.Sender
}

// HTTP returns a function that POSTs each event to url (an absolute http
// or https URL) with a [cehttp.Sender] made with opts. Its defaults are
// the sender's: binary content mode, [cehttp.DefaultRequestTimeout] per
// request, and up to [cehttp.DefaultAttempts] tries of a delivery answered
// 408, 429 or 503 or not answered at all (pass cehttp.WithRetry(1, 0) to
// leave every retry to the host). It returns an error matching
// [ErrConfig] for an invalid url or option. It does not connect until the
// first call.
func HTTP(url string, opts ...cehttp.SenderOption) (*HTTPFunction, error) {
	s, err := cehttp.NewSender(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: HTTP(%q): %w", ErrConfig, url, err)
	}
	return &HTTPFunction{url: url, sender: s}, nil
}

// Call posts e and returns the reply event the response carries: a 2xx
// response with a CloudEvent (binary or structured) is the reply, a 2xx
// without one means no reply. The reply is the caller's.
//
// Failures, after the sender's own retries:
//
//	4xx other than 408 and 429      permanent: matches binding.ErrRejected
//	event that does not validate    permanent: matches binding.ErrRejected
//	408, 429, 5xx, 3xx              transient (a *cehttp.StatusError)
//	no response (refused, reset)    transient (a *cehttp.UnreachableError)
//	2xx with an unreadable reply    transient (a *cehttp.ReplyError)
//	ctx ended                       transient (ctx's error)
//
// A 501 is transient here, unlike [cehttp.IsRetryable]: the host keeps
// and dead-letters the event rather than refusing it for a server that is
// not ready. The returned error wraps the sender's.
func (f *HTTPFunction) Call(ctx context.Context, e *event.Event) (*event.Event, error) {
	resp, err := f.sender.Send(ctx, e)
	if err != nil {
		return nil, f.outcome(err)
	}
	return resp.Reply, nil
}

// outcome maps a sender error to a function error (the table at Call).
func (f *HTTPFunction) outcome(err error) error {
	if se, ok := errors.AsType[*cehttp.StatusError](err); ok {
		if se.Code >= 400 && se.Code < 500 && se.Code != http.StatusRequestTimeout && se.Code != http.StatusTooManyRequests {
			return fmt.Errorf("external: POST %s: %w (%w)", f.url, err, binding.ErrRejected)
		}
		return fmt.Errorf("external: POST %s: %w", f.url, transient{err})
	}
	_, isReply := errors.AsType[*cehttp.ReplyError](err)
	_, isEncode := errors.AsType[*jsonformat.EncodeError](err)
	if !isReply && (isEncode || errors.Is(err, event.ErrInvalid)) {
		return fmt.Errorf("external: POST %s: cannot send the event: %w (%w)", f.url, err, binding.ErrRejected)
	}
	return fmt.Errorf("external: POST %s: %w", f.url, transient{err})
}

// Close closes the sender's idle connections; calls in progress are not
// interrupted. It returns nil.
func (f *HTTPFunction) Close(ctx context.Context) error { return f.sender.Close(ctx) }

// transient hides, from errors.Is, any outcome its error would match that
// reads as permanent (binding.ErrRejected, event.ErrInvalid: a reply that
// did not validate), while errors.As still finds the error's types.
type transient struct{ err error }

func (t transient) Error() string { return t.err.Error() }

// As lets errors.As reach the wrapped error's types.
func (t transient) As(target any) bool { return errors.As(t.err, target) }

// Is matches whatever the wrapped error matches except the permanent
// outcomes.
func (t transient) Is(target error) bool {
	if target == binding.ErrRejected || target == event.ErrInvalid {
		return false
	}
	return errors.Is(t.err, target)
}
