package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/openevents/openevents/runtime/config"
)

// A valid file to break: tests replace one line or add some.
const base = `function:
  builtin: echo
triggers:
  - http:
      addr: "127.0.0.1:8080"
`

// TestProblems breaks files in every way the package knows and checks
// each problem's place, path, words and rule.
func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // Problem.String() of every problem, in order
	}{
		// The schema, keyword by keyword.
		{"pattern", strings.Replace(base, `"127.0.0.1:8080"`, `"8080"`, 1), []string{
			`5:13: triggers[0].http.addr: "8080" does not match the address pattern host:port (pattern)`}},
		{"enum", strings.Replace(base, "echo", "reverse", 1), []string{
			`2:12: function.builtin: "reverse" is not one of "echo", "noop", "log", "forward" (enum)`}},
		{"enum of numbers and strings", base + "  - mqtt: {url: 'tcp://b:1883', topic: t, version: 3}\n", []string{
			`6:52: triggers[1].mqtt.version: 3 is not one of 5, "3.1.1" (enum)`}},
		{"type, with a hint to quote", base + "timeout: 5\n", []string{
			`6:10: timeout: expected a string, got an integer; write "5" in quotes (type)`}},
		{"type of a collection", "function: [echo]\ntriggers: {http: {}}\n", []string{
			`1:11: function: expected a mapping, got a list (type)`,
			`2:11: triggers: expected a list, got a mapping (type)`}},
		{"minimum", base + "concurrency: 0\n", []string{`6:14: concurrency: 0 is less than the minimum, 1 (minimum)`}},
		{"maximum", base + "retry:\n  attempts: 101\n", []string{`7:13: retry.attempts: 101 is more than the maximum, 100 (maximum)`}},
		{"required", base + "  - mqtt:\n      url: tcp://b:1883\n", []string{
			`7:7: triggers[1].mqtt: missing the required field "topic" (required)`}},
		{"required at the top", "function: {builtin: echo}\n", []string{
			`1:1: missing the required field "triggers" (required)`}},
		{"unknown field", base + "workers: 3\n", []string{
			`6:1: workers: unknown field "workers"; the fields here are admin, concurrency, deadLetter, dedupe, drainTimeout, forward, function, orderBy, queue, replies, retry, telemetry, timeout, triggers (additionalProperties)`}},
		{"unknown field deep down", strings.Replace(base, `      addr:`, "      port: 1\n      addr:", 1), []string{
			`5:7: triggers[0].http.port: unknown field "port"; the fields here are addr, tls (additionalProperties)`}},
		{"no function kind", strings.Replace(base, "builtin: echo", "name: x", 1), []string{
			`2:3: function: needs exactly one of builtin, exec, http, grpc; it has none (oneOf)`}},
		{"two function kinds", strings.Replace(base, "builtin: echo", "builtin: echo\n  grpc: {target: 'h:1'}", 1), []string{
			`2:3: function: needs exactly one of builtin, exec, http, grpc; it has builtin and grpc (oneOf)`}},
		{"two sink kinds", base + "deadLetter: {file: d, http: 'http://h/'}\n", []string{
			`6:13: deadLetter: needs exactly one of http, grpc, mqtt, file, subscribers; it has http and file (oneOf)`}},
		{"subscribers sink without a grpc trigger", base + "replies: [{subscribers: true}]\n", []string{
			`6:25: replies[0].subscribers: there is no grpc trigger whose Subscribe streams could take the events: add one to triggers (subscribers sink)`}},
		{"subscribers sink false", base + "  - grpc: {addr: '127.0.0.1:50051'}\nreplies: [{subscribers: false}]\n", []string{
			`7:25: replies[0].subscribers: value must be true (const)`}},
		{"empty trigger list", "function: {builtin: echo}\ntriggers: []\n", []string{
			`2:11: triggers: is empty; it needs at least 1 (minItems)`}},
		{"empty string", base + "deadLetter: {file: ''}\n", []string{`6:20: deadLetter.file: is empty (minLength)`}},
		{"filter with two attributes and a bad name", strings.Replace(base, "builtin: echo", "builtin: echo\n  filter:\n    - exact: {type: a, Source: b}", 1), []string{
			`4:14: function.filter[0].exact: has 2 fields; it needs exactly 1 (maxProperties)`,
			`4:24: function.filter[0].exact.Source: "Source" does not match the attribute name pattern lower-case letters a-z and digits 0-9 (pattern)`}},
		{"sql filter", strings.Replace(base, "builtin: echo", "builtin: echo\n  filter: [{sql: \"type = 'a'\"}]", 1), []string{
			`3:12: function.filter[0]: needs exactly one of exact, prefix, suffix, all, any, not; it has none (oneOf)`,
			`3:13: function.filter[0].sql: unknown field "sql"; the fields here are all, any, exact, not, prefix, suffix (additionalProperties)`}},
		{"TLS key without cert", base + "  - mqtt: {url: 'tls://b:8883', topic: t, tls: {key: k.pem}}\n", []string{
			`6:48: triggers[1].mqtt.tls: "key" needs "cert" beside it (dependentRequired)`}},
		{"server TLS without key", strings.Replace(base, `      addr: "127.0.0.1:8080"`, "      tls: {cert: c.pem}", 1), []string{
			`5:12: triggers[0].http.tls: missing the required field "key" (required)`}},
		{"environment variable name", "function: {exec: {command: [fn], env: {1X: y}}}\ntriggers: [{http: {}}]\n", []string{
			`1:40: function.exec.env["1X"]: "1X" does not match the environment variable name pattern letters, digits and _, not starting with a digit (pattern)`}},
		{"negative duration", base + "drainTimeout: -1s\n", []string{
			`6:15: drainTimeout: "-1s" does not match the duration pattern number and unit (ns, us, ms, s, m, h), e.g. 30s, 1m30s, 1.5h (pattern)`}},

		// YAML itself.
		{"duplicate key", base + "concurrency: 2\nconcurrency: 3\n", []string{
			`7:1: concurrency: duplicate key "concurrency"; it was first given at line 6:1 (duplicate key)`}},
		{"duplicate key in a flow mapping", "function: {builtin: echo, builtin: noop}\ntriggers: [{http: {}}]\n", []string{
			`1:27: function.builtin: duplicate key "builtin"; it was first given at line 1:12 (duplicate key)`}},
		{"syntax", base + "queue: [1\n", []string{
			`6: did not find expected ',' or ']' (yaml)`}},
		{"tab indentation", "function:\n\tbuiltin: echo\n", []string{
			`2: found character that cannot start any token (yaml)`}},
		{"two documents", base + "---\nfunction: {builtin: noop}\n", []string{
			`6:1: a second YAML document (after ---); the file must hold one (yaml)`}},
		{"empty file", "", []string{`the file is empty; it needs at least function and triggers (yaml)`}},
		{"comments only", "# nothing\n", []string{`the file is empty; it needs at least function and triggers (yaml)`}},
		{"null document", "~\n", []string{`1:1: the document is empty; it needs at least function and triggers (yaml)`}},
		{"merge key", "x: &t {addr: ':1'}\n" + base + "  - grpc:\n      <<: *t\n", []string{
			`8:7: triggers[1].grpc: merge keys (<<) are not supported; write the fields out (yaml)`}},
		{"custom tag", base + "timeout: !env TIMEOUT\n", []string{`6:10: timeout: values tagged !env are not supported (yaml)`}},
		{"non-string key", base + "1: x\n", []string{`6:1: mapping key "1" is an integer, not a string (yaml)`}},
		{"collection as key", base + "? [a]\n: x\n", []string{`6:3: a mapping key must be a plain string, not a list (yaml)`}},
		{"not a number", base + "queue: .nan\n", []string{`6:8: queue: ".nan" is not a finite number (yaml)`}},

		// What the schema cannot say.
		{"duration range", base + "timeout: 0s\ndrainTimeout: 2h\n", []string{
			`6:10: timeout: "0s" must be more than 0 (duration range)`,
			`7:15: drainTimeout: "2h" is more than the maximum, 1h0m0s (duration range)`}},
		{"duration overflow", base + "timeout: 9999999999h\n", []string{
			`6:10: timeout: "9999999999h" is not a duration Go can hold: time: invalid duration "9999999999h" (duration)`}},
		{"backoff order", base + "retry: {backoff: 5s, maxBackoff: 1s}\n", []string{
			`6:34: retry.maxBackoff: maxBackoff 1s is less than backoff 5s (backoff order)`}},
		{"backoff above the default maximum", base + "retry: {backoff: 20s}\n", []string{
			`6:18: retry.backoff: maxBackoff 10s is less than backoff 20s (backoff order)`}},
		{"port range", strings.Replace(base, "8080", "80800", 1), []string{
			`5:13: triggers[0].http.addr: port 80800 is more than 65535 (port range)`}},
		{"port range in a URL", base + "replies: [{http: 'http://h:99999/'}]\n", []string{
			`6:18: replies[0].http: port 99999 is more than 65535 (port range)`}},
		{"forward builtin without sinks", strings.Replace(base, "echo", "forward", 1), []string{
			`2:12: function.builtin: the forward builtin needs forward sinks: add a forward list at the top level (forward sinks)`}},
		{"forward sinks without the forward builtin", base + "forward: [{file: f}]\n", []string{
			`6:10: forward: only the forward builtin sends to forward sinks; this function is the echo builtin (forward sinks)`}},
		{"two triggers on one address", base + "  - grpc: {addr: '127.0.0.1:8080'}\n", []string{
			`6:18: triggers[1].grpc.addr: 127.0.0.1:8080 is already the address of triggers[0].http.addr (distinct addresses)`}},
		{"two defaulted triggers", "function: {builtin: echo}\ntriggers:\n  - grpc: {}\n  - grpc: {}\n", []string{
			`4:11: triggers[1].grpc: 127.0.0.1:50051 is already the address of triggers[0].grpc (distinct addresses)`}},
		{"the default admin address on a grpc address", "function: {builtin: echo}\ntriggers: [{grpc: {addr: '127.0.0.1:9090'}}]\n", []string{
			`1:1: the default admin address 127.0.0.1:9090 is already the address of triggers[0].grpc.addr; set admin to another (distinct addresses)`}},
		{"admin on a grpc address", "function: {builtin: echo}\ntriggers: [{grpc: {}}]\nadmin: 127.0.0.1:50051\n", []string{
			`3:8: admin: 127.0.0.1:50051 is already the address of triggers[0].grpc (distinct addresses)`}},
		{"cron schedule", base + "  - cron: {schedule: '*/5 * * * FUNDAY'}\n", []string{
			`6:22: triggers[1].cron.schedule: day-of-week field: bad token "FUNDAY": "FUNDAY" is not a number or a name (want 0-7 (0 and 7 are Sunday) or SUN-SAT) (cron)`}},
		{"cron field count", base + "  - cron: {schedule: '* * *'}\n", []string{
			`6:22: triggers[1].cron.schedule: want 5 fields (minute hour day-of-month month day-of-week), got 3 (cron)`}},
		{"cron source", base + "  - cron: {schedule: '@daily', source: 'a b'}\n", []string{
			`6:40: triggers[1].cron.source: source "a b" cannot be an event's source: event: /source: is not a URI-reference (RFC 3986 §4.1) (CORE-ATTR-SOURCE-2) (event source)`}},
		{"TLS with a plaintext broker", base + "  - mqtt: {url: 'tcp://b:1883', topic: t, tls: {ca: ca.pem}}\n", []string{
			`6:48: triggers[1].mqtt.tls: tls is set but the broker URL "tcp://b:1883" is plaintext; use tls://, ssl:// or mqtts:// (tls scheme)`}},

		// The telemetry section.
		{"telemetry without otlp", base + "telemetry: {}\n", []string{
			`6:12: telemetry: missing the required field "otlp" (required)`}},
		{"otlp without endpoint", base + "telemetry: {otlp: {queue: 10}}\n", []string{
			`6:19: telemetry.otlp: missing the required field "endpoint" (required)`}},
		{"otlp endpoint scheme", base + "telemetry: {otlp: {endpoint: 'grpc://c:4317'}}\n", []string{
			`6:30: telemetry.otlp.endpoint: "grpc://c:4317" does not match the URL pattern http://host[:port][/path] or https://... (pattern)`}},
		{"otlp endpoint port", base + "telemetry: {otlp: {endpoint: 'http://c:99999'}}\n", []string{
			`6:30: telemetry.otlp.endpoint: port 99999 is more than 65535 (port range)`}},
		{"otlp TLS with http", base + "telemetry: {otlp: {endpoint: 'http://c:4318', tls: {ca: ca.pem}}}\n", []string{
			`6:52: telemetry.otlp.tls: tls is set but the endpoint "http://c:4318" is plaintext; use https:// (tls scheme)`}},
		{"otlp batch over queue", base + "telemetry: {otlp: {endpoint: 'http://c:4318', queue: 10, batch: 11}}\n", []string{
			`6:65: telemetry.otlp.batch: batch 11 is more than queue 10 (batch size)`}},
		{"otlp queue range", base + "telemetry: {otlp: {endpoint: 'http://c:4318', queue: 0}}\n", []string{
			`6:54: telemetry.otlp.queue: 0 is less than the minimum, 1 (minimum)`}},
		{"otlp timeouts", base + "telemetry: {otlp: {endpoint: 'http://c:4318', timeout: 0s, batchTimeout: 2h}}\n", []string{
			`6:56: telemetry.otlp.timeout: "0s" must be more than 0 (duration range)`,
			`6:74: telemetry.otlp.batchTimeout: "2h" is more than the maximum, 1h0m0s (duration range)`}},
		{"otlp header name", base + "telemetry: {otlp: {endpoint: 'http://c:4318', headers: {'a@b': x}}}\n", []string{
			"6:57: telemetry.otlp.headers[\"a@b\"]: \"a@b\" does not match the HTTP header name pattern letters, digits and !#$%&'*+-.^_`|~ (pattern)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tc.yaml), "function.yaml")
			var e *config.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %+v, %v; want a *config.Error", c, err)
			}
			var got []string
			for _, p := range e.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got problems\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if e.File != "function.yaml" {
				t.Errorf("File = %q", e.File)
			}
		})
	}
}

