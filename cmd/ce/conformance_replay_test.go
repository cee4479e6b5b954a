package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// replayFile is a fixture of the conformance package's replay tests.
func replayFile(name string) string {
	return filepath.Join("..", "..", "conformance", "testdata", "replay", name)
}

// countingServer answers 202 to every request and counts them.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestConformanceReplay(t *testing.T) {
	srv, n := countingServer(t)
	code, out, errOut := runCE(t, "conformance", "replay", replayFile("v1.yaml"), replayFile("v03.yaml"), "--http", srv.URL)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	if n.Load() != 5 {
		t.Errorf("the server got %d requests, want 5", n.Load())
	}
	for _, want := range []string{
		`v1.yaml#1 (line 4): binary specversion="1.0" type="org.openevents.replay.plain" id="replay-1"`,
		`v1.yaml#2 (line 13): structured specversion="1.0"`,
		`count="5" comexampleflag="true", 35 bytes of data`,
		`v03.yaml#1 (line 3): binary specversion="0.3"`,
		`schemaurl="https://example.com/schema.json" datacontentencoding="base64"`,
		"  -> 202 Accepted\n",
		`count="5" block="{\"a\": 1}", no data; left out, empty in the file: time, dataschema, empty, X-Empty`,
		"5 events: 5 accepted, 0 refused, 0 not sent",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Ce-Id:") {
		t.Errorf("the requests are printed without -v:\n%s", out)
	}
	code, out, _ = runCE(t, "conformance", "replay", replayFile("v1.yaml"), "--http", srv.URL, "-v")
	if code != exitOK || !strings.Contains(out, "    Ce-Subject: caf%C3%A9%20%C3%BC\n") || !strings.Contains(out, `"data":{"greeting":"hello","n":[1,2]}`) {
		t.Errorf("-v: exit %d, the requests are not printed:\n%s", code, out)
	}
}

// TestConformanceReplayRefused replays to OpenEvents' own receiver, which
// refuses the event without an id: the run exits 1 after sending the
// others.
func TestConformanceReplayRefused(t *testing.T) {
	var got atomic.Int64
	h, err := cehttp.NewHandler(binding.HandlerFunc(func(context.Context, *event.Event) error {
		got.Add(1)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	code, out, _ := runCE(t, "conformance", "replay", replayFile("refused.yaml"), replayFile("v1.yaml"), "--http", srv.URL)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, out)
	}
	if got.Load() != 3 || !strings.Contains(out, "  -> refused: 400 Bad Request") || !strings.Contains(out, "4 events: 3 accepted, 1 refused, 0 not sent") {
		t.Errorf("%d events received:\n%s", got.Load(), out)
	}
}

func TestConformanceReplayBadFile(t *testing.T) {
	srv, n := countingServer(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("ContextAttributes:\n  specversion: 1.0\n  colour: red\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCE(t, "conformance", "replay", replayFile("v1.yaml"), bad, "--http", srv.URL)
	if code != exitFailure || !strings.Contains(errOut, "nothing sent") || !strings.Contains(errOut, `bad.yaml:3: event 1: unknown attribute "colour"`) {
		t.Errorf("exit %d, stderr %q, stdout %q", code, errOut, out)
	}
	if n.Load() != 0 {
		t.Errorf("%d events sent although a file is broken", n.Load())
	}
	// The size limit: v1.yaml is larger than 100 bytes.
	code, _, errOut = runCE(t, "conformance", "replay", replayFile("v1.yaml"), "--http", srv.URL, "--max-file-size", "100")
	if code != exitFailure || !strings.Contains(errOut, "larger than the limit of 100 bytes") {
		t.Errorf("--max-file-size 100: exit %d, stderr %q", code, errOut)
	}
	if n.Load() != 0 {
		t.Errorf("%d events sent from a file over the limit", n.Load())
	}
}

// TestConformanceReplayTimeout attacks --timeout with a receiver that never
// answers.
func TestConformanceReplayTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	code, out, _ := runCE(t, "conformance", "replay", replayFile("refused.yaml"), "--http", srv.URL, "--timeout", "300ms")
	if code != exitFailure || !strings.Contains(out, "-> not sent:") || !strings.Contains(out, "context deadline exceeded") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestConformanceReplayUsage(t *testing.T) {
	f := replayFile("v1.yaml")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{f}, "--http URL is required"},
		{[]string{"--http", "http://127.0.0.1:1/"}, "requires at least 1 arg"},
		{[]string{f, "--http", "127.0.0.1:8080"}, "is not an absolute http:// or https:// URL"},
		{[]string{f, "--http", "http://127.0.0.1:1/", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{f, "--http", "http://127.0.0.1:1/", "--max-file-size", "0"}, "--max-file-size must be positive"},
		{[]string{f, "--http", "http://127.0.0.1:1/", "--tls-ca", "ca.pem"}, "conflicts with the plain-HTTP URL"},
	} {
		code, _, errOut := runCE(t, append([]string{"conformance", "replay"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, exitUsage, tt.want)
		}
	}
}
