package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// TestConformanceRun runs `ce conformance run` with its reports against
// the embedded reference provider, in a child process (Ginkgo runs once
// per process and refuses go test -count above 1).
func TestConformanceRun(t *testing.T) {
	dir := t.TempDir()
	jsonFile, htmlFile, junitFile := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html"), filepath.Join(dir, "junit.xml")
	code, out := runConformanceChild(t, "reference:"+dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"PASS", "HTTP-HEADER-VALUE-6", "verdict: PASS", "reference provider (ce run's echo function): HTTP http://127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not mention %q:\n%s", want, out)
		}
	}
	var res struct {
		Passed       bool `json:"passed"`
		Requirements []struct {
			ID      string `json:"id"`
			Verdict string `json:"verdict"`
		} `json:"requirements"`
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Passed || len(res.Requirements) == 0 {
		t.Errorf("JSON report: passed %v with %d requirements", res.Passed, len(res.Requirements))
	}
	html, err := os.ReadFile(htmlFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Requirements {
		if !strings.Contains(string(html), r.ID) {
			t.Errorf("the HTML report does not mention %s", r.ID)
		}
	}
	b, err = os.ReadFile(junitFile)
	if err != nil {
		t.Fatal(err)
	}
	var junit struct {
		XMLName  xml.Name `xml:"testsuites"`
		Failures int      `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b, &junit); err != nil || junit.Failures != 0 {
		t.Errorf("JUnit report: %v, %d failures", err, junit.Failures)
	}
}

func TestConformanceUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"argument", []string{"conformance", "run", "extra"}, "unknown command"},
		{"bad URL", []string{"conformance", "run", "--http", "ftp://example.com/"}, "not an absolute http"},
		{"bad label filter", []string{"conformance", "run", "--label-filter", "MUST &&"}, "label filter"},
		{"bad focus", []string{"conformance", "run", "--focus", "("}, "focus or skip"},
		{"bad timeout", []string{"conformance", "run", "--timeout", "-1s"}, "--timeout"},
		{"unknown flag", []string{"conformance", "run", "--amqp", "x"}, "unknown flag"},
		{"bad gRPC address", []string{"conformance", "run", "--grpc", "x"}, "not host:port"},
		{"gRPC service without --grpc", []string{"conformance", "run", "--grpc-service", "openevents"}, "needs --grpc"},
		{"unknown gRPC service", []string{"conformance", "run", "--grpc", "127.0.0.1:1", "--grpc-service", "both"}, "want auto, openevents or cloudevents"},
		{"unknown spec text", []string{"conformance", "run", "--spec", "1.0"}, "unknown spec profile"},
		{"unknown extension", []string{"conformance", "run", "--extensions", "disttrace,bogus"}, `unknown extension "bogus"`},
		{"unknown input version", []string{"conformance", "run", "--accept", "v0.4"}, "--accept"},
		{"malformed header", []string{"conformance", "run", "--header", "Authorization"}, "want 'Name: value'"},
		{"header the cases own", []string{"conformance", "run", "--header", "Content-Type: text/plain"}, "the cases set it themselves"},
		{"TLS without a target", []string{"conformance", "run", "--tls-ca", "ca.pem"}, "needs --http"},
		{"TLS with plain HTTP", []string{"conformance", "run", "--http", "http://127.0.0.1:1/", "--tls-ca", "ca.pem"}, "https://"},
		{"bad concurrency", []string{"conformance", "run", "--concurrency", "0"}, "--concurrency"},
		{"empty selection", []string{"conformance", "run", "--focus", "no case has this name"}, "no case matches"},
		{"report path", []string{"conformance", "run", "--json", "/nonexistent-dir/r.json"}, "cannot write the report"},
		{"topic without a broker", []string{"conformance", "run", "--topic", "t"}, "need --mqtt"},
		{"relay sink without a relay", []string{"conformance", "run", "--relay-sink", "127.0.0.1:9"}, "--relay-sink needs --http"},
		{"relay sink without a port", []string{"conformance", "run", "--http", "http://127.0.0.1:1/", "--relay-sink", "127.0.0.1"}, "HTTP relay sink"},
		{"broker without a topic", []string{"conformance", "run", "--mqtt", "tcp://127.0.0.1:1883"}, "MQTT topic"},
		{"unknown MQTT version", []string{"conformance", "run", "--mqtt", "tcp://127.0.0.1:1883", "--topic", "t", "--mqtt-version", "3"}, "want 5.0, 3.1.1 or both"},
		{"MQTT version without a broker", []string{"conformance", "run", "--mqtt-version", "5.0"}, "need --mqtt"},
		{"header without an HTTP target", []string{"conformance", "run", "--sender-command", "true", "--header", "A: b"}, "no --http target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCE(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

func TestConformanceHelp(t *testing.T) {
	code, stdout, _ := runCE(t, "conformance", "run", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--http", "--junit", "--label-filter", "--focus", "--skip", "--timeout", "reference provider", "Exit status",
		"--spec", "--extensions", "--accept", "--header", "--tls-ca", "--tls-cert", "--request-timeout", "--concurrency"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help does not mention %q", want)
		}
	}
}

// conformanceChildEnv makes TestConformanceChild run ce conformance run
// against the URL it holds, in a process of its own.
const conformanceChildEnv = "OPENEVENTS_CE_CONFORMANCE_TARGET"

// With the value "ce-listen" the child tests its own `ce listen --http
// 127.0.0.1:0 --reply`, every case; with "reference:DIR" the embedded
// reference provider, writing r.json, r.html and junit.xml into DIR; with a
// URL, the receiver cases at URL.
func TestConformanceChild(t *testing.T) {
	target := os.Getenv(conformanceChildEnv)
	if target == "" {
		return
	}
	args := []string{"conformance", "run", "--http", target, "--label-filter", "receiver"}
	if dir, ok := strings.CutPrefix(target, "reference:"); ok {
		args = []string{"conformance", "run", "--json", filepath.Join(dir, "r.json"),
			"--html", filepath.Join(dir, "r.html"), "--junit", filepath.Join(dir, "junit.xml")}
	}
	if raw, ok := strings.CutPrefix(target, "args:"); ok {
		args = append([]string{"conformance", "run"}, strings.Split(raw, "\x1f")...)
	}
	if target == "ce-listen" {
		addr, _ := startListenTLS(t, "--http", "127.0.0.1:0", "--reply")
		args = []string{"conformance", "run", "--http", "http://" + addr + "/"}
	}
	if target == "ce-listen-no-reply" {
		addr, _ := startListenTLS(t, "--http", "127.0.0.1:0")
		args = []string{"conformance", "run", "--http", "http://" + addr + "/"}
	}
	// os.Exit ends the listener too: this process exists for the one run.
	os.Exit(run(args, strings.NewReader(""), os.Stdout, os.Stderr))
}

// runConformanceChild runs TestConformanceChild in a child process with
// target and returns its exit status and output.
func runConformanceChild(t *testing.T, target string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestConformanceChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), conformanceChildEnv+"="+target)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return 0, string(out)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return ee.ExitCode(), string(out)
}

// TestConformanceListenReply: the echo receiver of `ce listen --reply`
// passes every case, as the README promises of it.
func TestConformanceListenReply(t *testing.T) {
	code, out := runConformanceChild(t, "ce-listen")
	if code != exitOK || !strings.Contains(out, "verdict: PASS") || strings.Contains(out, "\nFAIL") {
		t.Fatalf("exit %d, want %d and no FAIL:\n%s", code, exitOK, out)
	}
}

// TestConformanceListenNoReply: a receiver that does not reply passes,
// with its echo cases NOT-TESTED and one note saying why and what to do,
// instead of a failure per echo case.
func TestConformanceListenNoReply(t *testing.T) {
	code, out := runConformanceChild(t, "ce-listen-no-reply")
	if code != exitOK || !strings.Contains(out, "verdict: PASS") || strings.Contains(out, "\nFAIL") {
		t.Fatalf("exit %d, want %d and no FAIL:\n%s", code, exitOK, out)
	}
	for _, want := range []string{"Note: echo cases not run", "--reply", "--label-filter '!echo'", "NOT-TESTED"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
}

// TestConformanceSenderCommand: a sender command that sends nothing
// leaves every sender case NOT-TESTED (no message carried its event), so
// the run's verdict is NOT-TESTED (exit 1); one that fails is an error
// (exit 1) naming the command, not a verdict.
func TestConformanceSenderCommand(t *testing.T) {
	code, stdout, stderr := runCE(t, "conformance", "run", "--sender-command", "true")
	if code != exitFailure || !strings.Contains(stdout, "verdict: NOT-TESTED") || !strings.Contains(stdout, "did not send it") || strings.Contains(stdout, "\nPASS") {
		t.Errorf("a sender that sends nothing: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCE(t, "conformance", "run", "--sender-command", "echo broken >&2; exit 3")
	if code != exitFailure || !strings.Contains(stderr, "the sender failed") || !strings.Contains(stderr, "broken") {
		t.Errorf("a failing sender: exit %d, stderr %q; want %d and the command's output", code, stderr, exitFailure)
	}
}

// TestConformanceMQTTRelay: ce conformance run --mqtt tests the embedded
// broker as a relay; every relay case passes under the default profile.
func TestConformanceMQTTRelay(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	code, stdout, stderr := runCE(t, "conformance", "run", "--mqtt", b.URL(), "--topic", "ce/relay", "--label-filter", "relay")
	if code != exitOK || !strings.Contains(stdout, "\nPASS") || !strings.Contains(stdout, "CORE-SIZE-2") || strings.Contains(stdout, "\nFAIL") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "MQTT relay "+b.URL()) {
		t.Errorf("the output does not name the relay:\n%s", stdout)
	}
}

// TestConformanceMQTTSender: with --sender-command, --mqtt makes the
// sender publish on --topic (the suite listens there) with the MQTT
// sender contract's variables; a sender that publishes nothing leaves
// every MQTT sender case NOT-TESTED (exit 1), and --reply-topic has no
// place in that role.
func TestConformanceMQTTSender(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	cmd := `test "$CE_CONFORMANCE_TARGET" = "` + b.URL() + `" && test "$CE_CONFORMANCE_TOPIC" = ce/sent && test -n "$CE_CONFORMANCE_MQTT_VERSION"`
	code, stdout, stderr := runCE(t, "conformance", "run", "--mqtt", b.URL(), "--topic", "ce/sent", "--sender-command", cmd, "--label-filter", "mqtt && sender", "--request-timeout", "2s")
	if code != exitFailure || !strings.Contains(stdout, "MQTT sender "+b.URL()) || !strings.Contains(stdout, "did not publish it") || strings.Contains(stdout, "\nFAIL") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCE(t, "conformance", "run", "--mqtt", b.URL(), "--topic", "ce/sent", "--reply-topic", "ce/r", "--sender-command", "true")
	if code != exitUsage || !strings.Contains(stderr, "no reply topic") {
		t.Errorf("an MQTT sender with --reply-topic: exit %d, stderr %q", code, stderr)
	}
}

// TestConformanceGRPC: ce conformance run --grpc tests OpenEvents' gRPC
// server as a broker (its handler publishes every event to its Subscribe
// streams) through EventService; every gRPC case passes.
func TestConformanceGRPC(t *testing.T) {
	var srv *cegrpc.Server
	srv, err := cegrpc.NewServer(binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		return srv.Publish(ctx, e)
	}))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	code, stdout, stderr := runCE(t, "conformance", "run", "--grpc", ln.Addr().String(), "--label-filter", "grpc")
	if code != exitOK || !strings.Contains(stdout, "\nPASS") || !strings.Contains(stdout, "GRPC-ACK-2") || strings.Contains(stdout, "\nFAIL") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "gRPC "+ln.Addr().String()) {
		t.Errorf("the output does not name the gRPC target:\n%s", stdout)
	}
}

