package jsonformat

import (
	"errors"
	"strconv"

	"github.com/openevents/openevents/event"
)

// ErrSyntax is matched (errors.Is) by every [*SyntaxError].
var ErrSyntax = errors.New("malformed JSON")

// SyntaxError reports input that is not a well-formed JSON text, or breaks
// a JSON rule that stops decoding (invalid UTF-8, a member name twice).
type SyntaxError struct {
	Offset int64  // byte offset in the input where the problem was found
	Rule   string // requirement ID, e.g. "JSON-SYNTAX-1"
	Msg    string // what was wrong
}

func (e *SyntaxError) Error() string {
	return "jsonformat: " + e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10) + " (" + e.Rule + ")"
}

// Is reports whether target is [ErrSyntax].
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Violation returns the error as an [event.Violation], for callers that
// report syntax errors and validation errors alike.
func (e *SyntaxError) Violation() event.Violation {
	return event.Violation{Rule: e.Rule, Offset: e.Offset, Message: e.Msg}
}

// EncodeError reports an event that cannot be written in the JSON format.
type EncodeError struct {
	Rule string // requirement ID
	Msg  string
	Err  error // the validation error, if the event did not validate
}

func (e *EncodeError) Error() string {
	if e.Err != nil {
		return "jsonformat: cannot encode: " + e.Err.Error()
	}
	return "jsonformat: cannot encode: " + e.Msg + " (" + e.Rule + ")"
}

func (e *EncodeError) Unwrap() error { return e.Err }
