package strictpeer

import (
	"fmt"
	"unicode/utf8"
)

// This file is a small strict JSON (RFC 8259) scanner. encoding/json will
// not do here: it keeps the last of two same-named members, and it turns
// invalid UTF-8 and unpaired surrogate escapes into U+FFFD without a word,
// and a strict receiver has to see all three.

// jsonKind is the JSON type of a scanned value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// jsonValue is what the scanner reports about one value. Containers are
// checked in full but not kept as trees: the receiver only needs their kind
// (to refuse them as attribute values) and their bytes (to pass data on).
type jsonValue struct {
	kind    jsonKind
	raw     []byte // the value exactly as it appears in the document
	str     string // a string's decoded text
	truth   bool   // a boolean's value
	intForm bool   // a number written without fraction or exponent
}

// maxDepth bounds nesting so that a body of brackets cannot exhaust the
// stack; it is the depth encoding/json allows as well.
const maxDepth = 10000

type scanner struct {
	b     []byte
	i     int
	depth int
}

type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.off, e.msg)
}

func (s *scanner) fail(msg string) error {
	return &syntaxError{s.i, msg}
}

// scanDocument checks that b is UTF-8 and holds exactly one JSON value with
// optional white space around it. top scans the value; it is called with
// leading white space already skipped.
func scanDocument(b []byte, top func(s *scanner) error) error {
	if !utf8.Valid(b) {
		return &syntaxError{firstInvalid(b), "invalid UTF-8"}
	}
	s := &scanner{b: b}
	s.skipSpace()
	if s.i == len(s.b) {
		return s.fail("no value")
	}
	if err := top(s); err != nil {
		return err
	}
	s.skipSpace()
	if s.i != len(s.b) {
		return s.fail("data after the value")
	}
	return nil
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// peek returns the current byte, or 0 at the end, which no rule accepts.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one value of any type.
func (s *scanner) value() (jsonValue, error) {
	s.skipSpace()
	start := s.i
	var v jsonValue
	var err error
	switch c := s.peek(); {
	case c == '{':
		v.kind = jsonObject
		err = s.object(func(string) error { _, err := s.value(); return err })
	case c == '[':
		v.kind = jsonArray
		err = s.array(func() error { _, err := s.value(); return err })
	case c == '"':
		v.kind = jsonString
		v.str, err = s.string()
	case c == 't':
		v.kind, v.truth = jsonBool, true
		err = s.literal("true")
	case c == 'f':
		v.kind = jsonBool
		err = s.literal("false")
	case c == 'n':
		v.kind = jsonNull
		err = s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		v.kind = jsonNumber
		v.intForm, err = s.number()
	case c == 0 && s.i == len(s.b):
		err = s.fail("unexpected end of input")
	default:
		err = s.fail(fmt.Sprintf("unexpected character %q", c))
	}
	if err != nil {
		return jsonValue{}, err
	}
	v.raw = s.b[start:s.i]
	return v, nil
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.fail("nested too deeply")
	}
	return nil
}

// object scans an object starting at '{'. For each member it calls member
// with the scanner at the member's value, which member must consume. Names
// are compared after unescaping, so "a" and "\u0061" are the same name.
func (s *scanner) object(member func(name string) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	s.i++
	s.skipSpace()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	seen := make(map[string]struct{})
	for {
		s.skipSpace()
		if s.peek() != '"' {
			return s.fail("expected a member name")
		}
		at := s.i
		name, err := s.string()
		if err != nil {
			return err
		}
		if _, dup := seen[name]; dup {
			return &syntaxError{at, fmt.Sprintf("member name %q appears twice", name)}
		}
		seen[name] = struct{}{}
		s.skipSpace()
		if s.peek() != ':' {
			return s.fail("expected ':'")
		}
		s.i++
		if err := member(name); err != nil {
			return err
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.fail("expected ',' or '}'")
		}
	}
}

// array scans an array starting at '['. For each element it calls elem,
// which must consume the element.
func (s *scanner) array(elem func() error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	s.i++
	s.skipSpace()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail("expected ',' or ']'")
		}
	}
}

func (s *scanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.fail("invalid literal")
	}
	s.i += len(word)
	return nil
}

// number scans a number and reports whether it had neither fraction nor
// exponent.
func (s *scanner) number() (bool, error) {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++ // no leading zeros: "01" stops here and fails in the caller
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return false, s.fail("invalid number")
	}
	intForm := true
	if s.peek() == '.' {
		s.i++
		intForm = false
		if !s.digits() {
			return false, s.fail("invalid number: no digits after '.'")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		intForm = false
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false, s.fail("invalid number: no digits in exponent")
		}
	}
	return intForm, nil
}

func (s *scanner) digits() bool {
	start := s.i
	for c := s.peek(); c >= '0' && c <= '9'; c = s.peek() {
		s.i++
	}
	return s.i > start
}

// string scans a string starting at '"' and returns its text. An unpaired
// surrogate escape is written as the three bytes UTF-8 would give the code
// point if it allowed one; the result is then invalid UTF-8, which callers
// that need text refuse, while two different lone surrogates still make
// two different member names.
func (s *scanner) string() (string, error) {
	s.i++
	start := s.i
	var buf []byte // stays nil until the first escape
	for {
		if s.i == len(s.b) {
			return "", s.fail("unterminated string")
		}
		switch c := s.b[s.i]; {
		case c == '"':
			var text string
			if buf == nil {
				text = string(s.b[start:s.i])
			} else {
				text = string(append(buf, s.b[start:s.i]...))
			}
			s.i++
			return text, nil
		case c < 0x20:
			return "", s.fail("control character in string")
		case c == '\\':
			buf = append(buf, s.b[start:s.i]...)
			var err error
			if buf, err = s.escape(buf); err != nil {
				return "", err
			}
			start = s.i
		default:
			s.i++
		}
	}
}

// escape decodes the escape at the backslash and appends its text to buf.
func (s *scanner) escape(buf []byte) ([]byte, error) {
	s.i++ // the backslash
	c := s.peek()
	s.i++
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
	default:
		s.i--
		return nil, s.fail("invalid escape")
	}
	r, ok := s.hex4()
	if !ok {
		return nil, s.fail(`invalid \u escape`)
	}
	if r >= 0xD800 && r <= 0xDBFF && s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
		save := s.i
		s.i += 2
		if lo, ok := s.hex4(); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			return utf8.AppendRune(buf, 0x10000+(r-0xD800)<<10+(lo-0xDC00)), nil
		}
		s.i = save // not a low surrogate: leave it to be decoded on its own
	}
	if r >= 0xD800 && r <= 0xDFFF {
		return append(buf, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F), nil
	}
	return utf8.AppendRune(buf, r), nil
}

// hex4 reads the four hex digits of a \u escape.
func (s *scanner) hex4() (rune, bool) {
	if len(s.b)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	s.i += 4
	return r, true
}
