package conformancetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/openevents/openevents/conformance"
	"github.com/openevents/openevents/conformance/conformancetest"
	"github.com/openevents/openevents/event"
	cehttp "github.com/openevents/openevents/transports/http"
)

// TestExample runs the Example's provider test for real: OpenEvents' own
// receiver must pass.
func TestExample(t *testing.T) {
	testEchoProvider(t)
}

// envChild selects, in a child process of the test binary, which child
// test runs; envResult is where it writes the run's result.
const (
	envChild  = "CONFORMANCETEST_CHILD"
	envResult = "CONFORMANCETEST_RESULT"
)

// runChild runs the test binary's test name in a child process (its
// failures must not fail this test) and returns its verbose output and
// whether it passed.
func runChild(t *testing.T, name string, env []string, args ...string) (string, bool) {
	t.Helper()
	if len(args) == 0 {
		args = []string{"-test.count=1"}
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], append([]string{"-test.run=^" + name + "$", "-test.v"}, args...)...)
	cmd.Env = append(append(os.Environ(), envChild+"="+name), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
	return string(out), err == nil
}

// acceptAll is a faulty provider: it answers 202 to every request, valid
// event or not, and never replies.
func acceptAll() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
}

// TestChildFaulty is the child of TestSubtestsMirrorVerdicts.
func TestChildFaulty(t *testing.T) {
	if os.Getenv(envChild) != t.Name() {
		t.Skip("a child process of TestSubtestsMirrorVerdicts")
	}
	srv := acceptAll()
	defer srv.Close()
	res := conformancetest.Run(t, conformancetest.HTTP(srv.URL), conformancetest.WithLabelFilter("receiver || echo"))
	f, err := os.Create(os.Getenv(envResult))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := res.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
}

// TestSubtestsMirrorVerdicts runs the suite in a child test against a
// provider that accepts invalid events and never replies, and checks that
// every requirement's subtest ended as its verdict says: a MUST failure
// failed (and so the test), a SHOULD or MAY failure passed with the
// finding logged, NOT-TESTED skipped with the reason, PASS passed.
func TestSubtestsMirrorVerdicts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "result.json")
	out, passed := runChild(t, "TestChildFaulty", []string{envResult + "=" + file})
	if passed {
		t.Fatalf("the run against a provider that accepts invalid events passed:\n%s", out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no result: %v\n%s", err, out)
	}
	var res conformance.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	ended := map[string]string{}
	for _, m := range regexp.MustCompile(`--- (PASS|FAIL|SKIP): TestChildFaulty/(\S+)`).FindAllStringSubmatch(out, -1) {
		ended[m[2]] = m[1]
	}
	counts := map[string]int{}
	for _, rr := range res.Requirements {
		want := map[conformance.Verdict]string{conformance.Pass: "PASS", conformance.Fail: "FAIL", conformance.NotTested: "SKIP"}[rr.Verdict]
		if rr.Verdict == conformance.Fail && rr.Class != conformance.ClassMust {
			want = "PASS"
			if !strings.Contains(out, "finding (not a failure) "+string(rr.Level)+" "+rr.ID) {
				t.Errorf("%s: the %s finding is not logged", rr.ID, rr.Level)
			}
		}
		counts[want+" "+string(rr.Class)]++
		if got := ended[rr.ID]; got != want {
			t.Errorf("%s (%s %s): subtest %q, want %q", rr.ID, rr.Class, rr.Verdict, got, want)
		}
		if rr.Verdict == conformance.NotTested {
			first, _, _ := strings.Cut(rr.Message, "\n")
			if !strings.Contains(out, first) {
				t.Errorf("%s: the reason %q is not in the output", rr.ID, first)
			}
		}
	}
	if len(ended) != len(res.Requirements) {
		t.Errorf("%d subtests for %d requirements", len(ended), len(res.Requirements))
	}
	// The provider must have given every kind of outcome, or the test
	// shows less than it claims.
	for _, k := range []string{"FAIL MUST", "PASS MUST", "SKIP MUST"} {
		if counts[k] == 0 {
			t.Errorf("no requirement ended %s: %v", k, counts)
		}
	}
	if !strings.Contains(out, "note: echo cases not run") {
		t.Errorf("the run's note that the provider does not reply is not logged:\n%s", out)
	}
}

