package event

import (
	"strings"
	"unicode/utf8"
)

// This file holds the lexical checks of the type system. Each works on the
// string in place, allocates nothing, and returns the first problem found.

// stringProblem returns the requirement ID a String value breaks and a short
// reason, or "" if s is a valid String (CORE-TYPE-STRING-1..3).
func stringProblem(s string) (rule, reason string) {
	if printableASCII(s) {
		return "", ""
	}
	return stringProblemFrom(s, 0)
}

// printableASCII reports whether s is all printable ASCII, which is always
// a valid String. It is the fast path of stringProblem: a word at a time,
// the last (possibly overlapping) word covering the tail.
func printableASCII(s string) bool {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f {
				return false
			}
		}
		return true
	}
	// Reslicing, rather than indexing, lets the compiler drop the bounds
	// checks from the loop.
	last := load64At(s, len(s)-8)
	for ; len(s) > 8; s = s[8:] {
		if !plainASCII8(load64At(s, 0)) {
			return false
		}
	}
	return plainASCII8(last)
}

// stringProblemFrom is stringProblem's exact walk, from i (s[:i] is known
// to be a valid String).
func stringProblemFrom(s string, i int) (rule, reason string) {
	for i < len(s) {
		if i+8 <= len(s) && plainASCII8(load64At(s, i)) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return "CORE-TYPE-STRING-1", "holds a control character"
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			// Invalid UTF-8, which includes encoded lone surrogates.
			return "CORE-TYPE-STRING-3", "is not valid UTF-8 (or holds a lone surrogate)"
		case r <= 0x9f:
			return "CORE-TYPE-STRING-1", "holds a control character"
		case isNoncharacter(r):
			return "CORE-TYPE-STRING-2", "holds a Unicode noncharacter"
		}
		i += n
	}
	return "", ""
}

// isNoncharacter reports the 66 noncharacters of Unicode: U+FDD0..U+FDEF and
// the last two code points of every plane.
func isNoncharacter(r rune) bool {
	return (r >= 0xfdd0 && r <= 0xfdef) || r&0xfffe == 0xfffe
}

// validName reports whether s is a legal attribute name (CORE-NAMING-1).
func validName(s string) bool {
	if len(s) >= 8 { // a word at a time, the last word overlapping
		for i := 0; i+8 < len(s); i += 8 {
			if !name8(load64At(s, i)) {
				return false
			}
		}
		return name8(load64At(s, len(s)-8))
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ValidName reports whether name is a legal CloudEvents attribute name:
// one or more of the ASCII characters a-z and 0-9 (CORE-NAMING-1).
func ValidName(name string) bool { return validName(name) }

// Character classes of RFC 3986.
const (
	clsUnreserved = 1 << iota // ALPHA DIGIT - . _ ~
	clsSubDelim               // ! $ & ' ( ) * + , ; =
	clsScheme                 // ALPHA DIGIT + - .
	clsHex                    // HEXDIG
	clsPQ                     // : @ / ? (allowed in path, query, fragment)
)

var uriClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= clsUnreserved | clsScheme
		t[c-'a'+'A'] |= clsUnreserved | clsScheme
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= clsUnreserved | clsScheme | clsHex
	}
	for _, c := range "abcdefABCDEF" {
		t[c] |= clsHex
	}
	for _, c := range "-._~" {
		t[c] |= clsUnreserved
	}
	for _, c := range "+-." {
		t[c] |= clsScheme
	}
	for _, c := range "!$&'()*+,;=" {
		t[c] |= clsSubDelim
	}
	for _, c := range ":@/?" {
		t[c] |= clsPQ
	}
	return t
}()

// pchars checks s against the characters a URI component may hold:
// unreserved, pct-encoded, sub-delims and the extra characters given.
func pchars(s string, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if uriClass[c]&(clsUnreserved|clsSubDelim) != 0 {
			continue
		}
		if c == '%' {
			if i+2 >= len(s) || uriClass[s[i+1]]&clsHex == 0 || uriClass[s[i+2]]&clsHex == 0 {
				return false
			}
			i += 2
			continue
		}
		if strings.IndexByte(extra, c) < 0 {
			return false
		}
	}
	return true
}

// schemeLen returns the length of a leading "scheme:" (without the colon),
// or 0 if s does not start with a scheme.
func schemeLen(s string) int {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return 0
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == ':' {
			return i
		}
		if uriClass[c]&clsScheme == 0 {
			return 0
		}
	}
	return 0
}

