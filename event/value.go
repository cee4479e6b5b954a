package event

import (
	"encoding/base64"
	"strconv"
	"time"
)

// Kind is a type of the CloudEvents type system.
type Kind uint8

// The CloudEvents 1.0 attribute types. The zero Kind is no type: the zero
// [Value] is absent.
const (
	KindString    Kind = iota + 1 // sequence of allowed Unicode characters
	KindBoolean                   // true or false
	KindInteger                   // signed 32-bit whole number
	KindBinary                    // sequence of bytes
	KindURI                       // absolute URI (RFC 3986 §4.3)
	KindURIRef                    // URI-reference (RFC 3986 §4.1)
	KindTimestamp                 // RFC 3339 date-time
)

var kindNames = [...]string{"no type", "String", "Boolean", "Integer", "Binary", "URI", "URI-reference", "Timestamp"}

// String returns the name the specification uses for the type.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one attribute value with its type. The zero Value has no kind.
// Values are immutable and cheap to copy.
type Value struct {
	kind Kind
	n    int32  // Integer value, or 1 for Boolean true
	s    string // String, URI, URI-reference, Timestamp text, or Binary bytes
}

// String returns a String value. The text is not checked here.
func String(s string) Value { return Value{kind: KindString, s: s} }

// Boolean returns a Boolean value.
func Boolean(b bool) Value {
	if b {
		return Value{kind: KindBoolean, n: 1}
	}
	return Value{kind: KindBoolean}
}

// Integer returns an Integer value.
func Integer(i int32) Value { return Value{kind: KindInteger, n: i} }

// Binary returns a Binary value holding a copy of b.
func Binary(b []byte) Value { return Value{kind: KindBinary, s: string(b)} }

// URI returns a URI value from its string form. The text is not checked
// here.
func URI(s string) Value { return Value{kind: KindURI, s: s} }

// URIRef returns a URI-reference value from its string form. The text is
// not checked here.
func URIRef(s string) Value { return Value{kind: KindURIRef, s: s} }

// Timestamp returns a Timestamp value from its RFC 3339 string. The text is
// not checked here.
func Timestamp(s string) Value { return Value{kind: KindTimestamp, s: s} }

// TimestampOf returns a Timestamp value for t, written in RFC 3339 with
// nanoseconds as needed.
func TimestampOf(t time.Time) Value {
	return Value{kind: KindTimestamp, s: t.Format(time.RFC3339Nano)}
}

// Kind returns the value's type; 0 for the zero Value.
func (v Value) Kind() Kind { return v.kind }

// Text returns the string of a String, URI, URI-reference or Timestamp
// value, and "" for other kinds.
func (v Value) Text() string {
	switch v.kind {
	case KindString, KindURI, KindURIRef, KindTimestamp:
		return v.s
	}
	return ""
}

// Bool returns the value of a Boolean, and false for other kinds.
func (v Value) Bool() bool { return v.kind == KindBoolean && v.n != 0 }

// Int returns the value of an Integer, and 0 for other kinds.
func (v Value) Int() int32 {
	if v.kind == KindInteger {
		return v.n
	}
	return 0
}

// Bytes returns a copy of the bytes of a Binary value, and nil for other
// kinds.
func (v Value) Bytes() []byte {
	if v.kind == KindBinary {
		return []byte(v.s)
	}
	return nil
}

// Time parses a Timestamp value. It returns an error for other kinds and
// for text that is not RFC 3339 (CORE-TYPE-TIMESTAMP-1).
func (v Value) Time() (time.Time, error) {
	if v.kind != KindTimestamp {
		return time.Time{}, &ValueError{Kind: v.kind, Want: KindTimestamp}
	}
	if !validTimestamp(v.s) {
		return time.Time{}, &ValueError{Kind: v.kind, Want: KindTimestamp, Text: v.s, Rule: "CORE-TYPE-TIMESTAMP-1"}
	}
	// RFC 3339 allows a lower-case t and z, which time.Parse does not;
	// and Go's time has no leap seconds, so 23:59:60 reads as 23:59:59.
	b := []byte(v.s)
	b[10] = 'T'
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	if b[17] == '6' && b[18] == '0' {
		b[17], b[18] = '5', '9'
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, &ValueError{Kind: v.kind, Want: KindTimestamp, Text: v.s, Rule: "CORE-TYPE-TIMESTAMP-1"}
	}
	return t, nil
}

// String returns the canonical string encoding of the value (CORE spec,
// type system): "true"/"false", decimal integers, base64 for Binary, the
// text itself for the other kinds.
func (v Value) String() string {
	switch v.kind {
	case KindBoolean:
		if v.n != 0 {
			return "true"
		}
		return "false"
	case KindInteger:
		return strconv.Itoa(int(v.n))
	case KindBinary:
		return base64.StdEncoding.EncodeToString([]byte(v.s))
	}
	return v.s
}

// AppendText appends the canonical string encoding of v to dst.
func (v Value) AppendText(dst []byte) []byte {
	switch v.kind {
	case KindBoolean:
		return strconv.AppendBool(dst, v.n != 0)
	case KindInteger:
		return strconv.AppendInt(dst, int64(v.n), 10)
	case KindBinary:
		return base64.StdEncoding.AppendEncode(dst, []byte(v.s))
	}
	return append(dst, v.s...)
}

// Equal reports whether v and o have the same kind and value.
func (v Value) Equal(o Value) bool { return v == o }

// ValueError reports a value of the wrong kind or with invalid text.
type ValueError struct {
	Kind Kind   // the kind the value has
	Want Kind   // the kind the operation needs
	Text string // the offending text, if the kind was right
	Rule string // requirement ID, if a rule was broken
}

func (e *ValueError) Error() string {
	if e.Text != "" || e.Rule != "" {
		return "event: " + strconv.Quote(e.Text) + " is not a valid " + e.Want.String() + " (" + e.Rule + ")"
	}
	return "event: value is " + e.Kind.String() + ", not " + e.Want.String()
}
