package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/runtime/telemetry/otlptest"
	cegrpc "github.com/openevents/openevents/transports/grpc"
	cehttp "github.com/openevents/openevents/transports/http"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// runChildEnv makes the test binary run ce with the arguments in it (one
// per line) instead of the tests: ce run must be a process of its own to
// be stopped with SIGTERM or killed with SIGKILL.
const runChildEnv = "OPENEVENTS_CE_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(runChildEnv); args != "" {
		os.Exit(run(strings.Split(args, "\n"), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// ceChild is ce running as a child process.
type ceChild struct {
	cmd    *exec.Cmd
	stdout *lineReader
	stderr *lineReader
	done   chan struct{} // closed once the process has exited
}

// startCE starts ce with args and waits for its first line on stderr
// that matches ready.
func startCE(t *testing.T, ready *regexp.Regexp, args ...string) *ceChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runChildEnv+"="+strings.Join(args, "\n"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &ceChild{cmd: cmd, stdout: readLines(out), stderr: readLines(errOut), done: make(chan struct{})}
	go func() {
		c.stdout.wait()
		c.stderr.wait()
		_ = cmd.Wait() // the exit status is read from ProcessState
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
		}
	})
	if _, ok := c.stderr.waitFor(ready, 30*time.Second); !ok {
		t.Fatalf("ce %s did not start; stderr:\n%s", strings.Join(args, " "), c.stderr.text())
	}
	return c
}

// stop sends SIGTERM and returns the exit code.
func (c *ceChild) stop(t *testing.T) int {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("ce did not stop on SIGTERM; stderr:\n%s", c.stderr.text())
	}
	return c.cmd.ProcessState.ExitCode()
}

// lineReader collects a stream's lines and signals each.
type lineReader struct {
	mu     sync.Mutex
	lines  []string
	signal chan struct{}
	eof    chan struct{}
}

