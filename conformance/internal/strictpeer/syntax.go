package strictpeer

import (
	"errors"
	"net/netip"
	"strings"
)

// This file checks the string syntaxes the core attributes refer to:
// RFC 3986 URIs, RFC 3339 timestamps and RFC 2045 media types.

// uriReference checks RFC 3986 section 4.1 URI-reference: a URI with a
// scheme, or a relative reference.
func uriReference(s string) error {
	if i := strings.IndexAny(s, ":/?#"); i >= 0 && s[i] == ':' {
		// A ':' before any '/', '?' or '#' ends a scheme; in a relative
		// reference the first segment may not hold one (path-noscheme).
		if !validScheme(s[:i]) {
			return errors.New("invalid scheme")
		}
		s = s[i+1:]
	}
	rest, err := uriTail(s, true)
	if err != nil {
		return err
	}
	return hierPart(rest)
}

// absoluteURI checks RFC 3986 section 4.3 absolute-URI, the encoding the
// type system gives URI: a scheme is required and a fragment not allowed.
func absoluteURI(s string) error {
	i := strings.IndexAny(s, ":/?#")
	if i < 0 || s[i] != ':' {
		return errors.New("no scheme")
	}
	if !validScheme(s[:i]) {
		return errors.New("invalid scheme")
	}
	rest, err := uriTail(s[i+1:], false)
	if err != nil {
		return err
	}
	return hierPart(rest)
}

func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// uriTail checks the optional "?" query and "#" fragment and returns what
// comes before them.
func uriTail(s string, fragmentOK bool) (string, error) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		if !fragmentOK {
			return "", errors.New("a fragment is not allowed")
		}
		if !validChars(s[i+1:], isQueryChar) {
			return "", errors.New("invalid fragment")
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		if !validChars(s[i+1:], isQueryChar) {
			return "", errors.New("invalid query")
		}
		s = s[:i]
	}
	return s, nil
}

// hierPart checks an optional "//" authority followed by a path.
func hierPart(s string) error {
	path := s
	if auth, ok := strings.CutPrefix(s, "//"); ok {
		path = ""
		if i := strings.IndexByte(auth, '/'); i >= 0 {
			auth, path = auth[:i], auth[i:]
		}
		if err := authority(auth); err != nil {
			return err
		}
	}
	if !validChars(path, func(c byte) bool { return isPchar(c) || c == '/' }) {
		return errors.New("invalid path")
	}
	return nil
}

// authority checks [ userinfo "@" ] host [ ":" port ].
func authority(a string) error {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		if !validChars(a[:i], func(c byte) bool { return isUnreserved(c) || isSubDelim(c) || c == ':' }) {
			return errors.New("invalid userinfo")
		}
		a = a[i+1:]
	}
	var port string
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 || !ipLiteral(a[1:end]) {
			return errors.New("invalid IP literal")
		}
		if rest := a[end+1:]; rest != "" {
			if rest[0] != ':' {
				return errors.New("invalid authority")
			}
			port = rest[1:]
		}
	} else {
		host := a
		if i := strings.IndexByte(a, ':'); i >= 0 {
			host, port = a[:i], a[i+1:]
		}
		// An IPv4 address is a reg-name as far as the characters go.
		if !validChars(host, func(c byte) bool { return isUnreserved(c) || isSubDelim(c) }) {
			return errors.New("invalid host")
		}
	}
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return errors.New("invalid port")
		}
	}
	return nil
}

// ipLiteral checks the inside of "[...]": IPv6address or IPvFuture. RFC 3986
// has no zone identifiers, which netip would otherwise accept.
func ipLiteral(s string) bool {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		ver, rest, ok := strings.Cut(s[1:], ".")
		if !ok || ver == "" || rest == "" {
			return false
		}
		for i := 0; i < len(ver); i++ {
			if !isHex(ver[i]) {
				return false
			}
		}
		for i := 0; i < len(rest); i++ {
			if c := rest[i]; !isUnreserved(c) && !isSubDelim(c) && c != ':' {
				return false
			}
		}
		return true
	}
	if strings.Contains(s, "%") {
		return false
	}
	addr, err := netip.ParseAddr(s)
	return err == nil && addr.Is6()
}

