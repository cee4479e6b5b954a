package event

import (
	"errors"
	"strconv"
	"strings"
)

// DefaultMaxAttributes is the number of attributes, core and extension,
// one event may carry before a decoder refuses it, unless the decoder is
// given another limit. No event seen in practice comes near it; the limit
// exists so that one input cannot make a receiver hold and sort an
// unbounded list (a 4 MiB request has room for about 260,000 one-letter
// extensions).
const DefaultMaxAttributes = 1024

// ErrTooManyAttributes is matched (errors.Is) by every [*AttributeLimitError].
var ErrTooManyAttributes = errors.New("too many attributes")

// AttributeLimitError reports an event with more attributes than the
// decoder's limit. It is a bound the receiver sets, not a rule of the
// specification, so it carries no requirement ID.
type AttributeLimitError struct {
	Max    int   // the limit that was exceeded
	Offset int64 // byte offset in the input where the limit was passed, or -1
}

func (e *AttributeLimitError) Error() string {
	var b strings.Builder
	b.WriteString("the event has more than ")
	b.WriteString(strconv.Itoa(e.Max))
	b.WriteString(" attributes, the receiver's limit (MaxAttributes)")
	if e.Offset >= 0 {
		b.WriteString(" at offset ")
		b.WriteString(strconv.FormatInt(e.Offset, 10))
	}
	return b.String()
}

// Is reports whether target is [ErrTooManyAttributes].
func (e *AttributeLimitError) Is(target error) bool { return target == ErrTooManyAttributes }

// MaxAttributesOr returns n, or [DefaultMaxAttributes] when n is 0 or
// less: how options with a zero value meaning "the default" read it.
func MaxAttributesOr(n int) int {
	if n <= 0 {
		return DefaultMaxAttributes
	}
	return n
}

// SetExtensions replaces all extensions with ext, given in any order, in
// nearly linear time however the names arrive (inserting them one at a time
// with [Event.SetExtension] costs O(n) each). It sorts ext by name in
// place and keeps it. A name given more than once is kept once, with one
// of its values; SetExtensions returns each repeated name, once per
// repeat, so that the caller can refuse the input (nil when there is
// none). Names are not checked; [Event.Validate] does.
func (e *Event) SetExtensions(ext []Extension) (repeated []string) {
	e.set &^= bitChecked
	if len(ext) == 0 {
		e.ext = ext
		return nil
	}
	if !extSorted(ext) {
		SortExtensions(ext)
	}
	w := 1
	for i := 1; i < len(ext); i++ {
		if ext[i].Name == ext[w-1].Name {
			repeated = append(repeated, ext[i].Name)
			continue
		}
		ext[w] = ext[i]
		w++
	}
	clear(ext[w:])
	e.ext = ext[:w]
	return repeated
}

// extSorted reports whether ext is in non-decreasing name order, the
// usual case, which needs no sort.
func extSorted(ext []Extension) bool {
	for i := 1; i < len(ext); i++ {
		if ext[i].Name < ext[i-1].Name {
			return false
		}
	}
	return true
}
