package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	var report jsonBenchReport
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
