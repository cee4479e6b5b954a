package sdkgo

import (
	"errors"
	"strconv"
	"strings"
)

// ErrUnrepresentable is matched (errors.Is) by every [*ConversionError]:
// something in the event cannot be carried to the other model without
// changing or losing it.
var ErrUnrepresentable = errors.New("cannot be represented in the other event model")

// ConversionError reports an attribute or the data of an event that
// [FromSDK] or [ToSDK] cannot carry across unchanged. It matches
// [ErrUnrepresentable] with errors.Is and unwraps to the cause, if any.
type ConversionError struct {
	// Attribute names the attribute concerned, "data" for the data, or ""
	// for the event as a whole.
	Attribute string
	// Rule is the requirement ID (package spec) the conversion would
	// break, or "" when no single requirement applies.
	Rule string
	// Msg says what is wrong, in words.
	Msg string
	// Err is the underlying error (from net/url, time or sdk-go), or nil.
	Err error
}

// Error formats the error as "sdkgo: attribute: message: cause (RULE)",
// leaving out the parts that are empty.
func (e *ConversionError) Error() string {
	var b strings.Builder
	b.WriteString("sdkgo: ")
	if e.Attribute != "" {
		b.WriteString(e.Attribute)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Rule != "" {
		b.WriteString(" (")
		b.WriteString(e.Rule)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is [ErrUnrepresentable].
func (e *ConversionError) Is(target error) bool { return target == ErrUnrepresentable }

// Unwrap returns the underlying error, or nil.
func (e *ConversionError) Unwrap() error { return e.Err }

// quote shortens and quotes s for an error message.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return strconv.Quote(s)
}
