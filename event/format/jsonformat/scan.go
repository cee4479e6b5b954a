package jsonformat

import (
	"errors"
	"math/bits"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects inside data, so that
// hostile input cannot exhaust the stack.
const maxDepth = 1000

// depthMsg is the message of the error for nesting deeper than maxDepth.
const depthMsg = "nesting deeper than 1000 levels, the limit of this decoder"

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

// specials returns a word with the high bit set in each byte of w that a
// string scan must stop at: '"', '\\', a control byte (< 0x20) or a
// non-ASCII byte (>= 0x80). Each byte is tested on its low seven bits,
// where adding 0x7f (or 0x60) cannot carry into the next byte, so every
// bit is exact and bits.TrailingZeros64(m)/8 is the index of the first
// such byte.
func specials(w uint64) uint64 {
	const low7 = 0x7f * ones
	x := w & low7
	// The high bit of each sum is clear exactly when the byte is '"', is
	// '\\', or is below 0x20, respectively.
	keep := ((x ^ '"'*ones) + low7) & ((x ^ '\\'*ones) + low7) & (x + 0x60*ones)
	return (w | ^keep) & highs
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
	if s.pos < len(s.in) && s.in[s.pos] > ' ' {
		return s.in[s.pos] // compact JSON: no white space to skip
	}
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
	if c < 0x20 || c >= 0x7f { // control bytes, DEL and non-ASCII print as hex
		got = "byte 0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&0xf])
	}
	return s.errAt(s.pos, "JSON-SYNTAX-1", "unexpected "+got+", want "+what)
}

// str scans a string whose opening quote is at pos. It returns the span of
// its raw contents (without quotes) and whether they hold escapes, having
// checked escapes and UTF-8.
func (s *scanner) str() (start, end int, escaped bool, err error) {
	start = s.pos + 1
	end, escaped = scanString(s.in, start)
	if end < 0 {
		return 0, 0, false, s.strError(start)
	}
	s.pos = end + 1
	return start, end, escaped, nil
}

// scanString is the hot loop of str: from i (just after the opening
// quote) it finds the closing quote, checking escapes and UTF-8. It
// returns the index of the closing quote, or -1 if the string is
// malformed (strError then says why).
func scanString(in []byte, i int) (end int, escaped bool) {
	// Fast path: a string with no escape and no non-ASCII byte, found a
	// word at a time.
	for i+8 <= len(in) {
		m := specials(load64At(in, i))
		if m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			if in[i] == '"' {
				return i, false
			}
			break
		}
		i += 8
	}
	return scanStringSlow(in, i)
}

