//go:build interop

package conformance

// Helpers to run the conformance peers no one here wrote (conformance/peers:
// sdk-go's receiver and sender, the JavaScript SDK's receiver.js and
// sender.js), and one smoke test per peer. The build tag keeps them out of
// `make test`, which needs neither Node.js nor the built peers; `make
// interop` builds the peers (`make peers`) and runs them.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// peerReadyTimeout bounds the wait for a peer's READY line.
	peerReadyTimeout = 20 * time.Second
	// peerStopTimeout is how long a peer has to exit after SIGTERM before
	// it is killed.
	peerStopTimeout = 5 * time.Second
	// peerSenderTimeout bounds one run of a sender peer.
	peerSenderTimeout = time.Minute
)

// peerRepoRoot is the directory holding go.mod, found upwards from the test's
// working directory (the package directory under go test).
func peerRepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory: cannot find the repository root")
		}
		dir = parent
	}
}

// peerPath locates a peer program from the repository root: a name with a
// .js suffix is conformance/peers/js/NAME, whose node_modules must hold the
// SDK; any other name is the binary bin/peers/NAME. A missing one fails the
// test: the peers are built by `make peers`, and a peer test that cannot
// run has not passed.
func peerPath(t testing.TB, name string) string {
	t.Helper()
	root := peerRepoRoot(t)
	if strings.HasSuffix(name, ".js") {
		dir := filepath.Join(root, "conformance", "peers", "js")
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("peer %s: %v", name, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "cloudevents", "package.json")); err != nil {
			t.Fatalf("peer %s: the JavaScript SDK is not installed in %s/node_modules (%v): run `make peers`", name, dir, err)
		}
		return p
	}
	p := filepath.Join(root, "bin", "peers", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("peer %s: %v: run `make peers`", name, err)
	}
	return p
}

// peerNode is the node program that runs the JavaScript peers.
func peerNode(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): run `make peers`, which installs Node.js when missing", err)
	}
	return p
}

// peerOutput collects a peer's output for the test log.
type peerOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *peerOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *peerOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startPeer starts a receiver peer, waits (at most peerReadyTimeout) for
// the line `READY URL` on its stdout and returns URL. At the end of the
// test the peer gets SIGTERM, then SIGKILL after peerStopTimeout; a peer
// that does not exit 0 on SIGTERM fails the test.
func startPeer(t testing.TB, argv ...string) (url string) {
	t.Helper()
	if len(argv) == 0 {
		t.Fatal("startPeer: no program")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr peerOutput
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %q: %v", argv, err)
	}

	// The reader hands over the READY line, then drains stdout into the
	// log so the peer never blocks on a full pipe.
	ready := make(chan string, 1)
	var extra peerOutput
	read := make(chan struct{})
	go func() {
		defer close(read)
		sent := false
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "READY "); ok && !sent {
				ready <- strings.TrimSpace(u)
				sent = true
				continue
			}
			_, _ = fmt.Fprintln(&extra, line)
		}
		_, _ = io.Copy(&extra, stdout)
	}()
	exited := make(chan error, 1)
	go func() {
		<-read // Wait must not run before the pipe is drained
		exited <- cmd.Wait()
	}()

	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(peerStopTimeout):
			_ = cmd.Process.Kill()
			err := <-exited
			return fmt.Errorf("did not exit within %v of SIGTERM and was killed (%w)", peerStopTimeout, err)
		}
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("peer %q on SIGTERM: %v\nstderr:\n%s", argv, err, stderr.String())
		} else if t.Failed() {
			t.Logf("peer %q stderr:\n%s\nstdout after READY:\n%s", argv, stderr.String(), extra.String())
		}
	})

	select {
	case u := <-ready:
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("peer %q: READY %q, want an http://127.0.0.1:PORT/ URL", argv, u)
		}
		return u
	case err := <-exited:
		stopped = true
		t.Fatalf("peer %q exited before its READY line: %v\nstderr:\n%s", argv, err, stderr.String())
	case <-time.After(peerReadyTimeout):
		t.Fatalf("peer %q printed no READY line within %v\nstderr:\n%s", argv, peerReadyTimeout, stderr.String())
	}
	return ""
}

// runPeerSender runs a sender peer with the sender contract's environment and
// returns its stderr; a run that fails or outlasts peerSenderTimeout fails the
// test.
func runPeerSender(t testing.TB, target, eventsFile, mode string, argv ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), peerSenderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(),
		"CE_CONFORMANCE_TARGET="+target,
		"CE_CONFORMANCE_EVENTS="+eventsFile,
		"CE_CONFORMANCE_MODE="+mode,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sender %q in %s mode: %v\nstdout:\n%s\nstderr:\n%s", argv, mode, err, stdout.String(), stderr.String())
	}
	return stderr.String()
}