// TestChildBadConfig is the child of TestBadConfigFatal.
func TestChildBadConfig(t *testing.T) {
	if os.Getenv(envChild) != t.Name() {
		t.Skip("a child process of TestBadConfigFatal")
	}
	conformancetest.Run(t, conformancetest.HTTP("ftp://example.com/"))
	t.Log("after Run")
}

// TestBadConfigFatal: a target the suite refuses ends the test at once.
func TestBadConfigFatal(t *testing.T) {
	out, passed := runChild(t, "TestChildBadConfig", nil)
	if passed || !strings.Contains(out, "conformancetest: conformance: target \"ftp://example.com/\" is not an absolute http:// or https:// URL") || strings.Contains(out, "after Run") {
		t.Errorf("passed %v:\n%s", passed, out)
	}
}

// TestParallel calls Run from parallel subtests against one provider: the
// runs take turns on the suite's lock and each reports its own result.
func TestParallel(t *testing.T) {
	echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = e.Clone()
		return true, nil
	})
	h, err := cehttp.NewHandler(echo)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	focus := []string{"HTTP-HEADER-VALUE", "JSON-DATA", "CORE-ATTR-ID"}
	var mu sync.Mutex
	results := map[string]*conformance.Result{}
	t.Run("group", func(t *testing.T) {
		for _, f := range focus {
			t.Run(f, func(t *testing.T) {
				t.Parallel()
				res := conformancetest.Run(t, conformancetest.HTTP(srv.URL), conformancetest.WithFocus(f), conformancetest.WithConcurrency(2))
				mu.Lock()
				results[f] = res
				mu.Unlock()
			})
		}
	})
	for _, f := range focus {
		res := results[f]
		if res == nil || !res.Passed {
			t.Fatalf("focus %s: %+v", f, res)
		}
		for _, c := range res.Cases {
			selected := !strings.Contains(c.Message, "not selected by the label filter, focus or skip")
			if matched := strings.Contains(strings.Join(c.Requirements, " ")+" "+c.Name, f); selected != matched {
				t.Errorf("focus %s: case %q selected %v", f, c.Name, selected)
			}
		}
	}
}

// TestChildGoFlags is the child of TestGoTestFlags.
func TestChildGoFlags(t *testing.T) {
	if os.Getenv(envChild) != t.Name() {
		t.Skip("a child process of TestGoTestFlags")
	}
	srv := acceptAll()
	defer srv.Close()
	conformancetest.Run(t, conformancetest.HTTP(srv.URL), conformancetest.WithFocus("HTTP-HEADER-VALUE-1"))
	t.Log("after Run")
}

// TestGoTestFlags: under go test -count=2 or -parallel, where Ginkgo
// would end the test binary, Run fails its test with the reason instead.
func TestGoTestFlags(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		want  string
		fails int // one per repetition
	}{
		{[]string{"-test.count=2"}, "go test -count=2: the suite runs on Ginkgo", 2},
		{[]string{"-test.count=1", "-test.parallel=2"}, "go test -parallel=2: the suite runs on Ginkgo", 1},
	} {
		out, passed := runChild(t, "TestChildGoFlags", nil, tt.args...)
		if passed || !strings.Contains(out, tt.want) || strings.Contains(out, "after Run") || strings.Contains(out, "Ginkgo detected configuration issues") {
			t.Errorf("%v: passed %v:\n%s", tt.args, passed, out)
		}
		if n := strings.Count(out, "--- FAIL: TestChildGoFlags"); n != tt.fails {
			t.Errorf("%v: %d failures, want %d:\n%s", tt.args, n, tt.fails, out)
		}
	}
}