// validURIRef reports whether s is a URI-reference (RFC 3986 §4.1):
// a URI or a relative reference. The empty string is a (relative)
// reference; callers that need non-empty check that themselves.
func validURIRef(s string) bool {
	if plainHierURI(s, true) {
		return true
	}
	n := schemeLen(s)
	if n == 0 {
		// relative-ref: the first path segment of a path-noscheme may not
		// hold a colon, else it would read as a scheme.
		if !strings.HasPrefix(s, "//") {
			end := strings.IndexAny(s, "/?#")
			if end < 0 {
				end = len(s)
			}
			if strings.IndexByte(s[:end], ':') >= 0 {
				return false
			}
		}
		return validAfterScheme(s, true)
	}
	return validAfterScheme(s[n+1:], true)
}

// validAbsoluteURI reports whether s is an absolute-URI (RFC 3986 §4.3):
// a scheme, a hierarchical part and an optional query, with no fragment.
func validAbsoluteURI(s string) bool {
	if plainHierURI(s, false) {
		return true
	}
	n := schemeLen(s)
	if n == 0 {
		return false
	}
	return validAfterScheme(s[n+1:], false)
}

// plainHierURI is the one-pass fast path of validURIRef and
// validAbsoluteURI for the common shape scheme "://" reg-name [":" port]
// path [?query] [#fragment], with no percent-encoding, userinfo or IP
// literal. It returns true only for strings the general path accepts, and
// false for everything else, which the general path then decides.
func plainHierURI(s string, fragmentOK bool) bool {
	// scheme "://" (schemeLen's alphabet); the two usual schemes are
	// matched whole, with one compare each.
	var i int
	switch {
	case strings.HasPrefix(s, "https://"):
		i = len("https://")
	case strings.HasPrefix(s, "http://"):
		i = len("http://")
	default:
		if s == "" || uriClass[s[0]]&clsScheme == 0 || s[0] < 'A' {
			return false
		}
		i = 1
		for i < len(s) && uriClass[s[i]]&clsScheme != 0 {
			i++
		}
		if len(s)-i < 3 || s[i] != ':' || s[i+1] != '/' || s[i+2] != '/' {
			return false
		}
		i += 3
	}
	// The usual tail, such as "example.com/orders", is only a-z, 0-9, '-',
	// '.' and '/': then the authority is a reg-name ending at the first
	// '/', and the rest a path, both valid. Such tails are checked a word
	// at a time (the last word overlapping); others take the walk below.
	if t := s[i:]; len(t) >= 8 {
		last := load64At(t, len(t)-8)
		for len(t) > 8 && hierTail8(load64At(t, 0)) {
			t = t[8:]
		}
		if len(t) <= 8 && hierTail8(last) {
			return true
		}
	}
	// reg-name: unreserved and sub-delims only, so no '@' (userinfo),
	// '[' (IP literal) or '%' to weigh.
	for i < len(s) && uriClass[s[i]]&(clsUnreserved|clsSubDelim) != 0 {
		i++
	}
	if i < len(s) && s[i] == ':' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && s[i] != '/' && s[i] != '?' && s[i] != '#' {
		return false // not the end of the authority
	}
	// path, query and fragment: one alphabet, '#' at most once.
	for ; i < len(s); i++ {
		c := s[i]
		if uriClass[c]&(clsUnreserved|clsSubDelim|clsPQ) != 0 {
			continue
		}
		if c != '#' || !fragmentOK {
			return false
		}
		fragmentOK = false
	}
	return true
}

// validAfterScheme checks what follows the scheme (or a whole relative
// reference) in one pass: [//authority] path [?query] [#fragment]. Path,
// query and fragment share one alphabet; only '#' separates them.
func validAfterScheme(s string, fragmentOK bool) bool {
	i := 0
	if strings.HasPrefix(s, "//") {
		end := 2
		for end < len(s) && s[end] != '/' && s[end] != '?' && s[end] != '#' {
			end++
		}
		if !validAuthority(s[2:end]) {
			return false
		}
		i = end
	}
	for ; i < len(s); i++ {
		c := s[i]
		if uriClass[c]&(clsUnreserved|clsSubDelim|clsPQ) != 0 {
			continue
		}
		switch c {
		case '%':
			if i+2 >= len(s) || uriClass[s[i+1]]&clsHex == 0 || uriClass[s[i+2]]&clsHex == 0 {
				return false
			}
			i += 2
		case '#':
			if !fragmentOK {
				return false
			}
			fragmentOK = false // a second '#' is not allowed
		default:
			return false
		}
	}
	return true
}

