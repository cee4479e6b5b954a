package schemas_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/openevents/openevents/schemas"
)

// minimalFunction is a small configuration with one of most things, as
// JSON: the YAML of `ce run -f` stands for the same value.
const minimalFunction = `{
  "function": {"name": "orders", "builtin": "echo", "filter": [{"exact": {"type": "com.example.order"}}]},
  "concurrency": 8,
  "timeout": "1m30s",
  "retry": {"attempts": 3, "backoff": "100ms", "maxBackoff": "10s"},
  "deadLetter": {"file": "dead.jsonl"},
  ` + triggers + `
}`

const triggers = `"triggers": [
    {"http": {"addr": "127.0.0.1:8080"}},
    {"mqtt": {"url": "tcp://127.0.0.1:1883", "topic": "events/#", "version": "3.1.1", "qos": 1}},
    {"cron": {"schedule": "*/5 * * * *"}}
  ]`

// TestFunctionSchema compiles the runtime configuration schema as draft
// 2020-12 and applies it to a small configuration and to broken copies of
// it. runtime/config's tests apply it to the YAML examples.
func TestFunctionSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(schemas.FunctionSchemaURL, bytes.NewReader(schemas.FunctionSchema())); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemas.FunctionSchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		valid          bool
	}{
		{"minimal", "", "", true},
		{"exec function", `"builtin": "echo"`, `"exec": {"command": ["python3", "fn.py"], "env": {"K": "V"}}`, true},
		{"IPv6 address", `"127.0.0.1:8080"`, `"[::1]:8080"`, true},
		{"every interface", `"127.0.0.1:8080"`, `":8080"`, true},
		{"two function kinds", `"builtin": "echo"`, `"builtin": "echo", "http": {"url": "http://127.0.0.1:9000/"}`, false},
		{"no function kind", `"builtin": "echo", `, ``, false},
		{"unknown builtin", `"echo"`, `"reverse"`, false},
		{"unknown member", `"concurrency": 8`, `"concurrency": 8, "workers": 8`, false},
		{"concurrency 0", `"concurrency": 8`, `"concurrency": 0`, false},
		{"port alone", `"127.0.0.1:8080"`, `"8080"`, false},
		{"duration without unit", `"1m30s"`, `"90"`, false},
		{"negative duration", `"1m30s"`, `"-1s"`, false},
		{"no triggers", triggers, `"triggers": []`, false},
		{"triggers missing", ",\n  " + triggers, ``, false},
		{"sink with two kinds", `{"file": "dead.jsonl"}`, `{"file": "dead.jsonl", "http": "http://x/"}`, false},
		{"MQTT version 3", `"3.1.1"`, `3`, false},
		{"exact on two attributes", `{"type": "com.example.order"}`, `{"type": "a", "source": "b"}`, false},
		{"upper-case attribute", `{"type": "com.example.order"}`, `{"Type": "a"}`, false},
		{"sql dialect", `{"exact": {"type": "com.example.order"}}`, `{"sql": "type = 'a'"}`, false},
		{"TLS key without cert", `"qos": 1}`, `"qos": 1, "tls": {"key": "k.pem"}}`, false},
		{"server TLS without key", `"127.0.0.1:8080"}`, `"127.0.0.1:8080", "tls": {"cert": "c.pem"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(minimalFunction, tc.old, tc.new, 1)
			if tc.old != "" && doc == minimalFunction {
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
