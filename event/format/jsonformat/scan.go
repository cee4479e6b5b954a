package jsonformat

import (
	"encoding/binary"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects inside data, so that
// hostile input cannot exhaust the stack.
const maxDepth = 1000

// plain marks bytes that a JSON string may hold as they are and that need
// no further look: printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether all eight bytes of w are plain (see plain), with
// a few word operations: no byte >= 0x80, none below 0x20, no '"' or '\\'.
func plain8(w uint64) bool {
	q := w ^ ('"' * ones)
	bs := w ^ ('\\' * ones)
	bad := (q - ones) & ^q
	bad |= (bs - ones) & ^bs
	bad |= (w - 0x20*ones) & ^w
	return (bad|w)&highs == 0
}

// scanner walks a JSON text. Methods advance pos and return a *SyntaxError
// (as error) on malformed input.
type scanner struct {
	in  []byte
	pos int
}

func (s *scanner) errAt(pos int, rule, msg string) error {
	return &SyntaxError{Offset: int64(pos), Rule: rule, Msg: msg}
}

func (s *scanner) ws() {
	for s.pos < len(s.in) {
		switch s.in[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.in) {
		return s.in[s.pos]
	}
	return 0
}

func (s *scanner) expect(c byte, what string) error {
	if s.peek() != c {
		return s.unexpected(what)
	}
	s.pos++
	return nil
}

func (s *scanner) unexpected(what string) error {
	if s.pos >= len(s.in) {
		return s.errAt(s.pos, "JSON-SYNTAX-1", "unexpected end of input, want "+what)
	}
	c := s.in[s.pos]
	got := "'" + string(rune(c)) + "'"
	if c < 0x20 || c >= 0x80 {
		got = "byte 0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&0xf])
	}
	return s.errAt(s.pos, "JSON-SYNTAX-1", "unexpected "+got+", want "+what)
}

// str scans a string whose opening quote is at pos. It returns the span of
// its raw contents (without quotes) and whether they hold escapes, having
// checked escapes and UTF-8.
func (s *scanner) str() (start, end int, escaped bool, err error) {
	in := s.in
	i := s.pos + 1
	start = i
	for {
		// Eight plain bytes at a time while they last.
		for i+8 <= len(in) && plain8(binary.LittleEndian.Uint64(in[i:])) {
			i += 8
		}
		if i >= len(in) {
			return 0, 0, false, s.errAt(s.pos, "JSON-SYNTAX-1", "unterminated string")
		}
		c := in[i]
		switch {
		case plain[c]:
			i++
		case c == '"':
			s.pos = i + 1
			return start, i, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(in) {
				return 0, 0, false, s.errAt(i, "JSON-SYNTAX-1", "unterminated escape")
			}
			switch in[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(in) || hexVal(in[i+2:i+6]) < 0 {
					return 0, 0, false, s.errAt(i, "JSON-SYNTAX-1", "invalid \\u escape")
				}
				i += 6
			default:
				return 0, 0, false, s.errAt(i, "JSON-SYNTAX-1", "invalid escape character")
			}
		case c < 0x20:
			return 0, 0, false, s.errAt(i, "JSON-SYNTAX-1", "control character in string (must be escaped)")
		default:
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n <= 1 {
				return 0, 0, false, s.errAt(i, "JSON-SYNTAX-2", "invalid UTF-8")
			}
			i += n
		}
	}
}

// hexVal decodes four hex digits, or returns -1.
func hexVal(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// unescape appends the decoded contents of a string (raw span, already
// checked by str) to dst. It reports whether the text held a lone
// surrogate, which is written as U+FFFD since UTF-8 cannot carry it.
func unescape(dst, raw []byte) ([]byte, bool) {
	lone := false
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hexVal(raw[i+2:])
			i += 6
			if utf16IsHigh(r) && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
				if lo := hexVal(raw[i+2:]); utf16IsLow(lo) {
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					i += 6
				}
			}
			if r >= 0xd800 && r <= 0xdfff {
				lone = true
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst, lone
}

func utf16IsHigh(r rune) bool { return r >= 0xd800 && r < 0xdc00 }
func utf16IsLow(r rune) bool  { return r >= 0xdc00 && r < 0xe000 }

// number scans a JSON number at pos and reports whether it was written as
// an integer (no fraction, no exponent).
func (s *scanner) number() (start int, integer bool, err error) {
	in := s.in
	i := s.pos
	start = i
	if i < len(in) && in[i] == '-' {
		i++
	}
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case i < len(in) && in[i] >= '1' && in[i] <= '9':
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
	default:
		return 0, false, s.errAt(i, "JSON-SYNTAX-1", "invalid number")
	}
	integer = true
	if i < len(in) && in[i] == '.' {
		integer = false
		i++
		d := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false, s.errAt(i, "JSON-SYNTAX-1", "invalid number: no digit after '.'")
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		integer = false
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		d := i
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false, s.errAt(i, "JSON-SYNTAX-1", "invalid number: no digit in exponent")
		}
	}
	s.pos = i
	return start, integer, nil
}

// literal scans true, false or null at pos.
func (s *scanner) literal(word string) error {
	if len(s.in)-s.pos < len(word) || string(s.in[s.pos:s.pos+len(word)]) != word {
		return s.unexpected("a JSON value")
	}
	s.pos += len(word)
	return nil
}

// value scans any JSON value at pos (after white space), checking its
// syntax, and leaves pos after it.
func (s *scanner) value(depth int) error {
	switch s.peek() {
	case '"':
		_, _, _, err := s.str()
		return err
	case '{':
		if depth >= maxDepth {
			return s.errAt(s.pos, "JSON-SYNTAX-1", "nesting deeper than 1000 levels")
		}
		s.pos++
		if s.peek() == '}' {
			s.pos++
			return nil
		}
		for {
			if s.peek() != '"' {
				return s.unexpected("a member name")
			}
			if _, _, _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':', "':'"); err != nil {
				return err
			}
			if err := s.value(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.pos++
			case '}':
				s.pos++
				return nil
			default:
				return s.unexpected("',' or '}'")
			}
		}
	case '[':
		if depth >= maxDepth {
			return s.errAt(s.pos, "JSON-SYNTAX-1", "nesting deeper than 1000 levels")
		}
		s.pos++
		if s.peek() == ']' {
			s.pos++
			return nil
		}
		for {
			if err := s.value(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.pos++
			case ']':
				s.pos++
				return nil
			default:
				return s.unexpected("',' or ']'")
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		_, _, err := s.number()
		return err
	}
	return s.unexpected("a JSON value")
}

// validJSON reports whether b is exactly one JSON value (with optional
// surrounding white space).
func validJSON(b []byte) bool {
	s := scanner{in: b}
	if s.value(0) != nil {
		return false
	}
	s.ws()
	return s.pos == len(b)
}
