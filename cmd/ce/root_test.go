package main

import (
	"strings"
	"testing"
)

// "ce --version" and "ce version" print the same line.
func TestVersionFlag(t *testing.T) {
	_, want, _ := runCE(t, "version")
	code, stdout, stderr := runCE(t, "--version")
	if code != exitOK || stderr != "" {
		t.Fatalf("ce --version: exit %d, stderr %q", code, stderr)
	}
	if stdout != want {
		t.Errorf("ce --version printed %q, ce version %q", stdout, want)
	}
	if !strings.HasPrefix(stdout, "ce version ") {
		t.Errorf("ce --version printed %q", stdout)
	}
	// No -v shorthand: it stays free for a --verbose.
	if code, _, stderr := runCE(t, "-v"); code != exitUsage || !strings.Contains(stderr, "unknown shorthand flag") {
		t.Errorf("ce -v: exit %d, stderr %q; want a usage error", code, stderr)
	}
	_, help, _ := runCE(t, "--help")
	if !strings.Contains(help, "--version") {
		t.Errorf("ce --help does not list --version:\n%s", help)
	}
}

// The completion command is listed in the help and its scripts come out
// for every shell cobra supports.
func TestCompletion(t *testing.T) {
	_, help, _ := runCE(t, "--help")
	if !strings.Contains(help, "\n  completion ") {
		t.Errorf("ce --help does not list completion:\n%s", help)
	}
	if !strings.Contains(help, "source <(ce completion bash)") {
		t.Errorf("ce --help does not say how to load completion:\n%s", help)
	}
	for shell, want := range map[string]string{
		"bash":       "# bash completion V2 for ce",
		"zsh":        "#compdef ce",
		"fish":       "# fish completion for ce",
		"powershell": "# powershell completion for ce",
	} {
		code, stdout, stderr := runCE(t, "completion", shell)
		if code != exitOK || stderr != "" {
			t.Errorf("ce completion %s: exit %d, stderr %q", shell, code, stderr)
			continue
		}
		if !strings.HasPrefix(stdout, want) {
			t.Errorf("ce completion %s starts %q, want %q", shell, stdout[:min(len(stdout), 60)], want)
		}
	}
	// Cobra's completion protocol, which the scripts call, completes the
	// subcommand names.
	code, stdout, _ := runCE(t, "__complete", "li")
	if code != exitOK || !strings.Contains(stdout, "listen") {
		t.Errorf("ce __complete li: exit %d, output %q; want listen", code, stdout)
	}
	if code, _, stderr := runCE(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("ce completion tcsh: exit %d, stderr %q; want %d", code, stderr, exitUsage)
	}
}
