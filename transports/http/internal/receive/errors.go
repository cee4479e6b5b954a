package receive

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// The sentinels cehttp exports under the same names; its documentation
// says what each one means.
// Each wraps the protocol-neutral outcome of event/binding it stands for.
var (
	ErrUnsupportedMediaType = binding.Sentinel("unsupported media type", binding.ErrUnsupportedMediaType)
	ErrTooLarge             = binding.Sentinel("message too large", binding.ErrTooLarge)
	ErrHeaderTooLarge       = binding.Sentinel("request headers too large", binding.ErrTooLarge)
	ErrOverloaded           = binding.Sentinel("receiver overloaded", binding.ErrOverloaded)
	ErrUnavailable          = binding.Sentinel("receiver unavailable", binding.ErrUnavailable)
	ErrMethod               = errors.New("method not allowed")
	ErrTimeout              = binding.Sentinel("request body timeout", binding.ErrTimeout)
	ErrMalformed            = binding.Sentinel("malformed CloudEvents message", binding.ErrMalformed)

	// ErrConfig is wrapped by every error about options or arguments.
	ErrConfig = errors.New("cehttp: bad configuration")

	errNilHandler = ConfigError("the binding.Handler is nil")
)

// ConfigError returns an error wrapping [ErrConfig] with msg.
func ConfigError(msg string) error { return fmt.Errorf("%w: %s", ErrConfig, msg) }

// statusTable is the one mapping between the binding's errors and HTTP
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
	// The protocol-neutral outcomes, as a handler may return them; the
	// sentinels above wrap them, so a sender's StatusError matches both.
	{binding.ErrMalformed, http.StatusBadRequest},
	{binding.ErrUnsupportedMediaType, http.StatusUnsupportedMediaType},
	{binding.ErrTooLarge, http.StatusRequestEntityTooLarge},
	{binding.ErrOverloaded, http.StatusTooManyRequests},
	{binding.ErrUnavailable, http.StatusServiceUnavailable},
	{binding.ErrTimeout, http.StatusRequestTimeout},
}

// StatusOf is cehttp.StatusOf: 204 for nil, the status of the first
// matching row of the table, and 500 for a [*ReplyError], a
// [*binding.PanicError] and any other handler error.
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

// ErrorOf returns the sentinel for a response status, or nil.
func ErrorOf(code int) error {
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

// AppendErrorBody writes the text/plain body of an error answer (a 400
// names every violated requirement ID, WEBHOOK-RESPONSE-1): the error on
// the first line, then one line per violation.
func AppendErrorBody(dst []byte, err error) []byte {
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

// MessageError reports a request that is not a well-formed CloudEvents
// message for a rule of the HTTP binding (a header given twice, a
// ce-datacontenttype header, a JSON array sent as one event). It matches
// [ErrMalformed].
type MessageError struct {
	Header string // the header concerned, or ""
	Rule   string // requirement ID
	Msg    string
}

func (e *MessageError) Error() string {
	s := "cehttp: "
	if e.Header != "" {
		s += e.Header + ": "
	}
	return s + e.Msg + " (" + e.Rule + ")"
}

// Is reports whether target is [ErrMalformed].
func (e *MessageError) Is(target error) bool { return target == ErrMalformed }

// HeaderError reports a ce- header whose value cannot be decoded. It wraps
// the [*binding.HeaderValueError].
type HeaderError struct {
	Header string
	Err    error
}

func (e *HeaderError) Error() string { return "cehttp: header " + e.Header + ": " + e.Err.Error() }

// Unwrap returns the decoding error.
func (e *HeaderError) Unwrap() error { return e.Err }

// HandlerError wraps an error returned by the [binding.Handler], so the
// refuse hook can tell it from a decoding error. It unwraps to the cause,
// which chooses the status.
type HandlerError struct {
	Index int // position of the event in a batch, or -1
	Err   error
}

func (e *HandlerError) Error() string {
	if e.Index >= 0 {
		return "cehttp: handler failed on event " + strconv.Itoa(e.Index) + " of the batch: " + e.Err.Error()
	}
	return "cehttp: handler failed: " + e.Err.Error()
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }

func handlerError(i int, err error) error { return &HandlerError{Index: i, Err: err} }

// ReplyError reports a reply event that is not valid: on the receiving side
// one a Replier produced (the request is then answered 500, as the fault
// is the handler's, not the sender's), on the sending side one the
// receiver answered with.
type ReplyError struct {
	Err error
}

func (e *ReplyError) Error() string { return "cehttp: reply event: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ReplyError) Unwrap() error { return e.Err }

// UnreadableError reports a request body that could not be read (the
// client went away, or the connection broke). It matches [ErrMalformed].
type UnreadableError struct {
	Err error
}

func (e *UnreadableError) Error() string {
	return "cehttp: cannot read the request body: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UnreadableError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrMalformed].
func (e *UnreadableError) Is(target error) bool { return target == ErrMalformed }

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
// connection's read deadline, set from cehttp's WithReadHeaderTimeout,
// WithReadBodyTimeout and WithReadTimeout, passed first. It matches
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

// PeerIn finds the client address in a connection error message of
// net/http ("... from 127.0.0.1:5000: ...") or fasthttp
// ("... "127.0.0.1:8080"<->"127.0.0.1:5000": ..."); "" when it names none.
func PeerIn(msg string) string {
	if i := strings.Index(msg, `<->"`); i >= 0 {
		rest := msg[i+len(`<->"`):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return rest[:j]
		}
	}
	if i := strings.Index(msg, " from "); i >= 0 {
		rest := msg[i+len(" from "):]
		if j := strings.Index(rest, ": "); j >= 0 {
			return rest[:j]
		}
		return strings.TrimSpace(rest)
	}
	return ""
}
