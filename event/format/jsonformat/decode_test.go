package jsonformat

import (
	"testing"

	"github.com/openevents/openevents/event"
)

// TestDecodeOwnsItsBytes checks that the decoded strings and data live in
// the decoder's own buffer, escaped ones decoded in place there, so that
// reusing the input changes nothing.
func TestDecodeOwnsItsBytes(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		data string
	}{
		"escapes": {
			in: `{"specversion":"1.0","id":"a\u0062c","source":"/s\/x","type":"t","subject":"\u00e9\ud83d\ude00",` +
				`"x\u0079z":"v\/w","nul":null,"datacontenttype":"text/plain","data":"d\u0061ta\t"}`,
			data: "data\t",
		},
		"base64": {
			in:   `{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"AAEC\u0041w=="}`,
			data: "\x00\x01\x02\x03",
		},
		"json": {
			in:   `{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"k":"\u0041"}}`,
			data: `{"k":"\u0041"}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			in := []byte(tc.in)
			var e event.Event
			if err := Decode(in, &e); err != nil {
				t.Fatal(err)
			}
			want := e.Clone()
			for i := range in {
				in[i] = 'X'
			}
			if !e.Equal(&want) {
				t.Fatalf("event changed with its input")
			}
			if string(e.Data()) != tc.data {
				t.Errorf("data = %q, want %q", e.Data(), tc.data)
			}
			if name == "escapes" {
				if e.ID() != "abc" || e.Source() != "/s/x" || e.Subject() != "é😀" {
					t.Errorf("attributes %q %q %q", e.ID(), e.Source(), e.Subject())
				}
				if v, ok := e.Extension("xyz"); !ok || v.Text() != "v/w" {
					t.Errorf("extension xyz = %v, %v", v, ok)
				}
			}
		})
	}
}