// validChars reports whether s is made of %XX triplets and bytes ok allows.
func validChars(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
			continue
		}
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }
func isPchar(c byte) bool    { return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '@' }
func isQueryChar(c byte) bool {
	return isPchar(c) || c == '/' || c == '?'
}

// timestamp checks RFC 3339 section 5.6 date-time. time.Parse is not used:
// it refuses a leap second and lower-case 't' and 'z', which the RFC allows,
// and accepts a comma before the fraction, which the RFC does not.
func timestamp(s string) error {
	// full-date "T" partial-time is fixed width: YYYY-MM-DDTHH:MM:SS.
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout) {
		return errors.New("too short")
	}
	for i := 0; i < len(layout); i++ {
		c := s[i]
		switch l := layout[i]; {
		case l == 'd' && !isDigit(c),
			l == 'T' && c != 'T' && c != 't',
			(l == '-' || l == ':') && c != l:
			return errors.New("not of the form YYYY-MM-DDTHH:MM:SS")
		}
	}
	year, month, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hour, minute, second := num(s[11:13]), num(s[14:16]), num(s[17:19])
	switch {
	case month < 1 || month > 12:
		return errors.New("month out of range")
	case day < 1 || day > daysIn(year, month):
		return errors.New("day out of range")
	case hour > 23 || minute > 59:
		return errors.New("time out of range")
	case second > 60: // 60 is a leap second
		return errors.New("second out of range")
	}
	rest := s[len(layout):]
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return errors.New("no digits after '.'")
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z" || rest == "z":
		return nil
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && isDigit(rest[1]) &&
		isDigit(rest[2]) && rest[3] == ':' && isDigit(rest[4]) && isDigit(rest[5]):
		if num(rest[1:3]) > 23 || num(rest[4:6]) > 59 {
			return errors.New("offset out of range")
		}
		return nil
	}
	return errors.New("no valid time zone offset")
}

func num(digits string) int {
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	return n
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// mediaType checks RFC 2045 section 5.1 syntax as HTTP writes it (RFC 7231
// 3.1.1.1): type "/" subtype *( OWS ";" OWS token "=" ( token /
// quoted-string ) ). Only syntax: the type need not be registered.
func mediaType(s string) error {
	i := 0
	token := func() string {
		start := i
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		return s[start:i]
	}
	space := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	if token() == "" {
		return errors.New("no type")
	}
	if i == len(s) || s[i] != '/' {
		return errors.New("no '/' after the type")
	}
	i++
	if token() == "" {
		return errors.New("no subtype")
	}
	for {
		space()
		if i == len(s) {
			return nil
		}
		if s[i] != ';' {
			return errors.New("expected ';'")
		}
		i++
		space()
		if token() == "" {
			return errors.New("parameter without a name")
		}
		if i == len(s) || s[i] != '=' {
			return errors.New("parameter without '='")
		}
		i++
		if i < len(s) && s[i] == '"' {
			n, err := quotedString(s[i:])
			if err != nil {
				return err
			}
			i += n
		} else if token() == "" {
			return errors.New("parameter without a value")
		}
	}
}

// quotedString returns the length of the quoted-string at the start of s.
// Its characters are printable ASCII (RFC 2045 values are ASCII).
func quotedString(s string) (int, error) {
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i++
			if i == len(s) || s[i] < 0x20 || s[i] > 0x7E {
				return 0, errors.New("invalid quoted-pair")
			}
		case c < 0x20 || c > 0x7E:
			return 0, errors.New("invalid character in quoted-string")
		}
	}
	return 0, errors.New("unterminated quoted-string")
}

// isTokenChar is RFC 2045's token character: ASCII but not space, controls
// or tspecials.
func isTokenChar(c byte) bool {
	return c > 0x20 && c < 0x7F && strings.IndexByte(`()<>@,;:\"/[]?=`, c) < 0
}
