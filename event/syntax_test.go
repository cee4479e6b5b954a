package event

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// The word-at-a-time and one-pass fast paths must agree with the exact
// checks they shortcut; these tests compare them on every byte value and
// on random strings over the characters that matter.

func TestPlainASCII8(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for c := range 256 {
		for pos := range 8 {
			for range 64 {
				var b [8]byte
				for k := range b {
					b[k] = byte(r.IntN(256))
				}
				b[pos] = byte(c)
				want := true
				for _, x := range b {
					if x < 0x20 || x >= 0x7f {
						want = false
					}
				}
				if got := plainASCII8(load64At(string(b[:]), 0)); got != want {
					t.Fatalf("plainASCII8(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

func TestLowerHexMask(t *testing.T) {
	for c := range 0x80 {
		for pos := range 8 {
			w := load64At("0af7b9c1", 0)&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			want := c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
			if got := lowerHexMask(w) == highs; got != want {
				t.Fatalf("lowerHexMask with byte %#x at %d: %v, want %v", c, pos, got, want)
			}
		}
	}
}

func TestName8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			w := load64At("abcz0189", 0)&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			want := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
			if got := name8(w); got != want {
				t.Fatalf("name8 with byte %#x at %d: %v, want %v", c, pos, got, want)
			}
		}
	}
	for _, s := range []string{"", "a", "traceparent", "trace-parent", "abcdefgh", "abcdefgH", "Abcdefgh", "abcdefghi", "abcdefghI", "abcdefgh\xe9"} {
		want := s != ""
		for i := 0; i < len(s); i++ {
			if (s[i] < 'a' || s[i] > 'z') && (s[i] < '0' || s[i] > '9') {
				want = false
			}
		}
		if got := validName(s); got != want {
			t.Errorf("validName(%q) = %v, want %v", s, got, want)
		}
	}
}

// refStringProblem is the byte-by-byte definition stringProblem must match.
func refStringProblem(s string) string {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return "CORE-TYPE-STRING-3"
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			return "CORE-TYPE-STRING-1"
		case isNoncharacter(r):
			return "CORE-TYPE-STRING-2"
		}
		i += n
	}
	return ""
}

func TestStringProblemFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", "~", " ", "\x1f", "\x7f", "\x00", "é", "\u0085", "\ufdd0", "\uffff", "\xff", "\xc3", "\xed\xa0\x80"}
	for range 200000 {
		var b strings.Builder
		n := r.IntN(24)
		for range n {
			if r.IntN(4) == 0 {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			} else {
				b.WriteByte("abcXYZ09-._"[r.IntN(11)])
			}
		}
		s := b.String()
		if got, _ := stringProblem(s); got != refStringProblem(s) {
			t.Fatalf("stringProblem(%q) = %q, want %q", s, got, refStringProblem(s))
		}
	}
}

func TestPlainHierURIImpliesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	parts := []string{"https://", "a", "B", "1", ":", "/", "?", "#", "@", "[", "]", "%", "%2f", "%g", "-", ".", "!", " ", "\x80", "::1", "v1.x", "8080", "//"}
	for range 300000 {
		var b strings.Builder
		n := r.IntN(10)
		for range n {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		plainHierURIAgrees(t, b.String())
	}
}

// plainHierURIAgrees fails t if plainHierURI accepts s, as a URI or a
// URI-reference, where the general check refuses it.
func plainHierURIAgrees(t *testing.T, s string) {
	t.Helper()
	for _, frag := range []bool{true, false} {
		if !plainHierURI(s, frag) {
			continue
		}
		general := false
		if n := schemeLen(s); n > 0 {
			general = validAfterScheme(s[n+1:], frag)
		}
		if !general {
			t.Fatalf("plainHierURI(%q, %v) accepts what the general check refuses", s, frag)
		}
	}
}

func TestHierTailMask(t *testing.T) {
	for c := range 0x80 { // hierTailMask needs bytes below 0x80
		for pos := range 8 {
			w := load64At("az09-./x", 0)&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			want := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '/'
			if got := hierTailMask(w) == highs; got != want {
				t.Fatalf("hierTailMask with byte %#x at %d: %v, want %v", c, pos, got, want)
			}
		}
	}
}