// scanStringSlow finishes scanString from i, handling escapes, non-ASCII
// bytes and the last few bytes of the input.
func scanStringSlow(in []byte, i int) (end int, escaped bool) {
	for {
		// Eight bytes at a time: skip to the first byte that needs a look.
		if i+8 <= len(in) {
			m := specials(load64At(in, i))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else if i >= len(in) {
			return -1, false
		}
		switch c := in[i]; {
		case c == '"':
			return i, escaped
		case plain[c]:
			i++
		case c == '\\':
			escaped = true
			if i+1 >= len(in) {
				return -1, false
			}
			switch in[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(in) || hexVal(in[i+2:i+6]) < 0 {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		default:
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n <= 1 {
				return -1, false
			}
			i += n
		}
	}
}

// strError rescans a malformed string starting at i (after its opening
// quote) to say what is wrong with it.
func (s *scanner) strError(i int) error {
	in := s.in
	for i < len(in) {
		c := in[i]
		switch {
		case c == '\\':
			if i+1 >= len(in) {
				return s.errAt(i, "JSON-SYNTAX-1", "unterminated escape")
			}
			switch in[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(in) || hexVal(in[i+2:i+6]) < 0 {
					return s.errAt(i, "JSON-SYNTAX-1", "invalid \\u escape")
				}
				i += 6
			default:
				return s.errAt(i, "JSON-SYNTAX-1", "invalid escape character")
			}
		case c < 0x20:
			return s.errAt(i, "JSON-SYNTAX-1", "control character in string (must be escaped)")
		case c >= 0x80:
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n <= 1 {
				return s.errAt(i, "JSON-SYNTAX-2", "invalid UTF-8")
			}
			i += n
		default:
			i++
		}
	}
	return s.errAt(s.pos, "JSON-SYNTAX-1", "unterminated string")
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
	start = s.pos
	end, integer := scanNumber(s.in, start)
	if end < 0 {
		return 0, false, s.errAt(-end-1, "JSON-SYNTAX-1", "invalid number")
	}
	s.pos = end
	return start, integer, nil
}

// digit marks '0'..'9'.
var digit = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	return t
}()

func skipDigits(in []byte, i int) int {
	for i < len(in) && digit[in[i]] {
		i++
	}
	return i
}

// scanNumber finds the end of the number starting at i. On malformed input
// it returns -(offset of the problem)-1.
func scanNumber(in []byte, i int) (end int, integer bool) {
	if i < len(in) && in[i] == '-' {
		i++
	}
	if i >= len(in) || !digit[in[i]] {
		return -i - 1, false
	}
	if in[i] == '0' {
		i++
	} else {
		i = skipDigits(in, i+1)
	}
	integer = true
	if i < len(in) && in[i] == '.' {
		integer = false
		i++
		if i >= len(in) || !digit[in[i]] {
			return -i - 1, false
		}
		i = skipDigits(in, i+1)
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		integer = false
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		if i >= len(in) || !digit[in[i]] {
			return -i - 1, false
		}
		i = skipDigits(in, i+1)
	}
	return i, integer
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
// syntax, and leaves pos after it. It is iterative: the nesting is a bit
// stack (1 = object) bounded by maxDepth, so hostile input cannot exhaust
// the goroutine stack.
func (s *scanner) value() error {
	if end, ok := skipValue(s.in, s.pos); ok {
		s.pos = end
		return nil
	}
	return s.valueDetailed()
}

// valueDetailed is value's slow twin, run only on input skipValue refused:
// it walks the same grammar to say where and why the input is wrong.
func (s *scanner) valueDetailed() error {
	var stack [maxDepth/64 + 1]uint64
	depth := 0
	for {
		// A value.
		c := s.peek()
		switch {
		case c == '"':
			if _, _, _, err := s.str(); err != nil {
				return err
			}
		case c == '{' || c == '[':
			if depth >= maxDepth {
				return s.errAt(s.pos, "JSON-SYNTAX-1", depthMsg)
			}
			s.pos++
			closer := byte(']')
			if c == '{' {
				stack[depth>>6] |= 1 << (depth & 63)
				closer = '}'
			} else {
				stack[depth>>6] &^= 1 << (depth & 63)
			}
			depth++
			if s.peek() == closer {
				s.pos++
				depth--
				break
			}
			if c == '{' {
				if err := s.key(); err != nil {
					return err
				}
			}
			continue
		case c == 't':
			if err := s.literal("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := s.literal("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := s.literal("null"); err != nil {
				return err
			}
		case c == '-' || c >= '0' && c <= '9':
			if _, _, err := s.number(); err != nil {
				return err
			}
		default:
			return s.unexpected("a JSON value")
		}
		// After a value: close containers or move to the next element.
		for {
			if depth == 0 {
				return nil
			}
			inObject := stack[(depth-1)>>6]&(1<<((depth-1)&63)) != 0
			c := s.peek()
			switch {
			case c == ',':
				s.pos++
				if inObject {
					if err := s.key(); err != nil {
						return err
					}
				}
			case c == '}' && inObject, c == ']' && !inObject:
				s.pos++
				depth--
				continue
			case inObject:
				return s.unexpected("',' or '}'")
			default:
				return s.unexpected("',' or ']'")
			}
			break
		}
	}
}

// skipWS returns the index of the first byte at or after i that is not
// JSON white space.
func skipWS(in []byte, i int) int {
	for i < len(in) && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r') {
		i++
	}
	return i
}

// key scans a member name and its colon.
func (s *scanner) key() error {
	if s.peek() != '"' {
		return s.unexpected("a member name")
	}
	if _, _, _, err := s.str(); err != nil {
		return err
	}
	if s.peek() != ':' {
		return s.unexpected("':'")
	}
	s.pos++
	return nil
}

// checkJSON returns nil when b is exactly one JSON value (with optional
// surrounding white space), else a *SyntaxError saying what is wrong.
func checkJSON(b []byte) error {
	s := scanner{in: b}
	if err := s.value(); err != nil {
		return err
	}
	if s.ws(); s.pos != len(b) {
		return s.errAt(s.pos, "JSON-SYNTAX-1", "data after the JSON value")
	}
	return nil
}

// tooDeep reports whether err is the scanner's refusal of nesting deeper
// than maxDepth.
func tooDeep(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se) && se.Msg == depthMsg
}