// TestConformanceExitOne: a provider that accepts everything fails MUST
// requirements, and ce exits 1. It runs in a child process, as Ginkgo runs
// once per process.
func TestConformanceExitOne(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	code, out := runConformanceChild(t, "http://"+ln.Addr().String()+"/")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailure, out)
	}
	for _, want := range []string{"FAIL", "CORE-ATTR-ID-1", "verdict: FAIL"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not mention %q:\n%s", want, out)
		}
	}
}

// conformanceReport is the part of the JSON report the tests read.
type conformanceReport struct {
	Passed bool `json:"passed"`
	Cases  []struct {
		Name    string `json:"name"`
		Role    string `json:"role"`
		Binding string `json:"binding"`
		Verdict string `json:"verdict"`
		Message string `json:"message"`
	} `json:"cases"`
}

// runEmbedded runs ce conformance run with args (and --json) against the
// embedded reference in a child process and returns the exit status, the
// output and the report.
func runEmbedded(t *testing.T, args ...string) (int, string, conformanceReport) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "r.json")
	code, out := runConformanceChild(t, "args:"+strings.Join(append(args, "--json", file), "\x1f"))
	var rep conformanceReport
	if b, err := os.ReadFile(file); err == nil {
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	return code, out, rep
}

// TestConformanceEmbeddedEveryBinding: with no target the suite tests
// ce run's echo over HTTP, gRPC and MQTT, and it passes under both
// profiles with cases of every binding passing and none failing.
func TestConformanceEmbeddedEveryBinding(t *testing.T) {
	for _, spec := range []string{"1.0.2", "main"} {
		t.Run(spec, func(t *testing.T) {
			code, out, rep := runEmbedded(t, "--spec", spec)
			if code != exitOK || !rep.Passed {
				t.Fatalf("exit %d, passed %v:\n%s", code, rep.Passed, out)
			}
			passed := map[string]int{}
			for _, c := range rep.Cases {
				switch c.Verdict {
				case "PASS":
					passed[c.Binding+" "+c.Role]++
				case "FAIL":
					t.Errorf("case %q (%s %s) failed: %s", c.Name, c.Binding, c.Role, c.Message)
				}
			}
			for _, want := range []string{"http receiver", "http echo", "http sender", "grpc receiver", "grpc relay", "mqtt echo"} {
				if passed[want] == 0 {
					t.Errorf("no %s case passed against the embedded reference (passed: %v)", want, passed)
				}
			}
		})
	}
}

