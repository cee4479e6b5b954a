package event

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is matched (errors.Is) by every [*ValidationError]: the input
// was understood but is not a valid CloudEvent.
var ErrInvalid = errors.New("not a valid CloudEvent")

// Violation is one broken rule.
type Violation struct {
	// Rule is the requirement ID from the OpenEvents catalog (package
	// spec), for example "CORE-ATTR-SUBJECT-1".
	Rule string
	// Attribute names the attribute concerned, or "" for the event as a
	// whole.
	Attribute string
	// Pointer is the JSON pointer (RFC 6901) of the offending member when
	// the event came from JSON or when the attribute maps to a member;
	// "" when unknown.
	Pointer string
	// Offset is the byte offset in the input of the offending value, or -1
	// when unknown.
	Offset int64
	// Message says what is wrong, in words.
	Message string
}

// String formats the violation as "pointer: message (RULE)".
func (v Violation) String() string {
	var b strings.Builder
	if v.Pointer != "" {
		b.WriteString(printable(v.Pointer))
		b.WriteString(": ")
	} else if v.Attribute != "" {
		b.WriteString(printable(v.Attribute))
		b.WriteString(": ")
	}
	b.WriteString(v.Message)
	if v.Offset >= 0 {
		b.WriteString(" at offset ")
		b.WriteString(strconv.FormatInt(v.Offset, 10))
	}
	b.WriteString(" (")
	b.WriteString(v.Rule)
	b.WriteString(")")
	return b.String()
}

// ValidationError lists every rule an event breaks. It matches
// [ErrInvalid] with errors.Is.
type ValidationError struct {
	Violations []Violation
}

func (e *ValidationError) Error() string {
	switch len(e.Violations) {
	case 0:
		return "event: " + ErrInvalid.Error()
	case 1:
		return "event: " + e.Violations[0].String()
	}
	return "event: " + e.Violations[0].String() + " (and " +
		strconv.Itoa(len(e.Violations)-1) + " more)"
}

// Is reports whether target is [ErrInvalid].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Rules returns the requirement IDs of the violations, in order, each once.
func (e *ValidationError) Rules() []string {
	var out []string
	for _, v := range e.Violations {
		if !contains(out, v.Rule) {
			out = append(out, v.Rule)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// violations accumulates findings without allocating until the first one.
type violations struct {
	list []Violation
}

func (vs *violations) add(rule, attr, msg string) {
	p := ""
	if attr != "" {
		p = "/" + attr
	}
	vs.list = append(vs.list, Violation{Rule: rule, Attribute: attr, Pointer: p, Offset: -1, Message: msg})
}

func (vs *violations) err() error {
	if len(vs.list) == 0 {
		return nil
	}
	return &ValidationError{Violations: vs.list}
}

// printable returns s as it is when every character prints, else quoted
// with escapes: pointers and names come from the input, and a control
// character (C0, DEL, C1) must not reach a terminal or a log raw.
func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}