func readLines(r io.Reader) *lineReader {
	l := &lineReader{signal: make(chan struct{}, 1), eof: make(chan struct{})}
	go func() {
		defer close(l.eof)
		s := bufio.NewScanner(r)
		s.Buffer(make([]byte, 64<<10), 1<<20)
		for s.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, s.Text())
			l.mu.Unlock()
			select {
			case l.signal <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

func (l *lineReader) wait() { <-l.eof }

func (l *lineReader) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *lineReader) text() string { return strings.Join(l.snapshot(), "\n") }

// waitFor waits for a line matching re and returns its submatches.
func (l *lineReader) waitFor(re *regexp.Regexp, d time.Duration) ([]string, bool) {
	deadline := time.After(d)
	for {
		for _, line := range l.snapshot() {
			if m := re.FindStringSubmatch(line); m != nil {
				return m, true
			}
		}
		select {
		case <-l.signal:
		case <-l.eof:
			for _, line := range l.snapshot() {
				if m := re.FindStringSubmatch(line); m != nil {
					return m, true
				}
			}
			return nil, false
		case <-deadline:
			return nil, false
		}
	}
}

var (
	reStarted  = regexp.MustCompile(`^stop with Ctrl-C`)
	reHTTPAddr = regexp.MustCompile(`^  http ([0-9.:]+)$`)
	reGRPCAddr = regexp.MustCompile(`^  grpc ([0-9.:]+)$`)
	reMQTTURL  = regexp.MustCompile(`^  mqtt (tcp://[0-9.:]+) `)
)

func (c *ceChild) addr(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	m, ok := c.stderr.waitFor(re, time.Second)
	if !ok {
		t.Fatalf("no %v in:\n%s", re, c.stderr.text())
	}
	return m[1]
}

// TestRunDefaultEcho: ce run's echo answers on all three triggers, its
// metrics move, /readyz is 200, and SIGTERM ends it with status 0.
func TestRunDefaultEcho(t *testing.T) {
	c := startCE(t, reStarted, "run", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--mqtt-broker", "127.0.0.1:0")
	httpAddr, grpcAddr, mqttURL := c.addr(t, reHTTPAddr), c.addr(t, reGRPCAddr), c.addr(t, reMQTTURL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// HTTP: binary mode in, the echo comes back as the response.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+httpAddr+"/", strings.NewReader(`{"hello":"world"}`))
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/curl", "ce-type": "com.example.hello", "content-type": "application/json"} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ce-id") != "1" || string(body) != `{"hello":"world"}` {
		t.Errorf("echo: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz %d", code)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz %d", code)
	}
	if _, m := get("/metrics"); !strings.Contains(m, `ce_host_events_succeeded_total{function="echo",trigger="http"} 1`) {
		t.Errorf("/metrics does not count the event:\n%s", grepLines(m, "succeeded"))
	}

	// gRPC.
	gc, err := cegrpc.NewClient(grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = gc.Close(ctx) }()
	ge := event.New("g1", "/grpc", "com.example.hello")
	if err := gc.Send(ctx, &ge); err != nil {
		t.Errorf("gRPC: %v", err)
	}

	// MQTT 5 with a response topic.
	conn, err := net.Dial("tcp", strings.TrimPrefix(mqttURL, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	replies := make(chan *paho.Publish, 1)
	pc := paho.NewClient(paho.ClientConfig{Conn: conn, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
		func(pr paho.PublishReceived) (bool, error) { replies <- pr.Packet; return true, nil },
	}})
	if _, err := pc.Connect(ctx, &paho.Connect{ClientID: "asker", CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pc.Disconnect(&paho.Disconnect{}) }()
	if _, err := pc.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "replies/asker", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Publish(ctx, &paho.Publish{Topic: "events/x", QoS: 1, Payload: []byte(`{"specversion":"1.0","id":"m1","source":"/s","type":"t"}`),
		Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json", ResponseTopic: "replies/asker"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-replies:
	case <-ctx.Done():
		t.Error("no MQTT reply")
	}

	if code := c.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM; stderr:\n%s", code, c.stderr.text())
	}
	if !strings.Contains(c.stderr.text(), "ce run: stopped") {
		t.Errorf("stderr:\n%s", c.stderr.text())
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestRunAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	code, _, errOut := runCE(t, "run", "--http", ln.Addr().String(), "--grpc", "", "--mqtt-broker", "")
	if code != exitFailure || !strings.Contains(errOut, "--http") || !strings.Contains(errOut, "in use") {
		t.Errorf("exit %d, stderr %q; want 1 naming --http and the address in use", code, errOut)
	}
}

func TestRunUsageErrors(t *testing.T) {
	// A usage error is one even when the embedded broker could not
	// listen: the flags are checked first.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = taken.Close() }()
	for _, args := range [][]string{
		{"run", "--function", "nope"},
		{"run", "--http", "", "--grpc", "", "--mqtt-broker", ""},
		{"run", "--http", "", "--grpc", "127.0.0.1:0"},
		{"run", "--concurrency", "0"},
		{"run", "--concurrency", "0", "--mqtt-broker", taken.Addr().String()},
		{"run", "--otlp-endpoint", "127.0.0.1:4318", "--mqtt-broker", taken.Addr().String()},
		{"run", "-f", "function.yaml", "--otlp-endpoint", "http://127.0.0.1:4318"},
	} {
		if code, _, errOut := runCE(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, stderr %q; want %d", args, code, errOut, exitUsage)
		}
	}
}

// TestRunKill9NoLoss: ce run consumes MQTT QoS 1 from a broker that
// outlives it, is killed with SIGKILL mid-stream, and restarts with the
// same client id; every published event is handled at least once.
func TestRunKill9NoLoss(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	args := []string{"run", "--function", "log", "--mqtt", b.URL(), "--client-id", "kill9", "--topic", "work/#",
		"--http", "", "--grpc", "", "--admin", "127.0.0.1:0"}
	first := startCE(t, reStarted, args...)

	const total = 500
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithClientID("kill9-publisher"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := range total {
			e := event.New("k"+strconv.Itoa(i), "/kill9", "com.example.work")
			if err := pub.Publish(ctx, "work/items", &e); err != nil {
				t.Errorf("publish %d: %v", i, err)
				return
			}
		}
	}()
	// Kill the first runtime once it has handled some, not all.
	if _, ok := first.stdout.waitFor(regexp.MustCompile(`"id":"k50"`), 30*time.Second); !ok {
		t.Fatalf("the first runtime handled too little:\n%s", first.stderr.text())
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	<-published
	second := startCE(t, reStarted, args...)

	seen := map[string]int{}
	count := func() {
		clear(seen)
		for _, c := range []*ceChild{first, second} {
			for _, line := range c.stdout.snapshot() {
				if m := reLoggedID.FindStringSubmatch(line); m != nil {
					seen[m[1]]++
				}
			}
		}
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		count()
		if len(seen) == total || time.Now().After(deadline) {
			break
		}
		select {
		case <-second.stdout.signal:
		case <-time.After(100 * time.Millisecond):
		}
	}
	var missing []string
	dups := 0
	for i := range total {
		switch n := seen["k"+strconv.Itoa(i)]; {
		case n == 0:
			missing = append(missing, "k"+strconv.Itoa(i))
		case n > 1:
			dups += n - 1
		}
	}
	t.Logf("%d events, %d handled by the first runtime before SIGKILL, %d duplicates after the restart", total, len(first.stdout.snapshot()), dups)
	if len(missing) > 0 {
		t.Errorf("%d of %d events never handled (first: %v)", len(missing), total, missing[:min(len(missing), 10)])
	}
	if code := second.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
}

var reLoggedID = regexp.MustCompile(`"id":"(k[0-9]+)"`)

func TestRunCheck(t *testing.T) {
	for _, f := range []string{"../../examples/function.yaml", "../../examples/dead-letter.yaml"} {
		if code, out, errOut := runCE(t, "run", "-f", f, "--check"); code != exitOK || !strings.Contains(out, "ok") {
			t.Errorf("%s: exit %d, %q %q", f, code, out, errOut)
		}
	}
	bad := t.TempDir() + "/bad.yaml"
	if err := os.WriteFile(bad, []byte("function: {builtin: echo}\ntriggers:\n  - http: {addr: \"8080\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCE(t, "run", "-f", bad, "--check")
	if code != exitUsage || !strings.Contains(errOut, "bad.yaml:3:") || !strings.Contains(errOut, "triggers[0].http.addr") {
		t.Errorf("exit %d, stderr %q; want 2 naming line 3 and the field", code, errOut)
	}
	if code, _, _ := runCE(t, "run", "-f", bad, "--http", "127.0.0.1:0"); code != exitUsage {
		t.Errorf("a flag with -f: exit %d, want %d", code, exitUsage)
	}
}

// TestRunDeadLetterExample runs examples/dead-letter.yaml (on a free port):
// an order event that cannot be forwarded is retried and written to the
// dead-letter file unchanged plus the two attributes; an event the filter
// leaves out is accepted and goes nowhere.
func TestRunDeadLetterExample(t *testing.T) {
	src, err := os.ReadFile("../../examples/dead-letter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := dir + "/dead-letter.yaml"
	if err := os.WriteFile(file, []byte(strings.Replace(string(src), "127.0.0.1:8080", "127.0.0.1:0", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startCE(t, reStarted, "run", "-f", file)
	addr := c.addr(t, reHTTPAddr)
	s, err := cehttp.NewSender("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	order := event.New("o-1", "/shop", "com.example.order.created")
	order.SetDataContentType("application/json")
	order.SetData([]byte(`{"total":12}`))
	if _, err := s.Send(ctx, &order); err != nil {
		t.Fatalf("order: %v (a dead-lettered event is accepted)", err)
	}
	other := event.New("x-1", "/shop", "com.example.cart.viewed")
	if _, err := s.Send(ctx, &other); err != nil {
		t.Fatalf("filtered-out event: %v", err)
	}
	if code := c.stop(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, c.stderr.text())
	}
	b, err := os.ReadFile(dir + "/dead-letter.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 {
		t.Fatalf("dead-letter file has %d lines:\n%s", len(lines), b)
	}
	var d event.Event
	if err := jsonformat.Decode([]byte(lines[0]), &d); err != nil {
		t.Fatal(err)
	}
	if d.ID() != "o-1" || string(d.Data()) != `{"total":12}` {
		t.Errorf("dead letter %s", lines[0])
	}
	if v, ok := d.Extension("deadletterattempts"); !ok || v.String() != "3" {
		t.Errorf("deadletterattempts = %v in %s", v, lines[0])
	}
	if _, ok := d.Extension("deadlettererror"); !ok {
		t.Errorf("no deadlettererror in %s", lines[0])
	}
}

var reAdminAddr = regexp.MustCompile(`^  admin http://([0-9.:]+) `)

// TestRunDrainFinishesInFlight: on SIGTERM an event already in the
// function finishes and is answered, /readyz fails while ce run drains,
// new events are refused, and ce run exits 0. The function is an exec
// child that sleeps for the event's data in seconds.
func TestRunDrainFinishesInFlight(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: the exec function of this test is a Python script")
	}
	script, err := filepath.Abs("../../runtime/external/testdata/sleep.py")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "drain.yaml")
	conf := "function:\n  exec: {command: [python3, " + strconv.Quote(script) + "]}\n" +
		"timeout: 20s\ndrainTimeout: 20s\nadmin: 127.0.0.1:0\ntriggers:\n  - http: {addr: \"127.0.0.1:0\"}\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startCE(t, reStarted, "run", "-f", file)
	httpAddr, adminAddr := c.addr(t, reHTTPAddr), c.addr(t, reAdminAddr)
	if httpAddr == adminAddr {
		t.Fatalf("admin %s shares the HTTP trigger's listener although it was given apart", adminAddr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	post := func(id, data string) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+httpAddr+"/", strings.NewReader(data))
		for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": id, "ce-source": "/drain", "ce-type": "com.example.slow", "content-type": "application/json"} {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		_ = resp.Body.Close()
		return resp.StatusCode, nil
	}
	get := func(path string) int {
		resp, err := http.Get("http://" + adminAddr + path)
		if err != nil {
			return 0
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	type result struct {
		code int
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		code, err := post("slow", "2")
		slow <- result{code, err}
	}()
	inFlight := func() bool {
		resp, err := http.Get("http://" + adminAddr + "/metrics")
		if err != nil {
			return false
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `ce_host_in_flight{function="function",trigger="http"} 1`)
	}
	for !inFlight() {
		select {
		case <-ctx.Done():
			t.Fatal("the slow event never reached the function")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for get("/readyz") == http.StatusOK {
		select {
		case <-ctx.Done():
			t.Fatal("/readyz stayed 200 while ce run drained")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if code, err := post("late", "0"); err == nil && code/100 == 2 {
		t.Errorf("an event sent during the drain was accepted (%d)", code)
	}
	r := <-slow
	if r.err != nil || r.code != http.StatusOK {
		t.Errorf("the in-flight event got %d, %v; want its reply (200) before ce run stops", r.code, r.err)
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		t.Fatalf("ce run did not exit after the drain; stderr:\n%s", c.stderr.text())
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit %d after SIGTERM; stderr:\n%s", code, c.stderr.text())
	}
}

// TestRunAsBroker: a forward function whose sink is the subscribers of
// ce run's own gRPC trigger makes ce run a small broker: an event sent
// over HTTP reaches a gRPC Subscribe stream.
func TestRunAsBroker(t *testing.T) {
	file := filepath.Join(t.TempDir(), "broker.yaml")
	conf := "function: {builtin: forward}\nforward: [{subscribers: true}]\n" +
		"triggers:\n  - http: {addr: \"127.0.0.1:0\"}\n  - grpc: {addr: \"127.0.0.1:0\"}\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startCE(t, reStarted, "run", "-f", file)
	httpAddr, grpcAddr := c.addr(t, reHTTPAddr), c.addr(t, reGRPCAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gc, err := cegrpc.NewClient(grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = gc.Close(context.Background()) }()
	got := make(chan string, 16)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_ = gc.Subscribe(sctx, cegrpc.Filter{Type: "com.example.brokered"}, binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
			got <- strings.Clone(e.ID())
			return nil
		}))
	}()
	s, err := cehttp.NewSender("http://" + httpAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	// The subscription starts asynchronously: send until one arrives.
	for i := 0; ; i++ {
		e := event.New(strconv.Itoa(i), "/broker", "com.example.brokered")
		if _, err := s.Send(ctx, &e); err != nil {
			t.Fatalf("send over HTTP: %v", err)
		}
		select {
		case id := <-got:
			if id != strconv.Itoa(i) && id != strconv.Itoa(i-1) {
				t.Errorf("the subscriber got event %s after %d was sent", id, i)
			}
			if code := c.stop(t); code != 0 {
				t.Errorf("exit %d; stderr:\n%s", code, c.stderr.text())
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no forwarded event reached the gRPC subscriber")
		}
	}
}

// TestRunOTLP: with --otlp-endpoint, an event that came in over HTTP with
// a traceparent header becomes a span, a child of that header's span,
// with the event's attributes; SIGTERM sends it before ce run exits.
func TestRunOTLP(t *testing.T) {
	r, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	c := startCE(t, reStarted, "run", "--http", "127.0.0.1:0", "--grpc", "", "--mqtt-broker", "", "--otlp-endpoint", r.URL)
	httpAddr := c.addr(t, reHTTPAddr)
	const traceID, parent = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	req, _ := http.NewRequest(http.MethodPost, "http://"+httpAddr+"/", strings.NewReader(`{}`))
	for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "o1", "ce-source": "/otlp", "ce-type": "com.example.traced",
		"content-type": "application/json", "traceparent": "00-" + traceID + "-" + parent + "-01"} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if code := c.stop(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, c.stderr.text())
	}
	spans := r.Spans()
	if len(spans) != 1 {
		t.Fatalf("%d spans reached the collector; want 1; stderr:\n%s", len(spans), c.stderr.text())
	}
	s := spans[0]
	if s.TraceID != traceID || s.ParentSpanID != parent {
		t.Errorf("span of trace %s with parent %s; want %s and %s", s.TraceID, s.ParentSpanID, traceID, parent)
	}
	for k, v := range map[string]string{"cloudevents.event_id": "o1", "cloudevents.event_source": "/otlp",
		"cloudevents.event_type": "com.example.traced", "openevents.trigger": "http", "openevents.function": "echo"} {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %q; want %q", k, s.Attributes[k], v)
		}
	}
	if s.Status != "STATUS_CODE_OK" || s.Resource["service.name"] != "echo" {
		t.Errorf("status %s, resource %v", s.Status, s.Resource)
	}
	if !strings.Contains(c.stderr.text(), "traces to "+r.URL) {
		t.Errorf("the start-up lines do not name the collector:\n%s", c.stderr.text())
	}
}

// TestRunFunctionExample runs examples/function.yaml as the README says,
// on free ports and with its HTTP forward target closed: an order event
// passes the filter, is forwarded to the file sink on each of its three
// attempts, fails on the closed HTTP sink and goes to the dead-letter
// file; an event the filter refuses is acknowledged and goes nowhere.
func TestRunFunctionExample(t *testing.T) {
	src, err := os.ReadFile("../../examples/function.yaml")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closedPort(t)
	conf := string(src)
	for old, repl := range map[string]string{"127.0.0.1:8080": "127.0.0.1:0", "127.0.0.1:50051": "127.0.0.1:0",
		"127.0.0.1:9090": "127.0.0.1:0", "127.0.0.1:9100": closedAddr} {
		if !strings.Contains(conf, old) {
			t.Fatalf("the example no longer has %s", old)
		}
		conf = strings.ReplaceAll(conf, old, repl)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "function.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startCE(t, reStarted, "run", "-f", filepath.Join(dir, "function.yaml"))
	s, err := cehttp.NewSender("http://" + c.addr(t, reHTTPAddr) + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	order := event.New("o-1", "/shop", "com.example.order.created")
	if _, err := s.Send(ctx, &order); err != nil {
		t.Fatalf("order: %v (a dead-lettered event is accepted)", err)
	}
	other := event.New("c-1", "/shop", "com.example.cart.viewed")
	if _, err := s.Send(ctx, &other); err != nil {
		t.Fatalf("an event the filter refuses: %v", err)
	}
	if code := c.stop(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, c.stderr.text())
	}
	dead, _ := os.ReadFile(filepath.Join(dir, "dead-letter.jsonl"))
	forwarded, _ := os.ReadFile(filepath.Join(dir, "orders.jsonl"))
	if n := strings.Count(string(dead), "\n"); n != 1 || !strings.Contains(string(dead), `"id":"o-1"`) || !strings.Contains(string(dead), `"deadletterattempts":3`) {
		t.Errorf("dead-letter file (want the order once, after 3 attempts):\n%s", dead)
	}
	if n := strings.Count(string(forwarded), `"id":"o-1"`); n != 3 || strings.Contains(string(forwarded), "c-1") {
		t.Errorf("forwarded file (want the order on each of 3 attempts, not the filtered event):\n%s", forwarded)
	}
}

// TestRunSinkUnreachable: a sink that cannot connect at start-up is an
// error naming it, exit 1, not a crash.
func TestRunSinkUnreachable(t *testing.T) {
	addr := closedPort(t)
	file := filepath.Join(t.TempDir(), "f.yaml")
	conf := "function: {builtin: echo}\nreplies: [{mqtt: {url: \"tcp://" + addr + "\", topic: r}}]\ntriggers: [{http: {addr: \"127.0.0.1:0\"}}]\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCE(t, "run", "-f", file)
	if code != exitFailure || !strings.Contains(errOut, "replies[0]") || strings.Contains(errOut, "panic") {
		t.Errorf("exit %d, stderr %q; want %d naming replies[0]", code, errOut, exitFailure)
	}
}

// closedPort returns a loopback host:port nothing listens on: one the
// kernel just handed out and that was closed again.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
