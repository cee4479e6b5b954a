package main

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// postEvent posts a binary-mode event to url (without ce-id when id is
// empty, which makes it invalid) and returns the response status and
// Retry-After header.
func postEvent(t *testing.T, c *http.Client, url, id string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header["ce-specversion"] = []string{"1.0"}
	req.Header["ce-source"] = []string{"/s"}
	req.Header["ce-type"] = []string{"t"}
	req.Header["Content-Type"] = []string{"application/json"}
	if id != "" {
		req.Header["ce-id"] = []string{id}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func testClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

var summaryLine = regexp.MustCompile(`(?m)^refused (\d+) messages? \(--validate prints each\); last from \S+: (.*)$`)

// TestListenReportsRefusals: without --validate every refused message is
// still reported, in summary lines (at most one a second) that add up to
// the number refused and carry the last reason.
func TestListenReportsRefusals(t *testing.T) {
	const bad = 20
	url, wait := startListen(t, "--count", "1")
	c := testClient(t)
	start := time.Now()
	for range bad {
		if code, _ := postEvent(t, c, url, ""); code != http.StatusBadRequest {
			t.Fatalf("invalid event: status %d, want 400", code)
		}
	}
	if code, _ := postEvent(t, c, url, "ok"); code != http.StatusNoContent {
		t.Fatalf("valid event: status %d, want 204", code)
	}
	code, _, stderr := wait()
	elapsed := time.Since(start)
	if code != exitOK {
		t.Fatalf("ce listen: exit %d: %s", code, stderr)
	}
	lines := summaryLine.FindAllStringSubmatch(stderr, -1)
	total := 0
	for _, m := range lines {
		n, _ := strconv.Atoi(m[1])
		total += n
		if !strings.Contains(m[2], "CORE-ATTR-ID") && !strings.Contains(m[2], "id") {
			t.Errorf("summary reason %q does not say what was wrong", m[2])
		}
	}
	if total != bad {
		t.Errorf("summaries add up to %d refusals, want %d; stderr:\n%s", total, bad, stderr)
	}
	if most := int(elapsed/refusalInterval) + 2; len(lines) > most {
		t.Errorf("%d summary lines in %v, want at most %d", len(lines), elapsed, most)
	}
	if strings.Contains(stderr, "refused message from") {
		t.Errorf("without --validate each refusal was printed in full:\n%s", stderr)
	}
}

// gatedWriter passes writes through until the first one containing
// blockAfter has been written; later writes wait until open is called.
type gatedWriter struct {
	*lockedBuffer
	blockAfter string
	mu         sync.Mutex
	armed      bool
	gate       chan struct{}
	entered    chan struct{} // gets a value each time a write waits
	once       sync.Once
}

func newGatedWriter(blockAfter string) *gatedWriter {
	return &gatedWriter{lockedBuffer: newLockedBuffer(), blockAfter: blockAfter,
		gate: make(chan struct{}), entered: make(chan struct{}, 64)}
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	armed := w.armed
	if strings.Contains(string(p), w.blockAfter) {
		w.armed = true
	}
	w.mu.Unlock()
	if armed {
		select {
		case w.entered <- struct{}{}:
		default:
		}
		<-w.gate
	}
	return w.lockedBuffer.Write(p)
}

func (w *gatedWriter) open() { w.once.Do(func() { close(w.gate) }) }

// startListenWith is startListen with the caller's writers.
func startListenWith(t *testing.T, out, errOut *gatedWriter, args ...string) (string, chan int) {
	t.Helper()
	code := make(chan int, 1)
	go func() {
		code <- run(append([]string{"listen", "--http", "127.0.0.1:0"}, args...), strings.NewReader(""), out, errOut)
	}()
	select {
	case addr := <-errOut.addr:
		return "http://" + addr + "/", code
	case c := <-code:
		t.Fatalf("ce listen exited with %d: %s", c, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("ce listen did not report its address")
	}
	return "", nil
}

// TestListenRefusalsDoNotWaitForStderr: with standard error stuck, a flood
// of invalid messages is still answered (each refusal is only counted).
func TestListenRefusalsDoNotWaitForStderr(t *testing.T) {
	out, errOut := newGatedWriter("\x00never"), newGatedWriter("listening for HTTP")
	defer errOut.open()
	url, code := startListenWith(t, out, errOut, "--count", "1")
	c := testClient(t)
	for i := range 50 {
		if st, _ := postEvent(t, c, url, ""); st != http.StatusBadRequest {
			t.Fatalf("invalid event %d with standard error stuck: status %d, want 400", i, st)
		}
	}
	errOut.open()
	if st, _ := postEvent(t, c, url, "ok"); st != http.StatusNoContent {
		t.Fatalf("valid event: status %d", st)
	}
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("ce listen: exit %d", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ce listen did not stop")
	}
	total := 0
	for _, m := range summaryLine.FindAllStringSubmatch(errOut.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != 50 {
		t.Errorf("summaries add up to %d refusals, want 50:\n%s", total, errOut.String())
	}
}

// TestListenMaxInFlight: while --max-in-flight requests wait for standard
// output, the next is answered 429 with Retry-After (WEBHOOK-RESPONSE-10,
// WEBHOOK-RESPONSE-11); once output drains, events are received again.
func TestListenMaxInFlight(t *testing.T) {
	out, errOut := newGatedWriter(""), newGatedWriter("\x00never")
	defer out.open()
	out.armed = true // every event waits until open
	url, code := startListenWith(t, out, errOut, "--count", "2", "--max-in-flight", "1")
	c := testClient(t)
	first := make(chan int, 1)
	go func() {
		st, _ := postEvent(t, c, url, "first")
		first <- st
	}()
	select {
	case <-out.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first event never reached standard output")
	}
	st, retry := postEvent(t, c, url, "second")
	if st != http.StatusTooManyRequests || retry == "" {
		t.Errorf("with one request in flight and --max-in-flight 1: status %d, Retry-After %q; want 429 with Retry-After", st, retry)
	}
	out.open()
	if st := <-first; st != http.StatusNoContent {
		t.Errorf("first event: status %d, want 204", st)
	}
	if st, _ := postEvent(t, c, url, "third"); st != http.StatusNoContent {
		t.Errorf("after output drained: status %d, want 204", st)
	}
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("ce listen: exit %d: %s", c, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ce listen did not stop after --count 2")
	}
	if !strings.Contains(out.String(), `"id":"first"`) || !strings.Contains(out.String(), `"id":"third"`) || strings.Contains(out.String(), `"id":"second"`) {
		t.Errorf("stdout %q, want the first and third events only", out.String())
	}
}

// TestListenAddressInUse: an address that cannot be bound is a failure of
// the command (exit 1) without a usage hint; a malformed one is a usage
// error (exit 2).
func TestListenAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	for _, flag := range []string{"--http", "--grpc"} {
		code, _, stderr := runCE(t, "listen", flag, ln.Addr().String())
		if code != exitFailure || !strings.Contains(stderr, "address already in use") || strings.Contains(stderr, "--help") {
			t.Errorf("listen %s on a bound address: exit %d, stderr %q; want 1 naming the address in use, no usage hint", flag, code, stderr)
		}
	}
	if code, _, stderr := runCE(t, "listen", "--http", "127.0.0.1"); code != exitUsage {
		t.Errorf("listen --http without a port: exit %d, stderr %q; want 2", code, stderr)
	}
	if code, _, stderr := runCE(t, "listen", "--http", "127.0.0.1:0", "--max-in-flight", "0"); code != exitUsage {
		t.Errorf("--max-in-flight 0: exit %d, stderr %q; want 2", code, stderr)
	}
}