// smokePeerReceiver posts one valid binary-mode event to an echoing receiver
// peer and checks the 200 reply echoes its id and data.
func smokePeerReceiver(t *testing.T, url string) {
	t.Helper()
	const body = `{"n":1}`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "smoke-1")
	req.Header.Set("Ce-Source", "/conformance/smoke")
	req.Header.Set("Ce-Type", "io.openevents.smoke")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %q", resp.StatusCode, got)
	}
	if id := resp.Header.Values("Ce-Id"); len(id) != 1 || id[0] != "smoke-1" {
		t.Errorf("reply Ce-Id %q, want [smoke-1]", id)
	}
	if string(got) != body {
		t.Errorf("reply body %q, want %q", got, body)
	}
}

func TestPeerSmokeSDKGoReceiver(t *testing.T) {
	smokePeerReceiver(t, startPeer(t, peerPath(t, "sdkgo-receiver")))
}

func TestPeerSmokeJSReceiver(t *testing.T) {
	smokePeerReceiver(t, startPeer(t, peerNode(t), peerPath(t, "receiver.js")))
}

// peerSmokeEvents are the sender smoke test's events: JSON data, text data
// and binary data.
const peerSmokeEvents = `[
  {"specversion": "1.0", "id": "smoke-1", "source": "/conformance/smoke", "type": "io.openevents.smoke",
   "datacontenttype": "application/json", "data": {"n": 1}},
  {"specversion": "1.0", "id": "smoke-2", "source": "/conformance/smoke", "type": "io.openevents.smoke",
   "datacontenttype": "text/plain", "data": "hello"},
  {"specversion": "1.0", "id": "smoke-3", "source": "/conformance/smoke", "type": "io.openevents.smoke",
   "datacontenttype": "application/octet-stream", "data_base64": "AAEC"}
]`

// peerArrival is one request a sender peer made: its mode and event id as
// the test server saw them.
type peerArrival struct {
	mode string
	id   string
}

// smokePeerSender runs a sender peer in both modes against a test server and
// checks that the three events arrived, in order, in the mode asked for.
func smokePeerSender(t *testing.T, argv ...string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(file, []byte(peerSmokeEvents), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"binary", "structured"} {
		t.Run(mode, func(t *testing.T) {
			var mu sync.Mutex
			var got []peerArrival
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				a := readPeerArrival(r)
				mu.Lock()
				got = append(got, a)
				mu.Unlock()
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			stderr := runPeerSender(t, srv.URL+"/", file, mode, argv...)
			mu.Lock()
			defer mu.Unlock()
			want := []string{"smoke-1", "smoke-2", "smoke-3"}
			if len(got) != len(want) {
				t.Fatalf("%d requests arrived, want %d: %+v\nsender stderr:\n%s", len(got), len(want), got, stderr)
			}
			for i, a := range got {
				if a.mode != mode || a.id != want[i] {
					t.Errorf("request %d: %s mode, id %q; want %s mode, id %q", i, a.mode, a.id, mode, want[i])
				}
			}
			if t.Failed() {
				t.Logf("sender stderr:\n%s", stderr)
			}
		})
	}
}

// readPeerArrival tells a request's mode and event id: structured when the
// Content-Type is application/cloudevents+json (the id from the body),
// binary when it carries ce-specversion (the id from ce-id).
func readPeerArrival(r *http.Request) peerArrival {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "application/cloudevents+json") {
		var e struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			return peerArrival{mode: "structured", id: "(body not JSON: " + err.Error() + ")"}
		}
		return peerArrival{mode: "structured", id: e.ID}
	}
	if r.Header.Get("Ce-Specversion") != "" {
		return peerArrival{mode: "binary", id: r.Header.Get("Ce-Id")}
	}
	return peerArrival{mode: "unknown (Content-Type " + ct + ")"}
}

func TestPeerSmokeSDKGoSender(t *testing.T) {
	smokePeerSender(t, peerPath(t, "sdkgo-sender"))
}

func TestPeerSmokeJSSender(t *testing.T) {
	smokePeerSender(t, peerNode(t), peerPath(t, "sender.js"))
}

// TestPeerSenderRefusesNoTarget: a sender whose target refuses connections
// fails (a setup failure), rather than reporting every event as skipped.
func TestPeerSenderRefusesNoTarget(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.json")
	if err := os.WriteFile(file, []byte(peerSmokeEvents), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/"
	srv.Close() // nothing listens there any more
	for name, argv := range map[string][]string{
		"sdk-go": {peerPath(t, "sdkgo-sender")},
		"js":     {peerNode(t), peerPath(t, "sender.js")},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), peerSenderTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(),
				"CE_CONFORMANCE_TARGET="+target,
				"CE_CONFORMANCE_EVENTS="+file,
				"CE_CONFORMANCE_MODE=binary",
			)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Errorf("sender with no target: %v, want a non-zero exit\n%s", err, out)
			}
		})
	}
}
