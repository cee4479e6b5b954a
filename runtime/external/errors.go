package external

import (
	"fmt"
	"strconv"

	"github.com/openevents/openevents/event/binding"
)

// Sentinels of the exec function's transient failures. Each also matches
// [binding.ErrUnavailable], and none matches [binding.ErrRejected], so a
// host retries the event.
var (
	// ErrProtocol is matched by a [*ProtocolError]: a child answered
	// something the exec protocol does not allow.
	ErrProtocol = binding.Sentinel("external: child broke the exec protocol", binding.ErrUnavailable)
	// ErrExited is matched by an [*ExitError]: a child ended, or closed
	// its standard output, before it answered.
	ErrExited = binding.Sentinel("external: child process ended", binding.ErrUnavailable)
	// ErrStart is matched by the error of a call that found its child
	// dead and could not start a new one.
	ErrStart = binding.Sentinel("external: cannot start the child process", binding.ErrUnavailable)
	// ErrInvalidReply is matched by a [*ReplyError]: a child replied with
	// an event that does not validate.
	ErrInvalidReply = binding.Sentinel("external: invalid reply event", binding.ErrUnavailable)
	// ErrClosed is returned by a call on a closed function.
	ErrClosed = binding.Sentinel("external: function closed", binding.ErrUnavailable)
)

// ProtocolError reports an answer line that breaks the exec protocol
// (docs/exec-protocol.md). The child that wrote it has been killed and
// will be restarted; the event failed transiently.
type ProtocolError struct {
	// Pid is the child's process ID.
	Pid int
	// Reason says which rule the answer broke.
	Reason string
	// Line holds up to the first 128 bytes of the answer, if there was
	// one.
	Line []byte
}

func (e *ProtocolError) Error() string {
	s := "external: child " + strconv.Itoa(e.Pid) + " broke the exec protocol: " + e.Reason
	if len(e.Line) > 0 {
		s += ": " + strconv.Quote(string(e.Line))
	}
	return s
}

// Unwrap returns [ErrProtocol].
func (e *ProtocolError) Unwrap() error { return ErrProtocol }

// ExitError reports a child that ended, or closed its standard output,
// while it had an event to answer. The event failed transiently.
type ExitError struct {
	// Pid is the child's process ID.
	Pid int
	// Status is the child's exit status as the operating system reports
	// it ("exit status 3", "signal: killed"), or "running" for a child
	// that closed its standard output and was killed before its status was
	// known.
	Status string
}

func (e *ExitError) Error() string {
	return "external: child " + strconv.Itoa(e.Pid) + " ended before it answered (" + e.Status + ")"
}

// Unwrap returns [ErrExited].
func (e *ExitError) Unwrap() error { return ErrExited }

// ChildError is a failure a child reported for an event with an error
// answer ({"error": "…", "permanent": …}). It matches
// [binding.ErrRejected] (errors.Is) when the child said the failure is
// permanent; otherwise the host may retry the event.
type ChildError struct {
	// Message is the child's description of the failure.
	Message string
	// Permanent is the child's "permanent" member.
	Permanent bool
}

func (e *ChildError) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	return "external: the function failed (" + kind + "): " + e.Message
}

// Is reports whether target is [binding.ErrRejected] and the failure is
// permanent.
func (e *ChildError) Is(target error) bool { return e.Permanent && target == binding.ErrRejected }

// ReplyError reports a reply event that is well-formed JSON but not a
// valid CloudEvent. The child stays in step (it answered once), so it is
// not restarted; the event failed transiently, since the input event was
// not at fault.
type ReplyError struct {
	// Pid is the child's process ID.
	Pid int
	// Err is the decoder's error, an *event.ValidationError. It is not
	// unwrapped: errors.Is(err, event.ErrInvalid) would say the input
	// event was invalid, which a transport answers as a permanent refusal.
	Err error
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("external: child %d replied with an invalid event: %v", e.Pid, e.Err)
}

// Unwrap returns [ErrInvalidReply].
func (e *ReplyError) Unwrap() error { return ErrInvalidReply }