// validAuthority checks [userinfo "@"] host [":" port].
func validAuthority(s string) bool {
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		if !pchars(s[:i], ":") {
			return false
		}
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || !validIPLiteral(s[1:end]) {
			return false
		}
		s = s[end+1:]
		if s == "" {
			return true
		}
		if s[0] != ':' {
			return false
		}
		return allDigits(s[1:])
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if !allDigits(s[i+1:]) {
			return false
		}
		s = s[:i]
	}
	return pchars(s, "")
}

// validIPLiteral checks the inside of [ ]: an IPv6 address (hex digits,
// colons and an embedded dotted IPv4 tail) or an IPvFuture.
func validIPLiteral(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == 'v' || s[0] == 'V' {
		dot := strings.IndexByte(s, '.')
		if dot < 2 || dot == len(s)-1 {
			return false
		}
		for i := 1; i < dot; i++ {
			if uriClass[s[i]]&clsHex == 0 {
				return false
			}
		}
		return pchars(s[dot+1:], ":") && strings.IndexByte(s[dot+1:], '%') < 0
	}
	colons := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			colons++
		case c == '.' || uriClass[c]&clsHex != 0:
		default:
			return false
		}
	}
	return colons >= 2 && colons <= 7
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validTimestamp reports whether s is an RFC 3339 date-time:
// YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), with T and Z in either case
// (RFC 3339 §5.6 note), real calendar days, and second 60 allowed for leap
// seconds.
func validTimestamp(s string) bool {
	if len(s) < 20 {
		return false
	}
	// "YYYY-MM-DDTHH:MM:SS" as three words, s[0:8], s[8:16] and s[11:19]:
	// the separators compared under a mask (T folded to lower case), the
	// fourteen digit positions tested together.
	w0, w1, w2 := load64At(s, 0), load64At(s, 8), load64At(s, 11)
	const (
		sep0, sepMask0 = '-'<<32 | '-'<<56, 0xff<<32 | 0xff<<56 // s[4], s[7]
		sep1, sepMask1 = 't'<<16 | ':'<<40, 0xff<<16 | 0xff<<40 // s[10], s[13]
		sep2, sepMask2 = ':' << 40, 0xff << 40                  // s[16]
		digits0        = highs &^ (0x80<<32 | 0x80<<56)
		digits1        = highs &^ (0x80<<16 | 0x80<<40)
		digits2        = 0x80<<48 | 0x80<<56 // s[17], s[18]
	)
	if (w0|w1|w2)&highs != 0 || // not ASCII (and digitMask needs none)
		(w0^sep0)&sepMask0 != 0 || ((w1|0x20<<16)^sep1)&sepMask1 != 0 || (w2^sep2)&sepMask2 != 0 ||
		digitMask(w0)&digits0 != digits0 || digitMask(w1)&digits1 != digits1 || digitMask(w2)&digits2 != digits2 {
		return false
	}
	// With the digits checked, a two-digit field compares as its two bytes
	// read big-endian ("23" < "24" exactly when 23 < 24), so the ranges
	// are tested without converting; numbers are made only for the rare
	// cases below that need arithmetic.
	mm, dd := pair(s, 5), pair(s, 8)
	hh, mi, ss := pair(s, 11), pair(s, 14), pair(s, 17)
	if mm < '0'<<8|'1' || mm > '1'<<8|'2' || dd < '0'<<8|'1' || hh > '2'<<8|'3' || mi > '5'<<8|'9' || ss > '6'<<8|'0' {
		return false
	}
	// Every month has 28 days; only a later day needs the month's length.
	if dd > '2'<<8|'8' && num(s, 8, 2) > daysIn(num(s, 0, 4), num(s, 5, 2)) {
		return false
	}
	rest := s[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n]-'0' < 10 {
			n++
		}
		if n == 1 {
			return false // a '.' needs at least one digit
		}
		rest = rest[n:]
	}
	offset := 0 // minutes east of UTC
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest, 1, 2) && rest[3] == ':' && digits(rest, 4, 2):
		oh, om := num(rest, 1, 2), num(rest, 4, 2)
		if oh > 23 || om > 59 {
			return false
		}
		offset = oh*60 + om
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return false
	}
	if ss == '6'<<8|'0' {
		// A leap second exists only as 23:59:60 UTC (RFC 3339 §5.7).
		utc := (num(s, 11, 2)*60 + num(s, 14, 2) - offset + 2*1440) % 1440
		return utc == 23*60+59
	}
	return true
}

