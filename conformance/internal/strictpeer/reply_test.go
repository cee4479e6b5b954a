package strictpeer

import (
	"net/http"
	"testing"
)

// absent marks a header the reply must not carry at all.
const absent = "\x00absent"

// TestReply checks the event a Reply handler answers with: binary mode,
// status 200, ce- headers percent-encoded, Content-Type from datacontenttype
// and the data as the body.
func TestReply(t *testing.T) {
	srv := newServer(t, Options{Reply: true})
	cases := []struct {
		name    string
		headers []header
		body    string
		// want maps reply header names to values; absent means missing.
		want     map[string]string
		wantBody string
	}{
		{
			name:     "binary echo",
			headers:  append(minimal(), header{"Content-Type", "text/plain; charset=utf-8"}, header{"ce-subject", "s"}),
			body:     "hello",
			want:     map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "1", "Ce-Source": "/src", "Ce-Type": "t", "Ce-Subject": "s", "Content-Type": "text/plain; charset=utf-8", "Ce-Datacontenttype": absent},
			wantBody: "hello",
		},
		{
			name:     "binary data without type",
			headers:  minimal(),
			body:     "<html>not sniffed</html>",
			want:     map[string]string{"Content-Type": absent},
			wantBody: "<html>not sniffed</html>",
		},
		{
			name:    "no data no type",
			headers: minimal(),
			want:    map[string]string{"Content-Type": absent, "Content-Length": "0"},
		},
		{
			name:    "type without data",
			headers: append(minimal(), header{"Content-Type", "application/xml"}),
			want:    map[string]string{"Content-Type": "application/xml"},
		},
		{
			name:    "non-ce headers not echoed",
			headers: append(minimal(), header{"X-Trace", "1"}),
			want:    map[string]string{"X-Trace": absent},
		},
		{
			name:    "upper-case name echoed lower-case",
			headers: append(minimal(), header{"CE-EXT", "v"}),
			want:    map[string]string{"Ce-Ext": "v"},
		},
		{
			name:    "percent-encoding",
			headers: append(minimal(), header{"ce-subject", "%20%22%25~!a"}),
			want:    map[string]string{"Ce-Subject": "%20%22%25~!a"},
		},
		{
			name:    "lower-case hex answered upper-case",
			headers: append(minimal(), header{"ce-subject", "Euro%20%e2%82%ac%20%f0%9f%98%80"}),
			want:    map[string]string{"Ce-Subject": "Euro%20%E2%82%AC%20%F0%9F%98%80"},
		},
		{
			name:    "needless encoding dropped",
			headers: append(minimal(), header{"ce-subject", "%41%2F%3A"}),
			want:    map[string]string{"Ce-Subject": "A/:"},
		},
		{
			name:    "decoded once only",
			headers: append(minimal(), header{"ce-subject", "%2541"}),
			want:    map[string]string{"Ce-Subject": "%2541"},
		},
		{
			name:    "quoted value",
			headers: append(minimal(), header{"ce-subject", `"hello world"`}),
			want:    map[string]string{"Ce-Subject": "hello%20world"},
		},
		{
			name:    "quoted escapes",
			headers: append(minimal(), header{"ce-subject", `"say \"hi\" \\ o"`}),
			want:    map[string]string{"Ce-Subject": `say%20%22hi%22%20\%20o`},
		},
		{
			name:    "quoted then percent-decoded",
			headers: append(minimal(), header{"ce-subject", `"100%25 %41"`}),
			want:    map[string]string{"Ce-Subject": "100%25%20A"},
		},
		{
			name:    "quoted part of a value",
			headers: append(minimal(), header{"ce-subject", `a"b c"d`}),
			want:    map[string]string{"Ce-Subject": "ab%20cd"},
		},
		{
			name:    "backslash outside quotes",
			headers: append(minimal(), header{"ce-subject", `a\b`}),
			want:    map[string]string{"Ce-Subject": `a\b`},
		},
		{
			name:    "unencoded space accepted",
			headers: append(minimal(), header{"ce-subject", "a b"}),
			want:    map[string]string{"Ce-Subject": "a%20b"},
		},
		{
			name:    "extension named data",
			headers: append(minimal(), header{"ce-data", "x"}),
			want:    map[string]string{"Ce-Data": "x"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkReply(t, post(t, srv, c.headers, c.body, http.StatusOK), c.want, c.wantBody)
		})
	}
}

