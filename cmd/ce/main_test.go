package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// runCE runs ce in-process and returns its exit status and output.
func runCE(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runCE(t, "version")
	if code != exitOK {
		t.Fatalf("ce version: exit %d, stderr %q", code, stderr)
	}
	if stderr != "" {
		t.Errorf("ce version wrote to stderr: %q", stderr)
	}
	if !strings.HasPrefix(stdout, "ce version ") || !strings.HasSuffix(stdout, "\n") {
		t.Errorf("ce version printed %q, want %q", stdout, "ce version X (commit Y, goZ)\n")
	}
	if want := runtime.Version() + ")\n"; !strings.HasSuffix(stdout, want) {
		t.Errorf("ce version printed %q, want it to end with %q", stdout, want)
	}
}

func TestVersionJSON(t *testing.T) {
	code, stdout, stderr := runCE(t, "version", "-o", "json")
	if code != exitOK {
		t.Fatalf("ce version -o json: exit %d, stderr %q", code, stderr)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("ce version -o json printed %q: %v", stdout, err)
	}
	if v.Version == "" || v.Commit == "" || v.GoVersion != runtime.Version() {
		t.Errorf("ce version -o json = %+v, want version, commit and go %s", v, runtime.Version())
	}
}

func TestHelpListsSubcommands(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {}} {
		code, stdout, stderr := runCE(t, args...)
		if code != exitOK {
			t.Fatalf("ce %v: exit %d, stderr %q", args, code, stderr)
		}
		for _, want := range []string{"CloudEvents", "Available Commands:", "version"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("ce %v output does not mention %q:\n%s", args, want, stdout)
			}
		}
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: exitUsage, wantStderr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"--frobnicate"}, wantCode: exitUsage, wantStderr: "unknown flag: --frobnicate"},
		{name: "unknown subcommand flag", args: []string{"version", "--frobnicate"}, wantCode: exitUsage, wantStderr: "unknown flag"},
		{name: "extra argument", args: []string{"version", "extra"}, wantCode: exitUsage, wantStderr: `unknown command "extra"`},
		{name: "bad output format", args: []string{"version", "-o", "yaml"}, wantCode: exitUsage, wantStderr: `unknown output format "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCE(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("ce %v: exit %d, want %d (stderr %q)", tt.args, code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("ce %v: stderr %q does not contain %q", tt.args, stderr, tt.wantStderr)
			}
			if n := strings.Count(stderr, tt.wantStderr); n != 1 {
				t.Errorf("ce %v: error printed %d times, want once:\n%s", tt.args, n, stderr)
			}
			if strings.Contains(stdout+stderr, "Usage:") {
				t.Errorf("ce %v: printed the usage text on an error:\n%s%s", tt.args, stdout, stderr)
			}
		})
	}
}

func TestExitCodeOf(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", err: nil, want: exitOK},
		{name: "plain error", err: cause, want: exitFailure},
		{name: "failure", err: failure(cause), want: exitFailure},
		{name: "usage error", err: usageError(cause), want: exitUsage},
		{name: "wrapped usage error", err: fmt.Errorf("context: %w", usageError(cause)), want: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
	if failure(nil) != nil || usageError(nil) != nil {
		t.Error("failure(nil) and usageError(nil) must be nil so RunE can return them directly")
	}
	if !errors.Is(usageError(cause), cause) {
		t.Error("usageError does not unwrap to its cause")
	}
}