// pair returns s[i] and s[i+1] as a big-endian number, which orders
// two-digit fields as their values.
func pair(s string, i int) uint16 { return uint16(s[i])<<8 | uint16(s[i+1]) }

func digits(s string, at, n int) bool {
	for i := at; i < at+n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func num(s string, at, n int) int {
	v := 0
	for i := at; i < at+n; i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
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

// tchar is the token alphabet of RFC 7230 §3.2.6, which RFC 2045/6838 media
// type names and parameter names fit in.
var tchar = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c > 0x20 && c < 0x7f && strings.IndexByte("()<>@,;:\\\"/[]?={}", byte(c)) < 0
	}
	return t
}()

// validMediaType reports whether s is type "/" subtype *(OWS ";" OWS
// parameter), a parameter being token "=" (token / quoted-string), as RFC
// 2046 and RFC 7231 §3.1.1.1 write media types (CORE-ATTR-DATACONTENTTYPE-1).
func validMediaType(s string) bool {
	if s == "application/json" { // the common case, decided at once
		return true
	}
	i := token(s, 0)
	if i == 0 || i >= len(s) || s[i] != '/' {
		return false
	}
	j := token(s, i+1)
	if j == i+1 {
		return false
	}
	for i = j; i < len(s); {
		i = skipOWS(s, i)
		if i >= len(s) || s[i] != ';' {
			return false
		}
		i = skipOWS(s, i+1)
		n := token(s, i)
		if n == i || n >= len(s) || s[n] != '=' {
			return false
		}
		i = n + 1
		if i < len(s) && s[i] == '"' {
			i = quoted(s, i)
			if i < 0 {
				return false
			}
		} else if n = token(s, i); n == i {
			return false
		} else {
			i = n
		}
	}
	return true
}

func token(s string, i int) int {
	for i < len(s) && tchar[s[i]] {
		i++
	}
	return i
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// quoted returns the index after the quoted-string starting at s[i], or -1.
func quoted(s string, i int) int {
	for i++; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			i++
			if i >= len(s) {
				return -1
			}
		case c < 0x20 && c != '\t' || c == 0x7f:
			return -1
		}
	}
	return -1
}

// IsJSONMediaType reports whether the media type declares JSON content:
// subtype "json" or a "+json" suffix, ignoring case and parameters
// (JSON-DATA-3). The empty string is not JSON; callers decide what an
// absent datacontenttype means (JSON-DATA-9).
func IsJSONMediaType(ct string) bool {
	if ct == "application/json" { // the common case, decided at once
		return true
	}
	end := strings.IndexByte(ct, ';')
	if end < 0 {
		end = len(ct)
	}
	for end > 0 && (ct[end-1] == ' ' || ct[end-1] == '\t') {
		end--
	}
	mt := ct[:end]
	slash := strings.IndexByte(mt, '/')
	if slash < 0 {
		return false
	}
	sub := mt[slash+1:]
	return equalFoldASCII(sub, "json") ||
		len(sub) > 5 && equalFoldASCII(sub[len(sub)-5:], "+json")
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// validTraceparent checks the W3C Trace Context traceparent header value
// that the distributed tracing extension carries (EXT-DISTTRACE-2):
// version "-" trace-id "-" parent-id "-" flags, lower-case hex, with the
// all-zero ids and version ff forbidden. Versions above 00 may append
// further "-" fields.
func validTraceparent(s string) bool {
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return false
	}
	// The ids sit at fixed offsets: six words, checked as hex together;
	// an id is all zero exactly when each of its words is "00000000".
	const zeros = '0' * ones
	t0, t1, t2, t3 := load64At(s, 3), load64At(s, 11), load64At(s, 19), load64At(s, 27)
	p0, p1 := load64At(s, 36), load64At(s, 44)
	if (t0|t1|t2|t3|p0|p1)&highs != 0 ||
		lowerHexMask(t0)&lowerHexMask(t1)&lowerHexMask(t2)&lowerHexMask(t3)&lowerHexMask(p0)&lowerHexMask(p1) != highs ||
		t0|t1|t2|t3 == zeros && t0&t1&t2&t3 == zeros || p0 == zeros && p1 == zeros {
		return false
	}
	if !isLowerHex(s[0]) || !isLowerHex(s[1]) || s[0:2] == "ff" || !isLowerHex(s[53]) || !isLowerHex(s[54]) {
		return false
	}
	if len(s) == 55 {
		return true
	}
	return s[0:2] != "00" && s[55] == '-'
}