// TestConformanceRole: --role keeps only the cases of the roles named,
// picks the MQTT role, and refuses what cannot be.
func TestConformanceRole(t *testing.T) {
	code, out, rep := runEmbedded(t, "--role", "relay")
	if code != exitOK {
		t.Fatalf("--role relay: exit %d\n%s", code, out)
	}
	relays := 0
	for _, c := range rep.Cases {
		if c.Verdict == "PASS" && c.Role != "relay" {
			t.Errorf("--role relay ran the %s case %q", c.Role, c.Name)
		}
		if c.Verdict == "PASS" && c.Role == "relay" && (c.Binding == "mqtt" || c.Binding == "grpc") {
			relays++
		}
	}
	if relays == 0 {
		t.Errorf("--role relay passed no MQTT or gRPC relay case against the embedded broker and gRPC trigger:\n%s", out)
	}
	for _, args := range [][]string{
		{"conformance", "run", "--role", "bogus"},
		{"conformance", "run", "--mqtt", "tcp://127.0.0.1:1", "--topic", "t", "--role", "receiver"},
		{"conformance", "run", "--mqtt", "tcp://127.0.0.1:1", "--topic", "t", "--role", "echo,relay"},
		{"conformance", "run", "--mqtt", "tcp://127.0.0.1:1", "--topic", "t", "--role", "sender"},
	} {
		if code, _, errOut := runCE(t, args...); code != exitUsage || !strings.Contains(errOut, "--role") {
			t.Errorf("%v: exit %d, stderr %q; want %d naming --role", args, code, errOut, exitUsage)
		}
	}
}

