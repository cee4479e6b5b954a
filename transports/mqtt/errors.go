package mqtt

import (
	"errors"
	"fmt"

	"github.com/openevents/openevents/event/binding"
)

// Sentinels that callers branch on with errors.Is. Those about a message
// also match the protocol-neutral outcome of event/binding they stand for.
var (
	// ErrNotAuthorized is matched by a [*ReasonError] whose code says the
	// client may not publish or subscribe there (MQTT 5.0 0x87, 0x86,
	// MQTT 3.1.1 CONNACK 4 and 5).
	ErrNotAuthorized = errors.New("cemqtt: not authorized")
	// ErrTopicInvalid is matched by a [*ReasonError] for a topic name or
	// filter the broker refuses (0x8F, 0x90).
	ErrTopicInvalid = errors.New("cemqtt: topic invalid")
	// ErrUnsupportedFormat is matched by a [*MessageError] for a structured
	// message in an event format this package cannot read (MQTT-FORMAT-1
	// requires JSON only), and for application/cloudevents-batch, which MQTT
	// does not define.
	ErrUnsupportedFormat = binding.Sentinel("cemqtt: unsupported event format", binding.ErrUnsupportedMediaType)
	// ErrClosed is returned by a method called after Close or Shutdown.
	ErrClosed = errors.New("cemqtt: closed")
	// ErrMalformed is matched by a [*MessageError] for an MQTT 5.0
	// PUBLISH whose Content Type or user properties are not the
	// well-formed UTF-8 strings MQTT requires (see section 1.5.4 of the
	// MQTT 5.0 standard).
	ErrMalformed = binding.Sentinel("cemqtt: malformed message", binding.ErrMalformed)
	// ErrMessageTooLarge is matched by a [*MessageError] for a message
	// over the limit of [WithMaxMessageBytes], and by the error reported
	// when the broker sends a larger packet of another kind (the
	// connection is then dropped).
	ErrMessageTooLarge = binding.Sentinel("cemqtt: message too large", binding.ErrTooLarge)
)

// A ReasonError is a failure reason code sent by the broker in CONNACK,
// PUBACK, PUBREC or SUBACK. It matches the sentinels of the reason table
// with errors.Is and, for payload format invalid, [binding.ErrRejected].
type ReasonError struct {
	Packet string // "CONNACK", "PUBACK", "PUBREC" or "SUBACK"
	Code   byte   // the MQTT reason code (3.1.1: CONNACK return code, SUBACK 0x80)
	Reason string // the broker's reason string, if it sent one
}

func (e *ReasonError) Error() string {
	name := "unknown reason"
	if r, ok := lookupReason(e.Code); ok {
		name = r.name
	}
	s := fmt.Sprintf("cemqtt: %s reason code 0x%02X (%s)", e.Packet, e.Code, name)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is reports whether target is the sentinel the code maps to.
func (e *ReasonError) Is(target error) bool {
	r, ok := lookupReason(e.Code)
	return ok && r.err != nil && r.err == target
}

// reason is one row of the reason-code table.
type reason struct {
	code      byte
	name      string
	err       error // sentinel matched by errors.Is, or nil
	retryable bool  // may succeed if tried again later
}

// reasons is the one table from the MQTT 5.0 reason codes a publisher or
// subscriber can meet to our errors. Codes below 0x80 are success.
var reasons = [...]reason{
	{0x80, "unspecified error", nil, true},
	{0x81, "malformed packet", nil, false},
	{0x82, "protocol error", nil, false},
	{0x83, "implementation specific error", nil, true},
	{0x84, "unsupported protocol version", nil, false},
	{0x85, "client identifier not valid", nil, false},
	{0x86, "bad user name or password", ErrNotAuthorized, false},
	{0x87, "not authorized", ErrNotAuthorized, false},
	{0x88, "server unavailable", binding.ErrUnavailable, true},
	{0x89, "server busy", binding.ErrOverloaded, true},
	{0x8A, "banned", ErrNotAuthorized, false},
	{0x8F, "topic filter invalid", ErrTopicInvalid, false},
	{0x90, "topic name invalid", ErrTopicInvalid, false},
	{0x91, "packet identifier in use", nil, true},
	{0x95, "packet too large", binding.ErrTooLarge, false},
	{0x97, "quota exceeded", binding.ErrOverloaded, true},
	{0x99, "payload format invalid", binding.ErrRejected, false},
	{0x9A, "retain not supported", nil, false},
	{0x9B, "QoS not supported", nil, false},
	{0x9E, "shared subscriptions not supported", nil, false},
	{0x9F, "connection rate exceeded", binding.ErrOverloaded, true},
	{0xA1, "subscription identifiers not supported", nil, false},
	{0xA2, "wildcard subscriptions not supported", nil, false},
}

func lookupReason(code byte) (reason, bool) {
	for _, r := range reasons {
		if r.code == code {
			return r, true
		}
	}
	return reason{}, false
}

// IsRetryable reports whether err may go away if the same operation is
// tried again later: a transient broker reason code, or a connection
// failure. Configuration errors, refusals for authorization or topic, and
// invalid events are not retryable.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if re, ok := errors.AsType[*ReasonError](err); ok {
		r, known := lookupReason(re.Code)
		return known && r.retryable
	}
	if errors.Is(err, ErrConfig) || errors.Is(err, ErrClosed) || errors.Is(err, errEncode) {
		return false
	}
	return errors.Is(err, errConnection)
}

// errConnection is wrapped by errors that come from a lost or failed
// connection.
var errConnection = errors.New("cemqtt: connection failed")

// errEncode is wrapped by errors for events that cannot be encoded.
var errEncode = errors.New("cemqtt: cannot encode event")

// A MessageError reports a received message that the [Subscriber] did not
// deliver to its handler, or that the handler rejected; it reaches the
// hook set with [WithErrorHook], once for every such message. Err is
// the cause: a *jsonformat.SyntaxError or *event.ValidationError naming
// the broken requirement, [ErrUnsupportedFormat], an error wrapping
// [ErrMessageTooLarge] that states the size and the limit, or the
// handler's error (wrapping [binding.ErrRejected]).
//
// MQTT does not tell a subscriber who published a message; the topic and
// the broker are all that is known of its origin.
type MessageError struct {
	Topic  string // the PUBLISH topic name
	Broker string // host:port of the broker it came from
	Size   int    // payload bytes (read or, for a message too large, discarded)
	Err    error
}

func (e *MessageError) Error() string {
	return fmt.Sprintf("cemqtt: message on topic %q from broker %s (%d bytes of payload) refused: %v", e.Topic, e.Broker, e.Size, e.Err)
}

func (e *MessageError) Unwrap() error { return e.Err }

// A HandlerError reports a transient handler failure: the message stays
// unacknowledged and the broker delivers it again (see [Subscriber]).
type HandlerError struct {
	Topic string
	Err   error
}

func (e *HandlerError) Error() string {
	return "cemqtt: handler failed for message on topic " + e.Topic + ", it will be redelivered: " + e.Err.Error()
}

func (e *HandlerError) Unwrap() error { return e.Err }
