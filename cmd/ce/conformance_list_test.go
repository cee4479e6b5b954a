package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openevents/openevents/conformance"
	"github.com/openevents/openevents/spec"
)

func TestConformanceList(t *testing.T) {
	cat, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := conformance.Cases(cat)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCE(t, "conformance", "list")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, fmt.Sprintf("\n%d cases\n", len(cases))) {
		t.Errorf("the output does not count %d cases:\n%s", len(cases), out)
	}
	lines := strings.Split(out, "\n")
	for i, c := range cases {
		// Line 0 is the header; each case has its line, in order.
		l := lines[i+1]
		for _, want := range []string{string(c.Class(cat)), string(c.Role), c.Binding, string(c.Mode), strings.Join(c.Requirements, " "), c.Name} {
			if !strings.Contains(l, want) {
				t.Errorf("line of case %q does not show %q: %s", c.Name, want, l)
			}
		}
	}
}

func TestConformanceListCoverage(t *testing.T) {
	cat, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := conformance.Cases(cat)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"", spec.Profile102, spec.ProfileMain} {
		t.Run("spec "+text, func(t *testing.T) {
			cov, err := conformance.CoverageOf(cat.All(), cases, text)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"conformance", "list", "--coverage"}
			if text != "" {
				args = append(args, "--spec", text)
			}
			code, out, _ := runCE(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			h := cov.Headline
			want := fmt.Sprintf("wire-testable MUST requirements of core, json, protobuf, http, webhook, mqtt with a case: %d of %d (%.0f%%)", h.Covered, h.Wire, h.Percent())
			if !strings.Contains(out, want) {
				t.Errorf("the output does not say %q:\n%s", want, out)
			}
			if strings.Contains(out, "without a case") {
				t.Errorf("--coverage alone lists the missing requirements:\n%s", out)
			}
			code, out, _ = runCE(t, append(args, "--missing")...)
			if code != exitOK {
				t.Fatalf("--missing: exit %d\n%s", code, out)
			}
			for _, r := range h.Missing {
				if !strings.Contains(out, r.ID) {
					t.Errorf("--missing does not list %s", r.ID)
				}
			}
		})
	}
}

func TestConformanceListUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--missing"}, "--missing and -v need --coverage"},
		{[]string{"-v"}, "--missing and -v need --coverage"},
		{[]string{"--spec", "main"}, "--spec needs --coverage"},
		{[]string{"--coverage", "--spec", "0.3"}, `unknown spec text "0.3"`},
		{[]string{"extra"}, "unknown command"},
	} {
		code, _, errOut := runCE(t, append([]string{"conformance", "list"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, exitUsage, tt.want)
		}
	}
}
