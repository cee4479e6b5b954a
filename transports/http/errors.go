package http

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// Errors a receiver answers with a particular status, and a [Sender]
// returns (wrapped in a [*StatusError]) when it gets that status back.
var (
	// ErrUnsupportedMediaType: the request declares an event format this
	// package does not decode (415, WEBHOOK-RESPONSE-13).
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrTooLarge: the request body exceeds the configured limit (413).
	ErrTooLarge = errors.New("message too large")
	// ErrHeaderTooLarge: the request headers exceed the configured limit
	// (431).
	ErrHeaderTooLarge = errors.New("request headers too large")
	// ErrOverloaded: the receiver is over its concurrency limit or its
	// handler asked the sender to come back later (429 with Retry-After,
	// WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11). A [binding.Handler] may
	// return it, wrapped or not.
	ErrOverloaded = errors.New("receiver overloaded")
	// ErrUnavailable: the receiver is temporarily unable to take events,
	// for example while shutting down (503).
	ErrUnavailable = errors.New("receiver unavailable")
	// ErrMethod: the request method is neither POST nor OPTIONS
	// (405, WEBHOOK-DELIVERY-2).
	ErrMethod = errors.New("method not allowed")
	// ErrTimeout: the request body did not arrive within its deadline
	// ([WithReadBodyTimeout], [WithReadTimeout]) (408).
	ErrTimeout = errors.New("request body timeout")
	// ErrMalformed: the request is not a CloudEvents message in the mode
	// its Content-Type announces (400). Decoding errors of the formats and
	// header values are reported as themselves, not as ErrMalformed.
	ErrMalformed = errors.New("malformed CloudEvents message")
)

// statusTable is the one mapping between this package's errors and HTTP
// statuses, used in both directions: a receiver answers the first row whose
// error matches (errors.Is), a sender wraps the row's error for a status.
var statusTable = [...]struct {
	err  error
	code int
}{
	{ErrTooLarge, http.StatusRequestEntityTooLarge},
	{ErrHeaderTooLarge, http.StatusRequestHeaderFieldsTooLarge},
	{ErrUnsupportedMediaType, http.StatusUnsupportedMediaType},
	{ErrOverloaded, http.StatusTooManyRequests},
	{ErrUnavailable, http.StatusServiceUnavailable},
	{ErrMethod, http.StatusMethodNotAllowed},
	{ErrTimeout, http.StatusRequestTimeout},
	{ErrMalformed, http.StatusBadRequest},
	{binding.ErrRejected, http.StatusBadRequest},
	{event.ErrInvalid, http.StatusBadRequest},
	{jsonformat.ErrSyntax, http.StatusBadRequest},
	{binding.ErrHeaderValue, http.StatusBadRequest},
	{event.ErrTooManyAttributes, http.StatusBadRequest},
}

// StatusOf returns the HTTP status a receiver answers for err: 204 for
// nil, the status of the matching row of the package's table (400 for
// malformed or invalid events and for [binding.ErrRejected], 405, 408,
// 413, 415, 431, 429, 503), and 500 for a [*ReplyError], a
// [*binding.PanicError] and any other handler error, which the sender may
// retry.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusNoContent
	}
	var re *ReplyError
	var pe *binding.PanicError
	if errors.As(err, &re) || errors.As(err, &pe) {
		return http.StatusInternalServerError
	}
	for _, row := range statusTable {
		if errors.Is(err, row.err) {
			return row.code
		}
	}
	return http.StatusInternalServerError
}

// errorOf returns the sentinel for a response status, or nil.
func errorOf(code int) error {
	if code == http.StatusBadRequest {
		return binding.ErrRejected
	}
	for _, row := range statusTable {
		if row.code == code {
			return row.err
		}
	}
	return nil
}

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
func (e *StatusError) Unwrap() error { return errorOf(e.Code) }

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

// appendErrorBody writes the text/plain body of an error answer (a 400
// names every violated requirement ID, WEBHOOK-RESPONSE-1): the error on
// the first line, then one line per violation.
func appendErrorBody(dst []byte, err error) []byte {
	dst = append(dst, err.Error()...)
	dst = append(dst, '\n')
	var ve *event.ValidationError
	if errors.As(err, &ve) && len(ve.Violations) > 1 {
		for _, v := range ve.Violations {
			dst = append(dst, "  "...)
			dst = append(dst, v.String()...)
			dst = append(dst, '\n')
		}
	}
	return dst
}

// EncodingError reports a request body sent with a Content-Encoding other
// than identity. Receivers refuse compressed bodies: a few kilobytes of
// gzip can inflate to gigabytes, past every limit set on what arrives. It
// matches [ErrUnsupportedMediaType] (415, WEBHOOK-RESPONSE-13).
type EncodingError struct {
	Encoding string // the Content-Encoding header as sent
}

func (e *EncodingError) Error() string {
	return "cehttp: Content-Encoding " + strconv.Quote(e.Encoding) +
		": compressed request bodies are refused; send the body uncompressed (identity) (WEBHOOK-RESPONSE-13)"
}

// Is reports whether target is [ErrUnsupportedMediaType].
func (e *EncodingError) Is(target error) bool { return target == ErrUnsupportedMediaType }

// TimeoutError reports a request that did not arrive in time: the
// connection's read deadline, set from [WithReadHeaderTimeout],
// [WithReadBodyTimeout] and [WithReadTimeout], passed first. It matches
// [ErrTimeout] (408) and wraps the network error.
type TimeoutError struct {
	What  string // "the request body", or "the request" when the part is unknown
	Limit string // the limit that ran out, with the option that sets it
	Err   error
}

func (e *TimeoutError) Error() string {
	return "cehttp: " + e.What + " did not arrive within " + e.Limit + ": " + e.Err.Error()
}

// Unwrap returns the network error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrTimeout].
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }
