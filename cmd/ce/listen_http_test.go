package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer safe for the listener's goroutines that
// reports the address ce listen binds.
type lockedBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	addr chan string
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{addr: make(chan string, 1)} }

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, a, ok := strings.Cut(string(p), "listening for HTTP on "); ok {
		select {
		case w.addr <- strings.TrimSpace(a):
		default:
		}
	}
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// startListen runs ce listen --http on a free loopback port in the
// background and returns its URL and a function that waits for it to exit.
func startListen(t *testing.T, args ...string) (url string, wait func() (int, string, string)) {
	t.Helper()
	out, errOut := newLockedBuffer(), newLockedBuffer()
	code := make(chan int, 1)
	go func() {
		code <- run(append([]string{"listen", "--http", "127.0.0.1:0"}, args...), strings.NewReader(""), out, errOut)
	}()
	select {
	case addr := <-errOut.addr:
		url = "http://" + addr + "/"
	case c := <-code:
		t.Fatalf("ce listen exited with %d: %s", c, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("ce listen did not report its address")
	}
	return url, func() (int, string, string) {
		select {
		case c := <-code:
			return c, out.String(), errOut.String()
		case <-time.After(10 * time.Second):
			t.Fatal("ce listen did not stop after --count events")
			return 0, "", ""
		}
	}
}

func TestSendListenHTTP(t *testing.T) {
	for _, mode := range []string{"binary", "structured", "batch"} {
		t.Run(mode, func(t *testing.T) {
			url, wait := startListen(t, "--count", "1")
			code, stdout, stderr := runCE(t, "send", "--http", url, "--mode", mode, "--id", "e1",
				"--type", "com.example.ping", "--source", "/cli", "--subject", "a b 100%", "--data", `{"n":1}`)
			if code != exitOK || stdout != "HTTP 204 No Content\n" {
				t.Fatalf("ce send: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			code, stdout, stderr = wait()
			if code != exitOK {
				t.Fatalf("ce listen: exit %d, stderr %q", code, stderr)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("ce listen printed %q: %v", stdout, err)
			}
			if got["id"] != "e1" || got["subject"] != "a b 100%" || got["data"] == nil {
				t.Errorf("ce listen printed %s", stdout)
			}
		})
	}
}

func TestListenHTTPReply(t *testing.T) {
	url, wait := startListen(t, "--count", "1", "--reply")
	code, stdout, stderr := runCE(t, "send", "--http", url, "--id", "e2", "--type", "t", "--source", "/s")
	if code != exitOK || !strings.HasPrefix(stdout, "HTTP 204 No Content\n{") || !strings.Contains(stdout, `"id":"e2"`) {
		t.Fatalf("ce send: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr := wait(); code != exitOK {
		t.Fatalf("ce listen: exit %d, %s", code, stderr)
	}
}

func TestListenHTTPValidate(t *testing.T) {
	url, wait := startListen(t, "--count", "1", "--validate")
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t", "ce-subject": "%C0%A0"} {
		req.Header[k] = []string{v}
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	// A valid event ends the listener (--count 1).
	if code, stdout, stderr := runCE(t, "send", "--http", url, "--type", "t", "--source", "/s"); code != exitOK {
		t.Fatalf("ce send: %d %s %s", code, stdout, stderr)
	}
	_, _, stderr := wait()
	if !strings.Contains(stderr, "refused message from") || !strings.Contains(stderr, "HTTP-HEADER-VALUE-17") {
		t.Errorf("ce listen --validate stderr %q, want the refusal with HTTP-HEADER-VALUE-17", stderr)
	}
}

func TestSendHTTPFailures(t *testing.T) {
	srv := newRejectingServer(t)
	code, stdout, stderr := runCE(t, "send", "--http", srv, "--type", "t", "--source", "/s")
	if code != exitFailure || stdout != "HTTP 400 Bad Request\n" || !strings.Contains(stderr, "400") {
		t.Errorf("rejected: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runCE(t, "send", "--http", "ftp://x/", "--type", "t", "--source", "/s")
	if code != exitUsage {
		t.Errorf("bad URL: exit %d stderr %q, want %d", code, stderr, exitUsage)
	}
}

func newRejectingServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no thanks", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
