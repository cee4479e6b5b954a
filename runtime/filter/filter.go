package filter

import (
	"strconv"

	"github.com/openevents/openevents/event"
)

// Filter is a compiled list of filter expressions, the filters of one
// subscription. An event matches when every expression is true for it
// (SUBS-FILTER-1, SUBS-FILTER-2); the zero Filter has no expression and
// matches every event (SUBS-FILTER-3).
//
// A Filter is immutable once built by [New], so it is safe for concurrent
// use and cheap to copy (copies share the compiled tree).
type Filter struct {
	exprs []node
}

// op is the dialect of a compiled expression.
type op uint8

const (
	opExact op = iota + 1
	opPrefix
	opSuffix
	opAll
	opAny
	opNot
)

// dialectNames maps each op to the name it has in a filter expression.
var dialectNames = [...]string{
	opExact:  "exact",
	opPrefix: "prefix",
	opSuffix: "suffix",
	opAll:    "all",
	opAny:    "any",
	opNot:    "not",
}

// node is one compiled filter expression: the attribute tests of an exact,
// prefix or suffix expression, or the nested expressions of all, any and
// not (exactly one for not).
type node struct {
	op    op
	tests []test
	kids  []node
}

// test compares one attribute with one string.
type test struct {
	name string // a valid attribute name (CORE-NAMING-1)
	want string // not empty
	// bin is, for an exact test whose want is canonical base64, the Binary
	// value that encodes to want, so that a Binary attribute is compared
	// without encoding it; the zero Value (which equals no present
	// attribute) otherwise.
	bin event.Value
}

// Empty reports whether f has no expression, and so matches every event
// (SUBS-FILTER-3).
func (f Filter) Empty() bool { return len(f.exprs) == 0 }

// Match reports whether e passes every expression of f. It does not
// retain e and does not allocate, with one exception: a prefix or suffix
// test of an attribute of type Binary (which only the protobuf format or
// program code produce) builds the attribute's base64 text, on the heap
// when it is longer than 128 bytes.
func (f Filter) Match(e *event.Event) bool {
	for i := range f.exprs {
		if !f.exprs[i].match(e) {
			return false // SUBS-FILTER-1
		}
	}
	return true // SUBS-FILTER-2, SUBS-FILTER-3
}

func (n *node) match(e *event.Event) bool {
	switch n.op {
	case opExact, opPrefix, opSuffix:
		for i := range n.tests {
			if !n.tests[i].match(n.op, e) {
				return false
			}
		}
		return true
	case opAll: // SUBS-FILTER-ALL-1
		for i := range n.kids {
			if !n.kids[i].match(e) {
				return false
			}
		}
		return true
	case opAny: // SUBS-FILTER-ANY-1
		for i := range n.kids {
			if n.kids[i].match(e) {
				return true
			}
		}
		return false
	case opNot: // SUBS-FILTER-NOT-1
		return !n.kids[0].match(e)
	}
	return false
}

// match compares the canonical string encoding of the attribute with
// t.want; an absent attribute never matches (SUBS-FILTER-EXACT-1,
// SUBS-FILTER-PREFIX-1, SUBS-FILTER-SUFFIX-1: see their notes).
func (t *test) match(o op, e *event.Event) bool {
	v, ok := e.Lookup(t.name)
	if !ok {
		return false
	}
	switch v.Kind() {
	case event.KindBoolean:
		if v.Bool() {
			return compare(o, "true", t.want)
		}
		return compare(o, "false", t.want)
	case event.KindInteger:
		var buf [16]byte
		return compareBytes(o, strconv.AppendInt(buf[:0], int64(v.Int()), 10), t.want)
	case event.KindBinary:
		if o == opExact {
			return v == t.bin
		}
		var buf [128]byte
		return compareBytes(o, v.AppendText(buf[:0]), t.want)
	}
	// String, URI, URI-reference and Timestamp: the text is the canonical
	// form.
	return compare(o, v.Text(), t.want)
}

// compare applies the test o to the attribute text s; comparisons are
// case-sensitive byte comparisons.
func compare(o op, s, want string) bool {
	switch o {
	case opExact:
		return s == want
	case opPrefix:
		return len(s) >= len(want) && s[:len(want)] == want
	case opSuffix:
		return len(s) >= len(want) && s[len(s)-len(want):] == want
	}
	return false
}

// compareBytes is compare for text in a byte slice; the string
// conversions in comparisons do not allocate.
func compareBytes(o op, s []byte, want string) bool {
	switch o {
	case opExact:
		return string(s) == want
	case opPrefix:
		return len(s) >= len(want) && string(s[:len(want)]) == want
	case opSuffix:
		return len(s) >= len(want) && string(s[len(s)-len(want):]) == want
	}
	return false
}
