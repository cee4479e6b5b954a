package binding

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// ErrHeaderValue is matched (errors.Is) by every [*HeaderValueError].
var ErrHeaderValue = errors.New("malformed header value")

// HeaderValueError reports a protocol header value that cannot be decoded
// into an attribute value: a broken quoted-string, a broken percent escape,
// or bytes that are not UTF-8 once decoded.
type HeaderValueError struct {
	Offset int    // byte offset in the header value where decoding failed
	Rule   string // requirement ID, e.g. "HTTP-HEADER-VALUE-17"
	Msg    string // what was wrong
}

func (e *HeaderValueError) Error() string {
	return "binding: " + e.Msg + " at offset " + strconv.Itoa(e.Offset) + " (" + e.Rule + ")"
}

// Is reports whether target is [ErrHeaderValue].
func (e *HeaderValueError) Is(target error) bool { return target == ErrHeaderValue }

// mustEscape marks the bytes AppendHeaderValue percent-encodes: space and
// '"' (HTTP-HEADER-VALUE-9), '%' (HTTP-HEADER-VALUE-10), everything outside
// U+0021-U+007E (HTTP-HEADER-VALUE-11), the C0 and C1 controls included
// (HTTP-HEADER-VALUE-12: the C1 range is non-ASCII, so its UTF-8 bytes are
// all >= 0x80 and escaped with the rest).
var mustEscape = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c <= 0x20 || c >= 0x7f || c == '"' || c == '%'
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// AppendHeaderValue appends s, an attribute's canonical string
// (HTTP-HEADER-VALUE-1), to dst percent-encoded for use as a protocol
// header value, and returns the extended slice. Each byte of the UTF-8
// encoding of a character that needs it is written as %XY with upper-case
// hex (HTTP-HEADER-VALUE-13, HTTP-HEADER-VALUE-14), so a character outside
// the Basic Multilingual Plane becomes its four UTF-8 bytes, never a
// surrogate pair (HTTP-HEADER-VALUE-8). The result is printable US-ASCII
// (HTTP-HEADER-VALUE-2) and is not quoted or encoded further
// (HTTP-HEADER-VALUE-3, HTTP-HEADER-VALUE-4).
//
// It allocates nothing beyond growing dst.
func AppendHeaderValue(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustEscape[c] {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// HeaderValueNeedsEncoding reports whether [AppendHeaderValue] would change
// s; senders use it to pass s through without copying.
func HeaderValueNeedsEncoding(s string) bool {
	for i := 0; i < len(s); i++ {
		if mustEscape[s[i]] {
			return true
		}
	}
	return false
}

// DecodeHeaderValue decodes a protocol header value into the attribute's
// string: double-quoted strings are unquoted first (HTTP-HEADER-VALUE-5,
// HTTP-HEADER-VALUE-7), then exactly one round of percent-decoding runs
// (HTTP-HEADER-VALUE-6), accepting lower-case hex (HTTP-HEADER-VALUE-15)
// and escapes of characters that needed none (HTTP-HEADER-VALUE-16). The
// result must be UTF-8 without overlong forms (HTTP-HEADER-VALUE-17).
//
// A value with nothing to decode is returned as is, without allocating;
// otherwise the result is a new string. Errors are [*HeaderValueError].
func DecodeHeaderValue(s string) (string, error) {
	if !hasEscape(s) {
		if !utf8.ValidString(s) {
			return "", invalidUTF8([]byte(s))
		}
		return s, nil
	}
	b, err := appendDecoded(make([]byte, 0, len(s)), s)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// AppendDecodedHeaderValue decodes the header value v as
// [DecodeHeaderValue] does and appends the result to dst. On error dst is
// returned unchanged with a [*HeaderValueError]. It allocates nothing
// beyond growing dst.
func AppendDecodedHeaderValue[S string | []byte](dst []byte, v S) ([]byte, error) {
	if hasEscape(v) {
		return appendDecoded(dst, v)
	}
	start := len(dst)
	dst = append(dst, v...)
	if !utf8.Valid(dst[start:]) {
		return dst[:start], invalidUTF8(dst[start:])
	}
	return dst, nil
}

func hasEscape[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '"' {
			return true
		}
	}
	return false
}

// appendDecoded unquotes v if it holds a quoted-string, then
// percent-decodes the result into dst and checks it for UTF-8.
func appendDecoded[S string | []byte](dst []byte, v S) ([]byte, error) {
	for i := 0; i < len(v); i++ {
		if v[i] == '"' {
			u, err := unquote(v)
			if err != nil {
				return dst, err
			}
			return appendPercentDecoded(dst, u)
		}
	}
	return appendPercentDecoded(dst, v)
}

// unquote removes the quoted-strings of v (RFC 7230 §3.2.6), which may
// stand anywhere in the value, resolving their quoted-pairs. It runs only
// for values from older senders, so it may allocate.
func unquote[S string | []byte](v S) ([]byte, error) {
	out := make([]byte, 0, len(v))
	inQuote, quoteAt := false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			inQuote, quoteAt = !inQuote, i
		case c == '\\' && inQuote:
			i++
			if i == len(v) {
				return nil, &HeaderValueError{Offset: i - 1, Rule: "HTTP-HEADER-VALUE-5", Msg: "backslash at the end of a quoted string"}
			}
			out = append(out, v[i])
		default:
			out = append(out, c)
		}
	}
	if inQuote {
		return nil, &HeaderValueError{Offset: quoteAt, Rule: "HTTP-HEADER-VALUE-5", Msg: "unterminated quoted string"}
	}
	return out, nil
}

// appendPercentDecoded runs the single round of percent-decoding.
func appendPercentDecoded[S string | []byte](dst []byte, v S) ([]byte, error) {
	start := len(dst)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '%' {
			dst = append(dst, c)
			continue
		}
		if i+2 >= len(v) {
			return dst[:start], badEscape(i)
		}
		hi, ok1 := unhex(v[i+1])
		lo, ok2 := unhex(v[i+2])
		if !ok1 || !ok2 {
			return dst[:start], badEscape(i)
		}
		dst = append(dst, hi<<4|lo)
		i += 2
	}
	if !utf8.Valid(dst[start:]) {
		return dst[:start], invalidUTF8(dst[start:])
	}
	return dst, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func badEscape(i int) error {
	return &HeaderValueError{Offset: i, Rule: "HTTP-HEADER-VALUE-6", Msg: "'%' is not followed by two hex digits"}
}

// invalidUTF8 reports the first invalid sequence of the decoded bytes b;
// the offset counts decoded bytes.
func invalidUTF8(b []byte) error {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		i += size
	}
	return &HeaderValueError{Offset: i, Rule: "HTTP-HEADER-VALUE-17", Msg: "decoded value is not valid UTF-8"}
}
