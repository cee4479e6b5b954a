package conformance

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/spec"
	cehttp "github.com/openevents/openevents/transports/http"
)

// Ginkgo allows one RunSpecs per process, so every suite run of these tests
// happens in a child: the test binary itself, re-run with -test.run naming
// TestChild and the provider to start in childEnv.
const (
	childEnv    = "OPENEVENTS_CONFORMANCE_CHILD"
	childOutEnv = "OPENEVENTS_CONFORMANCE_OUT"
)

// childProviders start the provider a child tests, by name; each returns
// the URL and a stop function.
var childProviders = map[string]func() (string, func(), error){
	"sdk-go": startSDKGo,
	"reference-structured": func() (string, func(), error) {
		// The reference handler with structured-mode replies, to exercise
		// the suite's reading of structured replies.
		echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
			*reply = e.Clone()
			return true, nil
		})
		srv, err := cehttp.NewServer(echo, cehttp.WithReplyMode(binding.ModeStructured))
		if err != nil {
			return "", nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		done := make(chan struct{})
		go func() { _ = srv.Serve(ln); close(done) }()
		return "http://" + ln.Addr().String() + "/", func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
			<-done
		}, nil
	},
	"reference": func() (string, func(), error) {
		r, err := StartReference()
		if err != nil {
			return "", nil, err
		}
		return r.URL, func() { _ = r.Close() }, nil
	},
}

// TestChild runs the suite once when started by runChild, and does nothing
// otherwise.
func TestChild(t *testing.T) {
	name := os.Getenv(childEnv)
	if name == "" {
		return
	}
	out := os.Getenv(childOutEnv)
	start, ok := childProviders[name]
	if !ok {
		start = faultyProvider(name)
	}
	url, stop, err := start()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Target: url, Timeout: 2 * time.Minute, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	writeReports(t, res, out)
}