// TestPlainHierURIFastPaths drives the whole-scheme compares and the
// word-at-a-time tail of plainHierURI: long tails over the word alphabet
// and the characters that end it or change the authority.
func TestPlainHierURIFastPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	prefixes := []string{"https://", "http://", "HTTP://", "ftp://", "https:/", "http:", "https//", ""}
	parts := []string{"example", "a", "0", "-", ".", "/", "com/orders", ":", ":8080", "?", "#", "@", "[::1]", "%2f", "%", "A", "_", "~", "!", " ", "\x80", "\x00", "//"}
	for range 300000 {
		var b strings.Builder
		b.WriteString(prefixes[r.IntN(len(prefixes))])
		for range r.IntN(12) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		plainHierURIAgrees(t, b.String())
	}
	for _, s := range []string{"https://example.com/orders", "http://example.com/a/b-c.d", "https://12345678", "https://example.com:8080/x"} {
		if !plainHierURI(s, false) {
			t.Errorf("plainHierURI(%q) = false, want the fast path to take it", s)
		}
	}
}

func TestTraceparentZeroIDs(t *testing.T) {
	const ok = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{ok, true},
		{"00-00000000000000000000000000000000-b7ad6b7169203331-01", false},
		{"00-00000000000000000000000000000001-b7ad6b7169203331-01", true},
		{"00-10000000000000000000000000000000-b7ad6b7169203331-01", true},
		{"00-00000000100000000000000000000000-b7ad6b7169203331-01", true},
		{"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false},
		{"00-0af7651916cd43dd8448eb211c80319c-0000000000000010-01", true},
		{"00-0af7651916cd43dd8448eb211c80319C-b7ad6b7169203331-01", false},
		{"00-0af7651916cd43dd8448eb211c80319\xb9-b7ad6b7169203331-01", false},
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033/1-01", false},
		{"0:-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false},
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01", false},
		{"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", false},
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g", false},
		{"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-xyz", true},
		{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-xyz", false},
	} {
		if got := validTraceparent(tc.s); got != tc.want {
			t.Errorf("validTraceparent(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestTimestampWordChecks compares validTimestamp with the byte-by-byte
// version it replaced, on valid timestamps with one byte changed.
func TestTimestampWordChecks(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	bases := []string{"2026-11-26T10:00:00.123Z", "2016-12-31t23:59:60z", "1999-02-28T00:00:00+05:30", "2000-02-29T12:34:56-23:59",
		"1900-02-28T00:00:00Z", "2024-04-30T01:02:03.4+00:00", "2023-02-19T00:00:00.123456789Z"}
	subst := []byte("0123456789-:Tt.Zz+ \x00\x80\xff/;A")
	for range 200000 {
		b := []byte(bases[r.IntN(len(bases))])
		for range 1 + r.IntN(2) {
			b[r.IntN(len(b))] = subst[r.IntN(len(subst))]
		}
		s := string(b)
		if got, want := validTimestamp(s), refValidTimestamp(s); got != want {
			t.Fatalf("validTimestamp(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestTimestampFieldRanges sweeps each two-digit field of validTimestamp
// through 00..99, since the fields are range-checked as byte pairs.
func TestTimestampFieldRanges(t *testing.T) {
	check := func(s string) {
		if got, want := validTimestamp(s), refValidTimestamp(s); got != want {
			t.Fatalf("validTimestamp(%q) = %v, want %v", s, got, want)
		}
	}
	two := func(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }
	for _, y := range []string{"1900", "2000", "2023", "2024"} {
		for m := range 100 {
			for d := range 100 {
				check(y + "-" + two(m) + "-" + two(d) + "T23:59:60Z")
				check(y + "-" + two(m) + "-" + two(d) + "T00:00:00.5+01:00")
			}
		}
	}
	for a := range 100 {
		for b := range 100 {
			for _, z := range []string{"Z", "-00:01", "+00:01"} {
				check("2016-12-31T" + two(a) + ":" + two(b) + ":60" + z)
				check("2016-12-31T" + two(a) + ":59:" + two(b) + z)
				check("2016-12-31T23:" + two(a) + ":" + two(b) + z)
			}
		}
	}
}

func refValidTimestamp(s string) bool {
	if len(s) < 20 {
		return false
	}
	// Straight-line over "YYYY-MM-DDTHH:MM:SS": fixed separators, and the
	// fourteen digits checked together with max (a byte below '0' wraps to
	// a large value).
	if s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return false
	}
	y0, y1, y2, y3 := s[0]-'0', s[1]-'0', s[2]-'0', s[3]-'0'
	m0, m1, d0, d1 := s[5]-'0', s[6]-'0', s[8]-'0', s[9]-'0'
	h0, h1, n0, n1, s0, s1 := s[11]-'0', s[12]-'0', s[14]-'0', s[15]-'0', s[17]-'0', s[18]-'0'
	if max(y0, y1, y2, y3, m0, m1, d0, d1, h0, h1, n0, n1, s0, s1) > 9 {
		return false
	}
	year := int(y0)*1000 + int(y1)*100 + int(y2)*10 + int(y3)
	month, day := int(m0)*10+int(m1), int(d0)*10+int(d1)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		h0*10+h1 > 23 || n0*10+n1 > 59 || s0*10+s1 > 60 {
		return false
	}
	i := 19
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	rest := s[i:]
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
	if s0*10+s1 == 60 {
		// A leap second exists only as 23:59:60 UTC (RFC 3339 §5.7).
		utc := (int(h0*10+h1)*60 + int(n0*10+n1) - offset + 2*1440) % 1440
		return utc == 23*60+59
	}
	return true
}

// checkExtension skips the name checks for the names extensionKind knows,
// which is only right while every one of them is a legal name.
func TestExtensionKindNamesAreLegal(t *testing.T) {
	names := []string{AttrID, AttrSource, AttrSpecVersion, AttrType, AttrDataContentType, AttrDataSchema,
		AttrSubject, AttrTime, "data", "traceparent", "dataref", "expirytime", "recordedtime", "partitionkey", "sequence"}
	for _, n := range names {
		if extensionKind(n) == extOther {
			t.Errorf("extensionKind(%q) = extOther", n)
		}
		if !validName(n) {
			t.Errorf("%q is known to extensionKind but not a legal name", n)
		}
	}
	for _, n := range []string{"", "Traceparent", "trace-parent", "traceparent ", "foo"} {
		if extensionKind(n) != extOther {
			t.Errorf("extensionKind(%q) != extOther", n)
		}
	}
}

// foldedPrintable runs foldPrintable on s alone.
func foldedPrintable(s string) bool {
	bad, good := foldPrintable(s, 0, highs)
	return bad&highs == 0 && good&highs == highs
}

// TestFoldPrintable puts every byte value at every position of strings of
// every length up to 56 (the word coverage changes at 8, 16, 32 and 40),
// in a printable background, and checks the fold of several strings
// together.
func TestFoldPrintable(t *testing.T) {
	if foldedPrintable("") {
		t.Fatal(`foldPrintable passes ""`)
	}
	for n := range 57 {
		for pos := range n {
			for c := range 256 {
				b := []byte(strings.Repeat("a~ Z", 15)[:n])
				b[pos] = byte(c)
				want := c >= 0x20 && c < 0x7f
				if got := foldedPrintable(string(b)); got != (want && n > 0) {
					t.Fatalf("foldPrintable(%q) = %v, want %v", b, got, want)
				}
				if got := printableASCII(string(b)); got != want {
					t.Fatalf("printableASCII(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(13, 14))
	for range iterations(100000) {
		var parts [3]string
		want := true
		for k := range parts {
			b := make([]byte, r.IntN(60))
			if len(b) == 0 {
				want = false // foldPrintable refuses ""
			}
			for i := range b {
				b[i] = byte(0x20 + r.IntN(0x5f))
				if r.IntN(64) == 0 {
					b[i] = byte(r.IntN(256))
				}
				if b[i] < 0x20 || b[i] >= 0x7f {
					want = false
				}
			}
			parts[k] = string(b)
		}
		bad, good := foldPrintable(parts[0], 0, highs)
		bad, good = foldPrintable(parts[1], bad, good)
		bad, good = foldPrintable(parts[2], bad, good)
		if got := bad&highs == 0 && good&highs == highs; got != want {
			t.Fatalf("foldPrintable of %q = %v, want %v", parts, got, want)
		}
	}
}

// TestHierTail puts every byte value at every position of tails of every
// length up to 40.
func TestHierTail(t *testing.T) {
	for n := range 41 {
		for pos := range max(n, 1) {
			for c := range 256 {
				b := []byte(strings.Repeat("az09-./", 6)[:n])
				if n > 0 {
					b[pos] = byte(c)
				}
				want := n >= 8
				for _, x := range b {
					if !(x >= 'a' && x <= 'z' || x >= '0' && x <= '9' || x == '-' || x == '.' || x == '/') {
						want = false
					}
				}
				if got := hierTail(string(b)); got != want {
					t.Fatalf("hierTail(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

// refValidTraceparent is the byte-by-byte definition validTraceparent
// must match.
func refValidTraceparent(s string) bool {
	hex := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
				return false
			}
		}
		return true
	}
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return false
	}
	version, traceID, parentID, flags := s[0:2], s[3:35], s[36:52], s[53:55]
	if !hex(version) || !hex(traceID) || !hex(parentID) || !hex(flags) || version == "ff" ||
		traceID == strings.Repeat("0", 32) || parentID == strings.Repeat("0", 16) {
		return false
	}
	return len(s) == 55 || version != "00" && s[55] == '-'
}

func TestTraceparentAgainstReference(t *testing.T) {
	const ok = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	zeroTrace := "00-" + strings.Repeat("0", 32) + "-b7ad6b7169203331-01"
	zeroParent := "00-0af7651916cd43dd8448eb211c80319c-" + strings.Repeat("0", 16) + "-01"
	for pos := range len(ok) {
		for c := range 256 {
			for _, base := range []string{ok, zeroTrace, zeroParent} {
				b := []byte(base)
				b[pos] = byte(c)
				if got, want := validTraceparent(string(b)), refValidTraceparent(string(b)); got != want {
					t.Fatalf("validTraceparent(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(15, 16))
	for range iterations(200000) {
		b := []byte(ok)
		if r.IntN(2) == 0 {
			b = []byte(zeroTrace)
		}
		for i := 3; i < 52; i++ { // ids of mostly zeros, so that one digit decides
			if r.IntN(2) == 0 {
				b[i] = '0'
			}
		}
		if r.IntN(4) == 0 {
			b = append(b, "-x"[:r.IntN(3)]...)
			b[0], b[1] = "0f"[r.IntN(2)], "01f"[r.IntN(3)]
		}
		for range r.IntN(3) {
			b[r.IntN(len(b))] = "0-af\x80g:"[r.IntN(7)]
		}
		if got, want := validTraceparent(string(b)), refValidTraceparent(string(b)); got != want {
			t.Fatalf("validTraceparent(%q) = %v, want %v", b, got, want)
		}
	}
}

// TestTimestampTails compares validTimestamp with the reference on
// fractions of every length up to 20, Z and offset zones, and bytes
// changed anywhere (zTail takes lengths 20 to 27 in one word).
func TestTimestampTails(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	subst := []byte("0123456789-:Tt.Zz+ \x00\x80\xff/;Aa\x7f")
	for range iterations(1000000) {
		b := []byte("2026-11-26T10:00:00")
		if r.IntN(5) == 0 {
			b = []byte("2016-12-31T23:59:60")
		}
		if r.IntN(3) > 0 {
			b = append(b, '.')
			for range r.IntN(21) {
				b = append(b, byte('0'+r.IntN(10)))
			}
		}
		b = append(b, []string{"Z", "z", "+05:30", "-23:59", "+00:00"}[r.IntN(5)]...)
		for range r.IntN(3) {
			b[r.IntN(len(b))] = subst[r.IntN(len(subst))]
		}
		if r.IntN(8) == 0 {
			b = b[:r.IntN(len(b)+1)]
		}
		if got, want := validTimestamp(string(b)), refValidTimestamp(string(b)); got != want {
			t.Fatalf("validTimestamp(%q) = %v, want %v", b, got, want)
		}
	}
	for n := 20; n <= 28; n++ {
		for _, zone := range []string{"Z", "z"} {
			base := []byte("2026-11-26T10:00:00.123456789"[:n-1] + zone)
			for pos := n - 9; pos < n; pos++ {
				for c := range 256 {
					b := append([]byte(nil), base...)
					b[pos] = byte(c)
					if got, want := validTimestamp(string(b)), refValidTimestamp(string(b)); got != want {
						t.Fatalf("validTimestamp(%q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}

// iterations scales the count of a randomized test down under the race
// detector and -short, which slow each iteration or ask for speed.
func iterations(n int) int {
	if raceEnabled || testing.Short() {
		return n / 10
	}
	return n
}
