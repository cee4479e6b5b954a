package strictpeer

import (
	"testing"
	"unicode/utf8"
)

func TestURIReference(t *testing.T) {
	good := []string{
		"https://github.com/cloudevents",
		"mailto:cncf-wg-serverless@lists.cncf.io",
		"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
		"/cloudevents/spec/pull/123",
		"/sensors/tn-1234567/alerts",
		"1-555-123-4567",
		"a", ".", "./a:b", "a/b:c", "?q", "#f", "//host", "//host:", "//host:80/p",
		"http://user:pw@host/p?q=1&r=/?#frag/?",
		"http://[::1]/", "http://[2001:db8::7]:8080", "http://[::ffff:192.0.2.1]",
		"http://[v1.fe80::a+en1]/", "http://192.0.2.1/", "http://h%41st/%7e",
		"s+x-y.z:rest",
	}
	bad := []string{
		"1:2", ":x", "a b", "http://h/a b", "/a%", "/a%4", "/a%zz", "a#b#c",
		"http://[::1", "http://[::1]x", "http://[1.2.3.4]/", "http://[fe80::1%25en0]/",
		"http://[v.x]/", "http://[vz.x]/", "http://h:8a/", "http://a@b@c/",
		"http://h/\"", "/\\", "/a{b}", "/ü", "+a:b",
	}
	for _, s := range good {
		if err := uriReference(s); err != nil {
			t.Errorf("uriReference(%q): %v", s, err)
		}
	}
	for _, s := range bad {
		if uriReference(s) == nil {
			t.Errorf("uriReference(%q) accepted", s)
		}
	}
}

func TestAbsoluteURI(t *testing.T) {
	good := []string{"https://example.com/schema", "urn:example:x", "http://h?q", "tag:x,2024:y", "file:///tmp/x"}
	bad := []string{"", "/schema", "//host/p", "schema", "https://example.com/s#frag", "https://example.com/s#", "1http://x", "http://h/a b"}
	for _, s := range good {
		if err := absoluteURI(s); err != nil {
			t.Errorf("absoluteURI(%q): %v", s, err)
		}
	}
	for _, s := range bad {
		if absoluteURI(s) == nil {
			t.Errorf("absoluteURI(%q) accepted", s)
		}
	}
}

func TestTimestamp(t *testing.T) {
	good := []string{
		"2018-04-05T17:31:00Z", "2018-04-05t17:31:00z", "2018-04-05T17:31:00.000000001Z",
		"2018-04-05T17:31:00+01:00", "2018-04-05T17:31:00-00:00", "2018-04-05T17:31:00.5+23:59",
		"2016-12-31T23:59:60Z", "2000-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
	}
	bad := []string{
		"", "2018-04-05", "2018-04-05T17:31Z", "2018-04-05T17:31:00", "2018-04-05 17:31:00Z",
		"2018-04-05T17:31:00.Z", "2018-04-05T17:31:00,5Z", "2018-04-05T17:31:00+0100",
		"2018-04-05T17:31:00+01", "2018-04-05T17:31:00+24:00", "2018-04-05T17:31:00+01:60",
		"2018-13-05T17:31:00Z", "2018-00-05T17:31:00Z", "2018-04-31T17:31:00Z", "2018-04-00T17:31:00Z",
		"1900-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2018-04-05T24:00:00Z", "2018-04-05T17:60:00Z",
		"2018-04-05T17:31:61Z", "18-04-05T17:31:00Z", "2018-4-05T17:31:00Z", "+2018-04-05T17:31:00Z",
		"2018-04-05T17:31:00ZZ", "2018-04-05T17:31:00Z ", "２０18-04-05T17:31:00Z",
	}
	for _, s := range good {
		if err := timestamp(s); err != nil {
			t.Errorf("timestamp(%q): %v", s, err)
		}
	}
	for _, s := range bad {
		if timestamp(s) == nil {
			t.Errorf("timestamp(%q) accepted", s)
		}
	}
}

func TestMediaType(t *testing.T) {
	good := []string{
		"application/json", "text/plain; charset=utf-8", "text/plain;charset=utf-8",
		`text/plain; charset="utf-8"`, `a/b; x="q \" \\ ;="; y=z`, "application/vnd.apache.thrift.binary",
		"application/cloudevents+json", "*/*", "x-custom/x-sub", "text/plain \t; a=b ; c=d",
	}
	bad := []string{
		"", "json", "text/", "/plain", "text/plain/x", "text /plain", "text/ plain",
		"text/plain;", "text/plain; ", "text/plain; charset", "text/plain; charset=",
		"text/plain; charset = utf-8", "text/plain; =utf-8", `text/plain; a="b`, "text/plain; a=b c",
		"text/plain, text/html", "text/pl@in", "text/plain; a=\"\x01\"", "tëxt/plain",
	}
	for _, s := range good {
		if err := mediaType(s); err != nil {
			t.Errorf("mediaType(%q): %v", s, err)
		}
	}
	for _, s := range bad {
		if mediaType(s) == nil {
			t.Errorf("mediaType(%q) accepted", s)
		}
	}
}

func TestIsJSONType(t *testing.T) {
	for s, want := range map[string]bool{
		"application/json":                  true,
		"text/json":                         true,
		"Application/JSON; charset=utf-8":   true,
		"application/cloudevents+json":      true,
		"application/vnd.x+JSON ; a=b":      true,
		"application/jsonx":                 false,
		"application/json-seq":              false,
		"application/xml":                   false,
		"text/plain; note=application/json": false,
	} {
		if got := isJSONType(s); got != want {
			t.Errorf("isJSONType(%q) = %v", s, got)
		}
	}
}

// TestPercentRoundTrip checks that encoding then decoding gives every
// valid string back, and that encoding leaves only printable ASCII other
// than space, double quote and bare percent signs.
func TestPercentRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", `"q"`, "100%", "%41", "~!#$&'()*+,/:;=?@[]", "Euro € 😀", "\u00a0\ufffd"} {
		enc := percentEncode(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c <= 0x20 || c >= 0x7F || c == '"' {
				t.Errorf("percentEncode(%q) = %q keeps byte 0x%02X", s, enc, c)
			}
			if enc[i] == '%' && (i+2 >= len(enc) || !isHex(enc[i+1]) || !isHex(enc[i+2]) ||
				enc[i+1] >= 'a' || enc[i+2] >= 'a') {
				t.Errorf("percentEncode(%q) = %q: bad triplet at %d", s, enc, i)
			}
		}
		dec, err := percentDecode(enc)
		if err != nil || dec != s {
			t.Errorf("percentDecode(percentEncode(%q)) = %q, %v", s, dec, err)
		}
	}
}

// TestStringRules checks the String type's forbidden characters at their
// edges.
func TestStringRules(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // not encodable as UTF-8; covered over the wire
		}
		want := r > 0x1F && (r < 0x7F || r > 0x9F) &&
			(r < 0xFDD0 || r > 0xFDEF) && r&0xFFFF != 0xFFFE && r&0xFFFF != 0xFFFF
		if got := checkString(string(r)) == nil; got != want {
			t.Errorf("U+%04X allowed=%v, want %v", r, got, want)
		}
	}
	if checkString("\xed\xa0\x80") == nil || checkString("a\xffb") == nil {
		t.Error("invalid UTF-8 accepted")
	}
	if !utf8.ValidString("\U0010FFFD") || checkString("\U0010FFFD") != nil {
		t.Error("U+10FFFD is a private-use character, not a noncharacter")
	}
}
