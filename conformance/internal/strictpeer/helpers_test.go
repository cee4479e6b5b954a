package strictpeer

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// header is one request header line as written: the raw sender keeps the
// order, case, repeats and bytes of these, which net/http's client would
// canonicalise or refuse.
type header struct{ name, value string }

// result is what came back over the wire.
type result struct {
	status int
	header http.Header
	body   string
}

func newServer(t *testing.T, o Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewHandler(o))
	t.Cleanup(srv.Close)
	return srv
}

// send writes one HTTP/1.1 request byte for byte on a fresh connection and
// reads the response.
func send(t *testing.T, srv *httptest.Server, method string, headers []header, body string) result {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s /events HTTP/1.1\r\nHost: peer.test\r\nConnection: close\r\n", method)
	for _, h := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h.name, h.value)
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: string(got)}
}

// post sends a POST and fails the test unless the status is want.
func post(t *testing.T, srv *httptest.Server, headers []header, body string, want int) result {
	t.Helper()
	r := send(t, srv, http.MethodPost, headers, body)
	if r.status >= 400 {
		t.Logf("%d: %s", r.status, strings.TrimSpace(r.body))
	}
	if r.status != want {
		t.Fatalf("status %d, want %d (body %q)", r.status, want, r.body)
	}
	if want == http.StatusBadRequest && strings.TrimSpace(r.body) == "" {
		t.Error("a 400 should name the problem in its body")
	}
	return r
}

// minimal is a valid binary event's header set.
func minimal() []header {
	return []header{
		{"ce-specversion", "1.0"},
		{"ce-id", "1"},
		{"ce-source", "/src"},
		{"ce-type", "t"},
	}
}

// with replaces the header of that name (any case) or adds it.
func with(hs []header, name, value string) []header {
	out := make([]header, 0, len(hs)+1)
	for _, h := range hs {
		if !strings.EqualFold(h.name, name) {
			out = append(out, h)
		}
	}
	return append(out, header{name, value})
}

// without drops the header of that name (any case).
func without(hs []header, name string) []header {
	out := make([]header, 0, len(hs))
	for _, h := range hs {
		if !strings.EqualFold(h.name, name) {
			out = append(out, h)
		}
	}
	return out
}

var (
	ceJSON  = header{"Content-Type", "application/cloudevents+json"}
	ceBatch = header{"Content-Type", "application/cloudevents-batch+json"}
)

// object is a valid structured event with extra members appended; extra
// starts with a comma when not empty.
func object(extra string) string {
	return `{"specversion":"1.0","id":"1","source":"/src","type":"t"` + extra + `}`
}