// TestReplyStructured checks how a JSON-format event is answered in binary
// mode: typed values in canonical form, data by datacontenttype.
func TestReplyStructured(t *testing.T) {
	srv := newServer(t, Options{Reply: true})
	cases := []struct {
		name     string
		body     string
		headers  []header // sent beside the structured Content-Type
		want     map[string]string
		wantBody string
	}{
		{
			name:    "headers beside the body are not attributes",
			body:    object(""),
			headers: []header{{"ce-subject", "from-header"}, {"ce-id", "other"}},
			want:    map[string]string{"Ce-Subject": absent, "Ce-Id": "1"},
		},
		{
			name: "typed extensions",
			body: object(`,"int":-42,"zero":-0,"max":2147483647,"yes":true,"no":false,"str":"5","nil":null`),
			want: map[string]string{"Ce-Int": "-42", "Ce-Zero": "0", "Ce-Max": "2147483647", "Ce-Yes": "true", "Ce-No": "false", "Ce-Str": "5", "Ce-Nil": absent},
		},
		{
			name: "string encoding",
			body: object(`,"subject":"Euro \u20AC \uD83D\uDE00","ext":"\"q\" 100%"`),
			want: map[string]string{"Ce-Subject": "Euro%20%E2%82%AC%20%F0%9F%98%80", "Ce-Ext": "%22q%22%20100%25"},
		},
		{
			name: "null attribute dropped",
			body: object(`,"subject":null,"time":null,"datacontenttype":null`),
			want: map[string]string{"Ce-Subject": absent, "Ce-Time": absent, "Content-Type": absent},
		},
		{
			name: "no data",
			body: object(""),
			want: map[string]string{"Content-Type": absent, "Content-Length": "0"},
		},
		{
			name:     "JSON object data, type implied",
			body:     object(`,"data":{"a" : [1, true]}`),
			want:     map[string]string{"Content-Type": "application/json"},
			wantBody: `{"a" : [1, true]}`,
		},
		{
			name:     "JSON string data keeps its quotes",
			body:     object(`,"data":"I'm just a string"`),
			want:     map[string]string{"Content-Type": "application/json"},
			wantBody: `"I'm just a string"`,
		},
		{
			name:     "JSON string data is not parsed again",
			body:     object(`,"datacontenttype":"application/json","data":"{\"a\":1}"`),
			want:     map[string]string{"Content-Type": "application/json"},
			wantBody: `"{\"a\":1}"`,
		},
		{name: "data null", body: object(`,"data":null`), want: map[string]string{"Content-Type": "application/json"}, wantBody: "null"},
		{name: "data false", body: object(`,"data":false`), want: map[string]string{"Content-Type": "application/json"}, wantBody: "false"},
		{name: "data zero", body: object(`,"data":0`), want: map[string]string{"Content-Type": "application/json"}, wantBody: "0"},
		{name: "data empty string", body: object(`,"data":""`), want: map[string]string{"Content-Type": "application/json"}, wantBody: `""`},
		{name: "data empty array", body: object(`,"data":[]`), want: map[string]string{"Content-Type": "application/json"}, wantBody: "[]"},
		{name: "data number", body: object(`,"data":-1.5e3`), want: map[string]string{"Content-Type": "application/json"}, wantBody: "-1.5e3"},
		{
			name:     "+json type keeps JSON text",
			body:     object(`,"datacontenttype":"application/cloudevents+json","data":{"x":1}`),
			want:     map[string]string{"Content-Type": "application/cloudevents+json"},
			wantBody: `{"x":1}`,
		},
		{
			name:     "text data is the string's text",
			body:     object(`,"datacontenttype":"text/xml","data":"<much wow=\"xml\"/>"`),
			want:     map[string]string{"Content-Type": "text/xml"},
			wantBody: `<much wow="xml"/>`,
		},
		{
			name:     "empty text data",
			body:     object(`,"datacontenttype":"text/plain","data":""`),
			want:     map[string]string{"Content-Type": "text/plain"},
			wantBody: "",
		},
		{
			name:     "binary data",
			body:     object(`,"datacontenttype":"application/octet-stream","data_base64":"AAEC/w=="`),
			want:     map[string]string{"Content-Type": "application/octet-stream"},
			wantBody: "\x00\x01\x02\xff",
		},
		{
			name:     "null data_base64 is no data",
			body:     object(`,"data_base64":null`),
			want:     map[string]string{"Content-Type": absent},
			wantBody: "",
		},
		{
			name:     "binary data without type",
			body:     object(`,"data_base64":"PGh0bWw+"`),
			want:     map[string]string{"Content-Type": absent},
			wantBody: "<html>",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, srv, append([]header{ceJSON}, c.headers...), c.body, http.StatusOK)
			checkReply(t, r, c.want, c.wantBody)
		})
	}
}

func checkReply(t *testing.T, r result, want map[string]string, wantBody string) {
	t.Helper()
	for name, v := range want {
		got, ok := r.header[http.CanonicalHeaderKey(name)]
		switch {
		case v == absent && ok:
			t.Errorf("%s: %q, want no such header", name, got)
		case v != absent && (len(got) != 1 || got[0] != v):
			t.Errorf("%s: %q, want %q", name, got, v)
		}
	}
	if r.body != wantBody {
		t.Errorf("body %q, want %q", r.body, wantBody)
	}
}

// TestNoReply checks that a single event is answered 204 with no body when
// Reply is off.
func TestNoReply(t *testing.T) {
	srv := newServer(t, Options{})
	for _, r := range []result{
		post(t, srv, minimal(), "data", http.StatusNoContent),
		post(t, srv, []header{ceJSON}, object(`,"data":1`), http.StatusNoContent),
	} {
		if r.body != "" || r.header.Get("Ce-Id") != "" {
			t.Errorf("204 answer carries an event: %v %q", r.header, r.body)
		}
	}
}
