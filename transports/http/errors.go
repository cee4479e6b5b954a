package http

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/openevents/openevents/transports/http/internal/receive"
)

// Errors a receiver answers with a particular status, and a [Sender]
// returns (wrapped in a [*StatusError]) when it gets that status back.
var (
	// ErrUnsupportedMediaType: the request declares an event format this
	// package does not decode (415, WEBHOOK-RESPONSE-13).
	ErrUnsupportedMediaType = receive.ErrUnsupportedMediaType
	// ErrTooLarge: the request body exceeds the configured limit (413).
	ErrTooLarge = receive.ErrTooLarge
	// ErrHeaderTooLarge: the request headers exceed the configured limit
	// (431).
	ErrHeaderTooLarge = receive.ErrHeaderTooLarge
	// ErrOverloaded: the receiver is over its concurrency limit or its
	// handler asked the sender to come back later (429 with Retry-After,
	// WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11). A [binding.Handler] may
	// return it, wrapped or not.
	ErrOverloaded = receive.ErrOverloaded
	// ErrUnavailable: the receiver is temporarily unable to take events,
	// for example while shutting down (503).
	ErrUnavailable = receive.ErrUnavailable
	// ErrMethod: the request method is neither POST nor OPTIONS
	// (405, WEBHOOK-DELIVERY-2).
	ErrMethod = receive.ErrMethod
	// ErrTimeout: the request body did not arrive within its deadline
	// ([WithReadBodyTimeout], [WithReadTimeout]) (408).
	ErrTimeout = receive.ErrTimeout
	// ErrMalformed: the request is not a CloudEvents message in the mode
	// its Content-Type announces (400). Decoding errors of the formats and
	// header values are reported as themselves, not as ErrMalformed.
	ErrMalformed = receive.ErrMalformed
	// ErrConfig is wrapped by every error of a constructor about its
	// arguments or options (NewServer, NewHandler, NewSender,
	// cefasthttp.NewServer), as in cegrpc and cemqtt.
	ErrConfig = receive.ErrConfig
	// ErrConnection is wrapped by the connection errors passed to the
	// [WithErrorHook] hook.
	ErrConnection = errors.New("cehttp: connection error")
)

// StatusOf returns the HTTP status a receiver answers for err: 204 for
// nil, the status of the matching row of the package's one table from
// errors to statuses (400 for malformed or invalid events and for
// [binding.ErrRejected], 405, 408, 413, 415, 431, 429, 503), and 500 for a
// [*ReplyError], a [*binding.PanicError] and any other handler error, which
// the sender may retry.
func StatusOf(err error) int { return receive.StatusOf(err) }

// StatusError is the error a [Sender] returns for a response that is not
// 2xx. It unwraps to the package sentinel for the status ([ErrOverloaded]
// for 429, [binding.ErrRejected] for 400, …) when there is one.
type StatusError struct {
	Code int // the HTTP status code
	// Body holds up to the first 4 KiB of the response body, which for a
	// 400 from an OpenEvents receiver names the violated requirement IDs.
	Body []byte
	// RetryAfter is the delay the Retry-After header asked for, or 0.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := "cehttp: the receiver answered " + strconv.Itoa(e.Code) + " " + http.StatusText(e.Code)
	if len(e.Body) > 0 {
		msg += ": " + string(trimBody(e.Body))
	}
	return msg
}

// Unwrap returns the package sentinel for the status, or nil.
func (e *StatusError) Unwrap() error { return receive.ErrorOf(e.Code) }

// IsRetryable reports whether err, returned by [Sender.Send] or
// [Sender.SendBatch], is worth retrying later: a 408, 429 or 503 answer,
// a 5xx other than 501, or a failure to reach the receiver at all. A 4xx
// answer, a refused event and a context that ended are not.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500 && se.Code != http.StatusNotImplemented
	}
	var ue *UnreachableError
	return errors.As(err, &ue)
}

// UnreachableError reports a request that got no HTTP response (connection
// refused, reset, timeout of one attempt). It wraps the cause.
type UnreachableError struct {
	Err error
}

func (e *UnreachableError) Error() string { return "cehttp: no response: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

func trimBody(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// The error types a receiver reports through [WithRefuseHook] and answers
// with. They are declared with the receiving core both servers share;
// errors.As with these names matches them.
type (
	// MessageError reports a request that is not a well-formed CloudEvents
	// message for a rule of the HTTP binding (a header given twice, a
	// ce-datacontenttype header, a JSON array sent as one event): Header
	// (or ""), Rule (the requirement ID) and Msg. It matches
	// [ErrMalformed].
	MessageError = receive.MessageError
	// HeaderError reports a ce- header (Header) whose value cannot be
	// decoded. It wraps the [*binding.HeaderValueError] (Err).
	HeaderError = receive.HeaderError
	// HandlerError wraps an error returned by the [binding.Handler] (Err;
	// Index is the event's position in a batch, or -1), so the refuse hook
	// can tell it from a decoding error. It unwraps to the cause, which
	// chooses the status.
	HandlerError = receive.HandlerError
	// ReplyError reports a reply event that is not valid: on the receiving
	// side one a [Replier] produced (the request is then answered 500, as
	// the fault is the handler's, not the sender's), on the sending side
	// one the receiver answered with. It wraps the cause (Err).
	ReplyError = receive.ReplyError
	// UnreadableError reports a request body that could not be read (the
	// client went away, or the connection broke). It wraps the cause (Err)
	// and matches [ErrMalformed].
	UnreadableError = receive.UnreadableError
	// EncodingError reports a request body sent with a Content-Encoding
	// (Encoding) other than identity. Receivers refuse compressed bodies:
	// a few kilobytes of gzip can inflate to gigabytes, past every limit
	// set on what arrives. It matches [ErrUnsupportedMediaType] (415,
	// WEBHOOK-RESPONSE-13).
	EncodingError = receive.EncodingError
	// TimeoutError reports a request that did not arrive in time: the
	// connection's read deadline, set from [WithReadHeaderTimeout],
	// [WithReadBodyTimeout] and [WithReadTimeout], passed first. What is
	// "the request body", or "the request" when the part is unknown; Limit
	// names the limit that ran out and the option that sets it. It matches
	// [ErrTimeout] (408) and wraps the network error (Err).
	TimeoutError = receive.TimeoutError
)
