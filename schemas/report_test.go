package schemas_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/openevents/openevents/schemas"
)

// minimalReport is the smallest report the schema describes: one
// requirement, failed by one case.
const minimalReport = `{
  "version": 1,
  "target": "http://127.0.0.1:8080/",
  "profile": {"spec": "1.0.2", "extensions": [], "accept03": false},
  "started": "2026-01-02T03:04:05.123456789Z",
  "seconds": 0.5,
  "verdict": "FAIL",
  "passed": false,
  "requirements": [{
    "id": "CORE-ATTR-ID-1", "level": "REQUIRED", "class": "MUST", "doc": "core",
    "text": "every event has an id attribute",
    "section": "https://github.com/cloudevents/spec/blob/ce@v1.0.2/cloudevents/spec.md#id",
    "verdict": "FAIL", "bindings": ["http"], "cases": ["no id"], "ran": 1, "message": "no id: status 200, want 400"
  }],
  "cases": [{
    "name": "no id", "requirements": ["CORE-ATTR-ID-1"], "class": "MUST", "role": "receiver",
    "binding": "http", "mode": "binary", "verdict": "FAIL", "message": "status 200, want 400", "seconds": 0.001
  }]
}`

// TestConformanceReportSchema compiles the report schema as draft 2020-12
// with format assertions, and applies it to a minimal report and to broken
// copies of it. The conformance package's tests validate real reports.
func TestConformanceReportSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(schemas.ConformanceReportSchemaURL, bytes.NewReader(schemas.ConformanceReportSchema())); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemas.ConformanceReportSchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		valid          bool
	}{
		{"minimal", "", "", true},
		{"with notes", `"passed": false,`, `"passed": false, "notes": ["echo cases not run"],`, true},
		{"extensions claimed", `"extensions": []`, `"extensions": ["dataref"]`, true},
		{"verdict MAYBE", `"verdict": "FAIL", "bindings"`, `"verdict": "MAYBE", "bindings"`, false},
		{"version 2", `"version": 1`, `"version": 2`, false},
		{"unknown extension", `"extensions": []`, `"extensions": ["gzip"]`, false},
		{"unknown member", `"passed": false,`, `"passed": false, "score": 3,`, false},
		{"class not the level's", `"level": "REQUIRED", "class": "MUST"`, `"level": "REQUIRED", "class": "MAY"`, false},
		{"a failed case without a message", `"message": "status 200, want 400", `, ``, false},
		{"an ID that is none", `"requirements": ["CORE-ATTR-ID-1"]`, `"requirements": ["id 1"]`, false},
		{"a role that is none", `"role": "receiver"`, `"role": "listener"`, false},
		{"extensions null", `"extensions": []`, `"extensions": null`, false},
		{"passed with a FAIL verdict", `"passed": false,`, `"passed": true,`, false},
		{"verdict missing", `"verdict": "FAIL",
  "passed"`, `"passed"`, false},
		{"a failed requirement that ran no case", `"ran": 1`, `"ran": 0`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(minimalReport, tc.old, tc.new, 1)
			if tc.old != "" && doc == minimalReport {
				t.Fatal("the edit changed nothing")
			}
			var v any
			if err := json.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatal(err)
			}
			err := s.Validate(v)
			if tc.valid && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tc.valid && err == nil {
				t.Error("accepted")
			}
		})
	}
}
