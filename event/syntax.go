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
	if hierTail(s[i:]) {
		return true
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

// hierTail reports whether t is at least eight bytes of a-z, 0-9, '-',
// '.' and '/', the usual tail of a URI after "scheme://" (see
// plainHierURI). The words at 0 and len-8 cover up to 16 bytes, one at 8
// up to 24, and a loop takes the middle of longer tails.
func hierTail(t string) bool {
	n := len(t)
	if n < 8 {
		return false
	}
	w0, w1 := load64At(t, 0), load64At(t, n-8)
	or, and := w0|w1, hierTailMask(w0)&hierTailMask(w1)
	if n > 16 {
		w := load64At(t, 8)
		or |= w
		and &= hierTailMask(w)
		for i := 16; i < n-8; i += 8 {
			w := load64At(t, i)
			or |= w
			and &= hierTailMask(w)
		}
	}
	// hierTailMask needs bytes below 0x80, which or confirms.
	return or&highs == 0 && and == highs
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
	switch timestampHead(s) {
	case tsValid:
		return true
	case tsTail:
		return timestampTail(s)
	}
	return false
}

// What timestampHead found.
const (
	tsInvalid = iota // s is not a timestamp
	tsValid          // s is a timestamp
	tsTail           // s[:19] is a valid date and time; timestampTail decides
)

// timestampHead checks the date and time of s, and the usual tails: "Z"
// after the seconds or after a fraction of up to six digits. It calls
// nothing, so it needs no stack frame; callers on a hot path call it
// first and timestampTail only for tsTail.
func timestampHead(s string) int {
	if len(s) < 20 {
		return tsInvalid
	}
	// "YYYY-MM-DDTHH:MM:SS" as three words, s[0:8], s[8:16] and s[11:19],
	// T folded to t, each byte within tsLo and tsHi: a separator is its
	// own bound, a digit 0-9, or less where it leads a field (month 0-1,
	// day 0-3, hour 0-2, minute 0-5, second 0-6). w + (0x80-lo) has a
	// byte's high bit set when the byte is >= lo, w + (0x7f-hi) when it is
	// > hi, so one sum of each kind tests all eight bytes of a word; bytes
	// >= 0x80 (which could carry) are refused through w itself.
	const (
		lo0 = '0'*0x01010101 | ('-'|'0'<<8|'0'<<16|'-'<<24)<<32 // tsLo[0:8]
		hi0 = '9'*0x01010101 | ('-'|'1'<<8|'9'<<16|'-'<<24)<<32 // tsHi[0:8]
		lo1 = '0' | '0'<<8 | 't'<<16 | '0'<<24 | '0'<<32 | ':'<<40 | '0'<<48 | '0'<<56
		hi1 = '3' | '9'<<8 | 't'<<16 | '2'<<24 | '9'<<32 | ':'<<40 | '5'<<48 | '9'<<56
		lo2 = '0' | '0'<<8 | ':'<<16 | '0'<<24 | '0'<<32 | ':'<<40 | '0'<<48 | '0'<<56
		hi2 = '2' | '9'<<8 | ':'<<16 | '5'<<24 | '9'<<32 | ':'<<40 | '6'<<48 | '9'<<56
	)
	w0, w1, w2 := load64At(s, 0), load64At(s, 8)|0x20<<16, load64At(s, 11)
	atLeast := (w0 + (highs - lo0)) & (w1 + (highs - lo1)) & (w2 + (highs - lo2))
	above := w0 | w1 | w2 | (w0 + (0x7f*ones - hi0)) | (w1 + (0x7f*ones - hi1)) | (w2 + (0x7f*ones - hi2))
	if atLeast&highs != highs || above&highs != 0 {
		return tsInvalid
	}
	// With the digits checked, a two-digit field compares as its two bytes
	// read big-endian ("23" < "24" exactly when 23 < 24), so the ranges
	// the byte bounds leave open are tested without converting; numbers
	// are made only for the rare cases below that need arithmetic.
	mm, dd := uint16(s[5])<<8|uint16(s[6]), uint16(s[8])<<8|uint16(s[9])
	hh, ss := uint16(s[11])<<8|uint16(s[12]), uint16(s[17])<<8|uint16(s[18])
	if mm < '0'<<8|'1' || mm > '1'<<8|'2' || dd < '0'<<8|'1' || hh > '2'<<8|'3' || ss > '6'<<8|'0' {
		return tsInvalid
	}
	// Every month has 28 days; only a later day needs the month's length.
	if dd > '2'<<8|'8' && num(s, 8, 2) > daysIn(num(s, 0, 4), num(s, 5, 2)) {
		return tsInvalid
	}
	// The usual tail is one word with bounds per byte (zTail); a tail that
	// fails that test, or any other, is left to timestampTail.
	if n := len(s) - 20; n >= len(zTail) || zTail[n].ge == 0 || !zTail[n].holds(load64At(s, len(s)-8)) {
		return tsTail
	}
	// A leap second exists only as 23:59:60 UTC (RFC 3339 §5.7); the zone
	// here is Z.
	if ss == '6'<<8|'0' && !(hh == '2'<<8|'3' && s[14] == '5' && s[15] == '9') {
		return tsInvalid
	}
	return tsValid
}

// tsLo and tsHi bound each byte of "YYYY-MM-DDtHH:MM:SS" (see
// validTimestamp).
const tsLo, tsHi = "0000-00-00t00:00:00", "9999-19-39t29:59:69"

// wordBounds holds the addends that test each byte of a word against a
// lower and an upper bound (see validTimestamp).
type wordBounds struct{ ge, gt uint64 }

// holds reports whether every byte of w lies within the bounds; the last
// byte is folded to lower case first (Z and z read as z).
func (b wordBounds) holds(w uint64) bool {
	w |= 0x20 << 56
	return (w+b.ge)&highs == highs && (w|(w+b.gt))&highs == 0
}

// zTail holds, by len(s)-20, the bounds of the last word of a timestamp
// that ends in "SSZ" or "SS." 1-6 digits "Z" (the word then reaches back
// to the '.'); ge is zero for the length 21, which has no such form.
var zTail = func() (t [8]wordBounds) {
	for n := range t {
		if n == 1 {
			continue // "SS.Z": a fraction needs a digit
		}
		end := 20 + n
		for k := range 8 {
			lo, hi := byte('0'), byte('9') // the fraction
			switch p := end - 8 + k; {
			case p == end-1:
				lo, hi = 'z', 'z'
			case p == 19:
				lo, hi = '.', '.'
			case p < 19:
				lo, hi = tsLo[p], tsHi[p]
			}
			t[n].ge |= uint64(0x80-lo) << (8 * k)
			t[n].gt |= uint64(0x7f-hi) << (8 * k)
		}
	}
	return t
}()

// timestampTail checks what follows the seconds of a timestamp whose
// first 19 bytes timestampHead has checked: an optional fraction and the
// zone, and a leap second against the zone.
func timestampTail(s string) bool {
	offset, ok := timestampZone(s)
	if !ok {
		return false
	}
	if s[17:19] == "60" {
		// A leap second exists only as 23:59:60 UTC (RFC 3339 §5.7).
		utc := (num(s, 11, 2)*60 + num(s, 14, 2) - offset + 2*1440) % 1440
		return utc == 23*60+59
	}
	return true
}

// timestampZone checks the fraction and zone of a timestamp (see
// timestampTail) and returns the zone's offset in minutes east of UTC.
func timestampZone(s string) (offset int, ok bool) {
	// The zone is the last byte (Z) or the last six (+HH:MM); what lies
	// between it and the seconds must be empty or a fraction.
	end := len(s) - 1
	if s[end]|0x20 != 'z' {
		end = len(s) - 6
		if end < 19 {
			return 0, false
		}
		z := s[end:]
		if z[0] != '+' && z[0] != '-' || !digits(z, 1, 2) || z[3] != ':' || !digits(z, 4, 2) {
			return 0, false
		}
		oh, om := num(z, 1, 2), num(z, 4, 2)
		if oh > 23 || om > 59 {
			return 0, false
		}
		offset = oh*60 + om
		if z[0] == '-' {
			offset = -offset
		}
	}
	// s[20:end] must be digits: the word before end tests up to eight
	// of them (its bytes before s[20] are the checked seconds and '.'),
	// and fractionDigits any before that.
	if n := end - 20; n >= 0 {
		if s[19] != '.' || n == 0 {
			return 0, false
		}
		// A byte >= 0x80 is refused through w itself; it can carry only
		// into the bytes after it, which are then refused with it.
		want := uint64(highs)
		if n < 8 {
			want = highs << ((64 - 8*n) & 63) // the last n bytes
		} else if !fractionDigits(s, end) {
			return 0, false
		}
		if w := load64At(s, end-8); digitMask(w)&^w&want != want {
			return 0, false
		}
	}
	return offset, true
}

// fractionDigits reports whether s[20:end-8] is all digits, a word at a
// time; the caller checks the last eight bytes before end.
func fractionDigits(s string, end int) bool {
	for i := 20; i+8 < end; i += 8 {
		if w := load64At(s, i); digitMask(w)&^w != highs {
			return false
		}
	}
	return true
}

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
	// Seven words tile s[:55]: s[0:8], s[8:16], ..., s[40:48] and
	// s[47:55]. With the three dashes (bytes 2, 35 and 52) turned into
	// '0', every byte must be lower-case hex, which is tested on all seven
	// words together.
	const dashTo0 = '-' ^ '0'
	w0 := load64At(s, 0) ^ dashTo0<<16
	w1, w2, w3 := load64At(s, 8), load64At(s, 16), load64At(s, 24)
	w4 := load64At(s, 32) ^ dashTo0<<24
	w5, w6 := load64At(s, 40), load64At(s, 47)^dashTo0<<40
	// A byte >= 0x80 could carry in lowerHexMask; it is refused through
	// the OR of the words first.
	if (w0|w1|w2|w3|w4|w5|w6)&highs != 0 ||
		lowerHexMask(w0)&lowerHexMask(w1)&lowerHexMask(w2)&lowerHexMask(w3)&
			lowerHexMask(w4)&lowerHexMask(w5)&lowerHexMask(w6) != highs {
		return false
	}
	// The ids may not be all zero: s[8:16] and s[40:48] lie inside the
	// trace-id (s[3:35]) and the parent-id (s[36:52]), so one compare
	// each settles the usual case.
	const zeros = '0' * ones
	if w1 == zeros && w2 == zeros && w3 == zeros && load64At(s, 3) == zeros && load64At(s, 27) == zeros ||
		w5 == zeros && load64At(s, 36) == zeros && load64At(s, 44) == zeros || s[0:2] == "ff" {
		return false
	}
	if len(s) == 55 {
		return true
	}
	return s[0:2] != "00" && s[55] == '-'
}
