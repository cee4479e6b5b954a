package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runCEStdin runs ce in-process with the given standard input.
func runCEStdin(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const okMembers = `"specversion":"1.0","id":"1","source":"https://example.com/s","type":"t"`

// TestValidateAcceptance holds the acceptance lines of the foundation
// issue: each input must be rejected with the named requirement ID, or
// accepted.
func TestValidateAcceptance(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		rule string // "" means valid
	}{
		{"missing specversion", `{"id":"1","source":"/s","type":"t"}`, "CORE-ATTR-SPECVERSION-1"},
		{"empty subject", `{` + okMembers + `,"subject":""}`, "CORE-ATTR-SUBJECT-1"},
		{"extension my-ext", `{` + okMembers + `,"my-ext":"x"}`, "CORE-NAMING-1"},
		{"float extension", `{` + okMembers + `,"ratio":1.5}`, "JSON-TYPE-INTEGER-1"},
		{"time without seconds", `{` + okMembers + `,"time":"2018-04-05T17:31Z"}`, "CORE-ATTR-TIME-1"},
		{"data and data_base64", `{` + okMembers + `,"data":1,"data_base64":"AA=="}`, "JSON-DATA-5"},
		{"malformed JSON", `{"id":`, "JSON-SYNTAX-1"},
		{"25-character extension name", `{` + okMembers + `,"abcdefghijklmnopqrstuvwxy":"x"}`, ""},
		{"null subject", `{` + okMembers + `,"subject":null}`, ""},
		{"data false", `{` + okMembers + `,"data":false}`, ""},
		{"batch", `[{` + okMembers + `},{` + okMembers + `}]`, ""},
		{"batch with a bad event", `[{` + okMembers + `},{` + okMembers + `,"subject":""}]`, "CORE-ATTR-SUBJECT-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCEStdin(t, tc.in, "validate", "--output", "json")
			var rep report
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("output is not JSON: %v\n%s%s", err, stdout, stderr)
			}
			var rules []string
			for _, v := range rep.Violations {
				rules = append(rules, v.Rule)
				if v.Level == "?" || v.Message == "" {
					t.Errorf("violation without level or message: %+v", v)
				}
			}
			if tc.rule == "" {
				if code != exitOK || !rep.Valid {
					t.Fatalf("exit %d, violations %v; want valid", code, rules)
				}
				return
			}
			if code != exitFailure || rep.Valid || !slices.Contains(rules, tc.rule) {
				t.Fatalf("exit %d, violations %v; want exit 1 with %s", code, rules, tc.rule)
			}
		})
	}
}

func TestValidateTextAndFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"id":"1","source":"/s","type":"t","subject":""}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCE(t, "validate", bad)
	if code != exitFailure || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"CORE-ATTR-SUBJECT-1", "MUST", "/subject", "CORE-ATTR-SPECVERSION-1", "REQUIRED"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runCE(t, "validate", "../../examples/event.json")
	if code != exitOK || !strings.Contains(stdout, "valid") {
		t.Fatalf("example event: exit %d\n%s", code, stdout)
	}
	if code, _, stderr = runCE(t, "validate", filepath.Join(dir, "missing.json")); code != exitUsage || stderr == "" {
		t.Fatalf("missing file: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ = runCE(t, "validate", "a", "b"); code != exitUsage {
		t.Fatalf("two files: exit %d", code)
	}
	if code, _, _ = runCE(t, "validate", "--output", "xml", bad); code != exitUsage {
		t.Fatalf("bad --output: exit %d", code)
	}
}

func TestValidateSchema(t *testing.T) {
	code, stdout, _ := runCEStdin(t, `{`+okMembers+`,"subject":""}`, "validate", "--schema", "-o", "json")
	var rep report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	for _, v := range rep.Violations {
		sources[v.Source] = true
	}
	if code != exitFailure || !sources["schema"] || !sources["decoder"] {
		t.Fatalf("exit %d, sources %v; want both decoder and schema findings", code, sources)
	}
	if code, _, _ := runCEStdin(t, `{`+okMembers+`}`, "validate", "--schema"); code != exitOK {
		t.Fatalf("valid event with --schema: exit %d", code)
	}
}