// TestConformanceGRPCSender: --sender-binding grpc runs the sender with
// the gRPC sender contract's variables (a host:port, the binding) and
// judges what arrives at the suite's gRPC services; a sender that sends
// nothing leaves every gRPC sender case NOT-TESTED (exit 1). An unknown
// binding, or one without --sender-command, is a usage error.
func TestConformanceGRPCSender(t *testing.T) {
	cmd := `test "$CE_CONFORMANCE_BINDING" = grpc && case "$CE_CONFORMANCE_TARGET" in 127.0.0.1:*) ;; *) exit 9;; esac && test -s "$CE_CONFORMANCE_EVENTS"`
	code, stdout, stderr := runCE(t, "conformance", "run", "--sender-command", cmd, "--sender-binding", "grpc", "--label-filter", "grpc && sender", "--request-timeout", "2s")
	if code != exitFailure || !strings.Contains(stdout, "did not send it") || strings.Contains(stdout, "\nFAIL") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, args := range [][]string{
		{"--sender-command", "true", "--sender-binding", "nats"},
		{"--sender-binding", "grpc"},
	} {
		code, _, stderr := runCE(t, append([]string{"conformance", "run"}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, "--sender-binding") {
			t.Errorf("%q: exit %d, stderr %q, want a usage error naming --sender-binding", args, code, stderr)
		}
	}
}
