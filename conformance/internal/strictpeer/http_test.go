package strictpeer

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestContentModes checks how Content-Type picks the mode.
func TestContentModes(t *testing.T) {
	srv := newServer(t, Options{})
	cases := []struct {
		name        string
		contentType string
		body        string
		want        int
	}{
		{"structured", "application/cloudevents+json", object(""), http.StatusNoContent},
		{"structured with charset", "application/cloudevents+json; charset=UTF-8", object(""), http.StatusNoContent},
		{"structured in upper case", "APPLICATION/CloudEvents+JSON", object(""), http.StatusNoContent},
		{"structured with odd parameters", "application/cloudevents+json ; x", object(""), http.StatusNoContent},
		{"batch", "application/cloudevents-batch+json; charset=utf-8", "[]", http.StatusNoContent},
		{"batch in upper case", "Application/CloudEvents-Batch+Json", "[]", http.StatusNoContent},
		// The body is a valid structured event, but these types make it
		// binary-mode data with no ce- headers beside it.
		{"application/json is binary", "application/json", object(""), http.StatusBadRequest},
		{"suffix only is binary", "application/vnd.cloudevents+json", object(""), http.StatusBadRequest},
		{"avro format", "application/cloudevents+avro", "x", http.StatusUnsupportedMediaType},
		{"protobuf format", "application/cloudevents+protobuf", "x", http.StatusUnsupportedMediaType},
		{"bare cloudevents", "application/cloudevents", "x", http.StatusUnsupportedMediaType},
		{"batch of another format", "application/cloudevents-batch+avro", "x", http.StatusUnsupportedMediaType},
		{"json-seq", "application/cloudevents+json-seq", "x", http.StatusUnsupportedMediaType},
		{"upper-case unknown format", "Application/CloudEvents+XML", "x", http.StatusUnsupportedMediaType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			post(t, srv, []header{{"Content-Type", c.contentType}}, c.body, c.want)
		})
	}
}

// TestMethods checks that only POST and OPTIONS are served.
func TestMethods(t *testing.T) {
	srv := newServer(t, Options{})
	for _, method := range []string{"GET", "PUT", "PATCH", "DELETE", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			r := send(t, srv, method, minimal(), "")
			if r.status != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405", r.status)
			}
			if allow := r.header.Get("Allow"); !strings.Contains(allow, "POST") {
				t.Errorf("Allow %q does not list POST", allow)
			}
		})
	}
}

// TestWebHookHandshake checks the abuse-protection validation request.
func TestWebHookHandshake(t *testing.T) {
	srv := newServer(t, Options{})
	cases := []struct {
		name    string
		headers []header
		status  int
		origin  string // want WebHook-Allowed-Origin; "" for none
		rate    string // want WebHook-Allowed-Rate; "" for none
	}{
		{"origin", []header{{"WebHook-Request-Origin", "eventemitter.example.com"}}, 200, "eventemitter.example.com", "*"},
		{"origin and rate", []header{{"WebHook-Request-Origin", "eventemitter.example.com"}, {"WebHook-Request-Rate", "120"}}, 200, "eventemitter.example.com", "*"},
		{"header names in any case", []header{{"webhook-request-origin", "a.example"}, {"WEBHOOK-REQUEST-RATE", "1"}}, 200, "a.example", "*"},
		{"with callback", []header{{"WebHook-Request-Origin", "a.example"}, {"WebHook-Request-Callback", "https://a.example/ok"}}, 200, "a.example", "*"},
		{"plain OPTIONS", nil, 200, "", ""},
		{"empty origin", []header{{"WebHook-Request-Origin", ""}}, 400, "", ""},
		{"two origins", []header{{"WebHook-Request-Origin", "a.example"}, {"WebHook-Request-Origin", "b.example"}}, 400, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, srv, http.MethodOptions, c.headers, "")
			if r.status != c.status {
				t.Fatalf("status %d, want %d (%q)", r.status, c.status, r.body)
			}
			if got := r.header.Get("WebHook-Allowed-Origin"); got != c.origin {
				t.Errorf("WebHook-Allowed-Origin %q, want %q", got, c.origin)
			}
			if got := r.header.Get("WebHook-Allowed-Rate"); got != c.rate {
				t.Errorf("WebHook-Allowed-Rate %q, want %q", got, c.rate)
			}
			if allow := r.header.Get("Allow"); !strings.Contains(allow, "POST") {
				t.Errorf("Allow %q does not list POST", allow)
			}
		})
	}
}

// TestMaxBody checks the body limit, both when Content-Length announces the
// size and when a chunked body only shows it by running over.
func TestMaxBody(t *testing.T) {
	srv := newServer(t, Options{MaxBody: 64})
	post(t, srv, minimal(), strings.Repeat("x", 64), http.StatusNoContent)
	post(t, srv, minimal(), strings.Repeat("x", 65), http.StatusRequestEntityTooLarge)
	post(t, srv, []header{ceJSON}, object(`,"data":"`+strings.Repeat("x", 64)+`"`), http.StatusRequestEntityTooLarge)

	// io.MultiReader hides the length, so the client sends chunks.
	req, err := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(strings.NewReader(strings.Repeat("y", 200))))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range minimal() {
		req.Header.Set(h.name, h.value)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if req.ContentLength != 0 || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: length %d status %d, want unknown length and 413", req.ContentLength, resp.StatusCode)
	}
}

// TestDefaultMaxBody checks that an unset limit is 1 MiB.
func TestDefaultMaxBody(t *testing.T) {
	srv := newServer(t, Options{})
	post(t, srv, minimal(), strings.Repeat("x", DefaultMaxBody), http.StatusNoContent)

	// The refusal comes before the body is read, and a server that closes
	// with a megabyte unread may reset the connection under the response.
	// With 100-continue the client waits for the answer before sending.
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(strings.Repeat("x", DefaultMaxBody+1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range minimal() {
		req.Header.Set(h.name, h.value)
	}
	req.Header.Set("Expect", "100-continue")
	client := srv.Client()
	tr, ok := client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("test server client transport is %T", client.Transport)
	}
	tr.ExpectContinueTimeout = time.Minute
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
}

// TestOrdinaryClient sends events with net/http's client, as a provider
// built on it would.
func TestOrdinaryClient(t *testing.T) {
	srv := newServer(t, Options{Reply: true})
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"k":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "1")
	req.Header.Set("Ce-Source", "https://example.com/x")
	req.Header.Set("Ce-Type", "com.example.t")
	req.Header.Set("Ce-Time", "2018-04-05T03:56:24Z")
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != `{"k":1}` ||
		resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		resp.Header.Get("Ce-Time") != "2018-04-05T03:56:24Z" {
		t.Errorf("reply %d %v %q", resp.StatusCode, resp.Header, body)
	}
}
