package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openevents/openevents/internal/bench/benchhttp"
	"github.com/openevents/openevents/internal/bench/benchjson"
	"github.com/openevents/openevents/internal/bench/benchmqtt"
)

// TestBenchJSON runs a short ce bench json (one round of 2 ms slices) and
// checks the table and the JSON report: every case, a positive figure for
// both libraries and the ratio between them.
func TestBenchJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	code, stdout, stderr := runCE(t, "bench", "json", "--rounds", "1", "--slice", "2ms", "--json", out)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	cases := []string{"decode", "encode", "validate", "decode batch", "decode batch, large"}
	for _, c := range cases {
		if !strings.Contains(stdout, "\n"+c+" ") {
			t.Errorf("the table has no %q row:\n%s", c, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var report benchjson.Report
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Results) != len(cases) || report.Procs != 1 || report.Rounds != 1 {
		t.Fatalf("report: %+v", report)
	}
	for i, r := range report.Results {
		if r.Case != cases[i] || len(r.Ratios) != 1 || r.OursNsPerOp[0] <= 0 || r.SDKNsPerOp[0] <= 0 ||
			r.MedianRatio != r.SDKNsPerOp[0]/r.OursNsPerOp[0] || r.OursPerSec <= 0 {
			t.Errorf("row %d: %+v", i, r)
		}
	}
}

func TestBenchJSONUsage(t *testing.T) {
	for _, args := range [][]string{{"--rounds", "0"}, {"--slice", "0s"}, {"--procs", "0"}} {
		code, _, stderr := runCE(t, append([]string{"bench", "json"}, args...)...)
		if code != exitUsage || stderr == "" {
			t.Errorf("ce bench json %v: exit %d, stderr %q; want a usage error", args, code, stderr)
		}
	}
}

func TestBenchHTTP(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.json")
	code, stdout, stderr := runCE(t, "bench", "http", "--in-process", "--duration", "100ms", "--warmup", "0s",
		"--runs", "1", "--connections", "2", "--max-requests", "500",
		"--servers", "openevents-fasthttp,bare-fasthttp", "--json", out)
	if code != exitOK {
		t.Fatalf("ce bench http: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"openevents-fasthttp", "bare-fasthttp", "events/s", "p99", "openevents-fasthttp / bare-fasthttp"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchhttp.Report
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Best) != 2 || len(rep.Ratios) != 1 {
		t.Errorf("JSON %s: %v", b, err)
	}
	if code, _, _ := runCE(t, "bench", "http", "--servers", "nginx"); code != exitUsage {
		t.Errorf("unknown receiver: exit %d, want %d", code, exitUsage)
	}
}

func TestBenchGRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and sends load")
	}
	code, out, errOut := runCE(t, "bench", "grpc", "--in-process", "--events", "2000", "--batch", "100", "--window", "400", "--runs", "1", "--duration", "5s")
	if code != exitOK || !strings.Contains(out, "openevents Stream") || !strings.Contains(out, "bare gRPC stream") || !strings.Contains(out, "ce-run (host, noop)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, _ := runCE(t, "bench", "grpc", "--batch", "0"); code != exitUsage {
		t.Errorf("--batch 0: exit %d", code)
	}
}

func TestMQTTBench(t *testing.T) {
	if testing.Short() {
		t.Skip("load test; skipped with -short")
	}
	jsonOut := filepath.Join(t.TempDir(), "bench.json")
	code, out, errOut := runCE(t, "bench", "mqtt", "--count", "300", "--rounds", "1", "--publishers", "4", "--json", jsonOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	b, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchmqtt.Report
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Results) != 4 || rep.Results[0].OursPerSecond <= 0 {
		t.Errorf("JSON report %s: %v", b, err)
	}
	for _, want := range []string{"bare paho", "openevents", "ce-run", "embedded   1    binary", "embedded   0    structured"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchServeUsage: the child side of the protocol refuses a receiver
// it does not know before it listens.
func TestBenchServeUsage(t *testing.T) {
	for _, binding := range []string{"http", "grpc"} {
		code, stdout, stderr := runCE(t, "bench", binding, "--serve", "nginx")
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, `--serve "nginx"`) {
			t.Errorf("ce bench %s --serve nginx: exit %d, stdout %q, stderr %q; want a usage error", binding, code, stdout, stderr)
		}
	}
}
