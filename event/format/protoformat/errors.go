package protoformat

import (
	"errors"
	"strconv"

	"github.com/openevents/openevents/event"
)

// ErrSyntax is matched (errors.Is) by every [*SyntaxError].
var ErrSyntax = errors.New("malformed protobuf")

// SyntaxError reports input that is not a well-formed protobuf message of
// the expected shape: a truncated field, a bad varint, a known field with
// the wrong wire type.
type SyntaxError struct {
	Offset int64  // byte offset in the input where the problem was found
	Rule   string // requirement ID of the field's rule, e.g. "PROTO-ATTR-2"
	Msg    string // what was wrong
}

func (e *SyntaxError) Error() string {
	return "protoformat: " + e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10) + " (" + e.Rule + ")"
}

// Is reports whether target is [ErrSyntax].
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Violation returns the error as an [event.Violation], for callers that
// report syntax errors and validation errors alike.
func (e *SyntaxError) Violation() event.Violation {
	return event.Violation{Rule: e.Rule, Offset: e.Offset, Message: e.Msg}
}

// EncodeError reports an event that cannot be written in the protobuf
// format.
type EncodeError struct {
	Rule string // requirement ID
	Msg  string
	Err  error // the validation error, if the event did not validate
}

func (e *EncodeError) Error() string {
	if e.Err != nil {
		return "protoformat: cannot encode: " + e.Err.Error()
	}
	return "protoformat: cannot encode: " + e.Msg + " (" + e.Rule + ")"
}

func (e *EncodeError) Unwrap() error { return e.Err }
