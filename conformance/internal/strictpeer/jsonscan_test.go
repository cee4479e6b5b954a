package strictpeer

import (
	"encoding/json"
	"testing"
)

func scanOne(doc string) (jsonValue, error) {
	var v jsonValue
	err := scanDocument([]byte(doc), func(s *scanner) error {
		var err error
		v, err = s.value()
		return err
	})
	return v, err
}

// TestScannerGrammar compares the scanner with encoding/json on documents
// where the two ought to agree: plain RFC 8259 grammar, with no duplicate
// names, invalid UTF-8 or lone surrogates involved.
func TestScannerGrammar(t *testing.T) {
	docs := []string{
		`null`, `true`, `false`, `0`, `-0`, `12`, `-12.5e+3`, `1E-2`, `0.0`, `""`, `[]`, `{}`,
		`[1,"a",{"b":[null]}]`, ` { "a" : 1 , "b" : [ ] } `, `"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`,
		`tru`, `nul`, `falsey`, `True`, `-`, `+1`, `01`, `1.`, `.5`, `1e`, `1e+`, `0x1`, `NaN`, `Infinity`,
		`[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{a:1}`, `{"a":1,}`, `{,}`, `[1 2]`, `"\u00G0"`,
		`"\a"`, `"abc`, "\"a\tb\"", `[`, `{`, `"\`, `1 2`, `[]]`, "\u00a0 1",
	}
	for _, doc := range docs {
		_, err := scanOne(doc)
		if got, want := err == nil, json.Valid([]byte(doc)); got != want {
			t.Errorf("%q: scanner says valid=%v, encoding/json %v (%v)", doc, got, want, err)
		}
	}
}

// TestScannerStrings checks decoded text, including what happens to
// surrogate escapes.
func TestScannerStrings(t *testing.T) {
	cases := []struct{ doc, want string }{
		{`"plain"`, "plain"},
		{`"\u0041\u00e9\u20AC"`, "Aé€"},
		{`"\uD83D\uDE00"`, "😀"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\uD800"`, "\xed\xa0\x80"},
		{`"\uDC00x"`, "\xed\xb0\x80x"},
		{`"\uD800\u0041"`, "\xed\xa0\x80A"},
		{`"\uD800\n"`, "\xed\xa0\x80\n"},
		{`"\uD800\uD800\uDC00"`, "\xed\xa0\x80\U00010000"},
		{`"a\/b"`, "a/b"},
		{`"é"`, "é"},
	}
	for _, c := range cases {
		v, err := scanOne(c.doc)
		if err != nil || v.kind != jsonString || v.str != c.want {
			t.Errorf("%s: %q %v, want %q", c.doc, v.str, err, c.want)
		}
	}
}

// TestScannerValues checks kinds, raw text and the integer form flag.
func TestScannerValues(t *testing.T) {
	cases := []struct {
		doc     string
		kind    jsonKind
		raw     string
		intForm bool
	}{
		{` 5 `, jsonNumber, `5`, true},
		{`-0`, jsonNumber, `-0`, true},
		{`5.0`, jsonNumber, `5.0`, false},
		{`5e0`, jsonNumber, `5e0`, false},
		{`true`, jsonBool, `true`, false},
		{`null`, jsonNull, `null`, false},
		{` [ 1 , 2 ] `, jsonArray, `[ 1 , 2 ]`, false},
		{`{"a":{}}`, jsonObject, `{"a":{}}`, false},
	}
	for _, c := range cases {
		v, err := scanOne(c.doc)
		if err != nil || v.kind != c.kind || string(v.raw) != c.raw || v.intForm != c.intForm {
			t.Errorf("%q: %v %q int=%v (%v)", c.doc, v.kind, v.raw, v.intForm, err)
		}
	}
}

// TestScannerStrictness covers what encoding/json lets through.
func TestScannerStrictness(t *testing.T) {
	for _, doc := range []string{
		`{"a":1,"a":1}`,
		`{"a":1,"\u0061":1}`,
		`[{"x":[{"y":1,"y":2}]}]`,
		"\"\xff\"",
		"\"\xed\xa0\x80\"", // a surrogate written out as raw bytes
		"\xef\xbb\xbf{}",
	} {
		if _, err := scanOne(doc); err == nil {
			t.Errorf("%q accepted", doc)
		}
	}
	// Two different lone surrogates are two different names.
	if _, err := scanOne(`{"\uD800":1,"\uD801":1}`); err != nil {
		t.Errorf("distinct lone surrogates taken for one name: %v", err)
	}
}