// TestErrorMessage checks the whole message: one line per problem, each
// led by the file name.
func TestErrorMessage(t *testing.T) {
	_, err := config.Parse([]byte("function: {builtin: reverse}\ntriggers:\n  - http: {addr: '8080'}\n"), "conf/function.yaml")
	want := `conf/function.yaml:1:21: function.builtin: "reverse" is not one of "echo", "noop", "log", "forward" (enum)
conf/function.yaml:3:18: triggers[0].http.addr: "8080" does not match the address pattern host:port (pattern)`
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	_, err = config.Parse([]byte(""), "empty.yaml")
	if want := "empty.yaml: the file is empty; it needs at least function and triggers (yaml)"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

// TestAliasesWithinLimits checks that anchors and aliases, used sparingly,
// work and are expanded.
func TestAliasesWithinLimits(t *testing.T) {
	_, err := config.Parse([]byte(`
function: {builtin: echo}
x-tls: &tls {cert: c.pem, key: k.pem}
triggers:
  - http: {addr: '127.0.0.1:8443', tls: *tls}
  - grpc: {addr: '127.0.0.1:50051', tls: *tls}
`), "alias.yaml")
	// x-tls is not a field: the schema refuses it, at its place.
	var e *config.Error
	if !errors.As(err, &e) || len(e.Problems) != 1 || e.Problems[0].Path != "x-tls" || e.Problems[0].Line != 3 {
		t.Fatalf("got %v, want one problem for x-tls at line 3", err)
	}
	c, err := config.Parse([]byte(`
function: {builtin: echo}
triggers:
  - http: {addr: '127.0.0.1:8443', tls: &tls {cert: c.pem, key: k.pem}}
  - grpc: {addr: '127.0.0.1:50051', tls: *tls}
`), "alias.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if g := c.Triggers[1].GRPC.TLS; g == nil || g.Cert != "c.pem" || g.Key != "k.pem" {
		t.Fatalf("the alias was not expanded: %+v", g)
	}
}
