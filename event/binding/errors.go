package binding

import "errors"

// Protocol-neutral outcomes. Every transport's errors wrap the one that
// fits, so errors.Is reads the same whichever binding an error came
// from, and a handler can return one to get the matching answer from any
// binding (HTTP status, gRPC code). [ErrRejected] is the outcome of an
// event refused on purpose, [ErrHeaderValue] of a header value that does
// not decode.
var (
	// ErrMalformed: the message is not a well-formed CloudEvents message
	// for its binding (HTTP 400, gRPC INVALID_ARGUMENT).
	ErrMalformed = errors.New("malformed CloudEvents message")
	// ErrUnsupportedMediaType: the message is in a format or encoding the
	// receiver does not read (HTTP 415, gRPC INVALID_ARGUMENT).
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrTooLarge: the message is over a size limit (HTTP 413, gRPC
	// RESOURCE_EXHAUSTED).
	ErrTooLarge = errors.New("message too large")
	// ErrOverloaded: the receiver is busy; try again later (HTTP 429, gRPC
	// RESOURCE_EXHAUSTED).
	ErrOverloaded = errors.New("receiver overloaded")
	// ErrUnavailable: the receiver cannot take events now; try again later
	// (HTTP 503, gRPC UNAVAILABLE).
	ErrUnavailable = errors.New("receiver unavailable")
	// ErrTimeout: the message did not arrive within the receiver's
	// deadline (HTTP 408, gRPC DEADLINE_EXCEEDED).
	ErrTimeout = errors.New("message not received in time")
)

// Sentinel returns a transport's own sentinel error with message msg that
// also matches base (one of the outcomes above) with errors.Is.
func Sentinel(msg string, base error) error { return &sentinel{msg: msg, base: base} }

type sentinel struct {
	msg  string
	base error
}

func (s *sentinel) Error() string { return s.msg }
func (s *sentinel) Unwrap() error { return s.base }