func writeReports(t *testing.T, res *Result, dir string) {
	t.Helper()
	for name, write := range map[string]func(f *os.File) error{
		"result.json": func(f *os.File) error { return res.WriteJSON(f) },
		"result.html": func(f *os.File) error { return res.WriteHTML(f) },
		"result.txt":  func(f *os.File) error { return res.WriteConsole(f) },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := res.WriteJUnit(filepath.Join(dir, "junit.xml")); err != nil {
		t.Fatal(err)
	}
}

// children bounds the child processes running at once: each is a
// race-instrumented copy of the test binary.
var children = make(chan struct{}, max(2, min(runtime.NumCPU(), 8)))

// runChild runs the suite against the named provider in a child process
// and returns its result and the directory holding its reports.
func runChild(t *testing.T, provider string) (*Result, string) {
	t.Helper()
	children <- struct{}{}
	defer func() { <-children }()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+provider, childOutEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child for %s: %v\n%s", provider, err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatalf("child for %s wrote no result: %v\n%s", provider, err, out)
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return &res, dir
}

// TestReference runs the suite against the reference provider: every
// case passes, SHOULD and MAY ones included.
func TestReference(t *testing.T) {
	t.Parallel()
	res, dir := runChild(t, "reference")
	for _, c := range res.Cases {
		if c.Verdict != Pass {
			t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}
	if !res.Passed {
		t.Error("the run's verdict is FAIL")
	}
	if t.Failed() {
		txt, _ := os.ReadFile(filepath.Join(dir, "result.txt"))
		t.Logf("%s", txt)
	}
	checkReports(t, res, dir)
}

// TestReferenceStructuredReplies: with structured-mode replies every case
// passes, except the two that check binary-mode header encoding, which
// cannot apply and are not tested.
func TestReferenceStructuredReplies(t *testing.T) {
	t.Parallel()
	res, _ := runChild(t, "reference-structured")
	notTested := 0
	for _, c := range res.Cases {
		switch c.Verdict {
		case Pass:
		case NotTested:
			notTested++
			if !strings.Contains(c.Message, "structured mode") {
				t.Errorf("%s: not tested: %s", c.Name, c.Message)
			}
		default:
			t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}
	if notTested != 2 || !res.Passed {
		t.Errorf("%d cases not tested, passed %v; want 2 and true", notTested, res.Passed)
	}
}

// checkReports checks that the reports of a run parse and cover every
// requirement tested.
func checkReports(t *testing.T, res *Result, dir string) {
	t.Helper()
	cat := spec.Default()
	cases, err := Cases(cat)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != len(cases) {
		t.Errorf("JSON report has %d cases, want %d", len(res.Cases), len(cases))
	}
	ids := map[string]bool{}
	for _, c := range cases {
		for _, id := range c.Requirements {
			ids[id] = true
		}
	}
	got := map[string]bool{}
	for _, rr := range res.Requirements {
		got[rr.ID] = true
		if rr.Verdict != Pass && rr.Verdict != Fail && rr.Verdict != NotTested {
			t.Errorf("requirement %s has verdict %q", rr.ID, rr.Verdict)
		}
		if r, _ := cat.Lookup(rr.ID); r.Level != rr.Level {
			t.Errorf("requirement %s has level %s in the report, %s in the catalog", rr.ID, rr.Level, r.Level)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "result.html"))
	if err != nil {
		t.Fatal(err)
	}
	for id := range ids {
		if !got[id] {
			t.Errorf("JSON report has no entry for requirement %s", id)
		}
		if !strings.Contains(string(html), id) {
			t.Errorf("HTML report does not mention requirement %s", id)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var junit struct {
		Tests  int `xml:"tests,attr"`
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &junit); err != nil {
		t.Fatalf("JUnit report: %v", err)
	}
	var n int
	for _, s := range junit.Suites {
		for _, c := range s.Cases {
			if strings.Contains(c.Name, "[") {
				n++
			}
		}
	}
	if n != len(cases) {
		t.Errorf("JUnit report has %d spec test cases, want %d", n, len(cases))
	}
}

// startSDKGo starts sdk-go's HTTP receiver with a handler that answers
// each event with itself: a peer no one here wrote.
func startSDKGo() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	// NewClient without NewClientHTTP's defaulters: those stamp a time
	// (and an ID where missing) on every outgoing event, replies included,
	// which would hide what the receiver decoded behind one difference.
	p, err := cloudevents.NewHTTP(cloudevents.WithListener(ln))
	if err != nil {
		_ = ln.Close()
		return "", nil, err
	}
	c, err := cloudevents.NewClient(p)
	if err != nil {
		_ = ln.Close()
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.StartReceiver(ctx, func(e cloudevents.Event) *cloudevents.Event { return &e })
	}()
	stop := func() {
		cancel()
		select {
		case err := <-done:
			_ = err // how sdk-go's receiver stops is not what this test checks
		case <-time.After(10 * time.Second):
		}
	}
	return "http://" + ln.Addr().String() + "/", stop, nil
}

// TestSDKGo runs the suite against sdk-go's receiver. Its deviations are
// findings, not failures of the suite: the test asserts only that the run
// completes with a verdict for every case.
func TestSDKGo(t *testing.T) {
	t.Parallel()
	res, dir := runChild(t, "sdk-go")
	cases, err := Cases(spec.Default())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != len(cases) {
		t.Errorf("%d case results, want %d", len(res.Cases), len(cases))
	}
	for _, c := range res.Cases {
		if c.Verdict != Pass && c.Verdict != Fail {
			t.Errorf("%s: verdict %s, want PASS or FAIL", c.Name, c.Verdict)
		}
	}
	txt, _ := os.ReadFile(filepath.Join(dir, "result.txt"))
	t.Logf("sdk-go's receiver:\n%s", txt)
}

// TestUnreachable: a provider that is not there is one clear error, found
// before Ginkgo runs (so the process's one run is not used up), not a
// failure of every requirement.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/"
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	wasRun := ran.Load()
	res, err := Run(context.Background(), Config{Target: url, RequestTimeout: 2 * time.Second})
	if err == nil || res != nil || !strings.Contains(err.Error(), "cannot reach the provider at "+url) || IsConfigError(err) {
		t.Fatalf("Run = %v, %v; want the unreachable-provider error", res, err)
	}
	if ran.Load() != wasRun {
		t.Error("an unreachable provider used up the process's run")
	}
}
