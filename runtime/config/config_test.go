package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/runtime/config"
)

// TestLoadExample loads examples/function.yaml, which uses every part of
// the format, and compares it field by field with what it says.
func TestLoadExample(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "function.yaml")
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	cronTrigger := c.Triggers[2].Cron
	if cronTrigger == nil || cronTrigger.Parsed == nil || cronTrigger.Parsed.String() != "*/5 * * * *" {
		t.Fatalf("cron trigger %+v: the schedule is not parsed", cronTrigger)
	}
	cronTrigger.Parsed = nil // compared by its text above
	want := &config.Config{
		Function: config.Function{
			Name:    "orders",
			Builtin: config.BuiltinForward,
			Filter: []config.Filter{
				{Prefix: map[string]string{"type": "com.example.order."}},
				{Any: []config.Filter{
					{Exact: map[string]string{"source": "/shop"}},
					{Suffix: map[string]string{"subject": ".json"}},
				}},
			},
		},
		Forward: []config.Sink{
			{HTTP: "http://127.0.0.1:9100/orders"},
			{File: filepath.Join(dir, "orders.jsonl")},
		},
		Concurrency: 64,
		Queue:       64,
		Timeout:     30 * time.Second,
		Retry:       config.Retry{Attempts: 3, Backoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second},
		DeadLetter:  &config.Sink{File: filepath.Join(dir, "dead-letter.jsonl")},
		Replies: []config.Sink{
			{File: filepath.Join(dir, "replies.jsonl")},
		},
		OrderBy:      config.OrderByPartitionKey,
		Dedupe:       &config.Dedupe{Window: 5 * time.Minute, Max: 100000},
		DrainTimeout: 30 * time.Second,
		Admin:        "127.0.0.1:9090",
		Triggers: []config.Trigger{
			{HTTP: &config.HTTPTrigger{Addr: "127.0.0.1:8080"}},
			{GRPC: &config.GRPCTrigger{Addr: "127.0.0.1:50051"}},
			{Cron: &config.CronTrigger{Schedule: "*/5 * * * *", Type: "com.example.order.sweep", Source: "/cron/orders"}},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	for i, kind := range []string{"http", "grpc", "cron"} {
		if got := c.Triggers[i].Kind(); got != kind {
			t.Errorf("Triggers[%d].Kind() = %q, want %q", i, got, kind)
		}
	}
	if c.Function.Kind() != "builtin" || c.Forward[0].Kind() != "http" || c.Forward[1].Kind() != "file" || c.Replies[0].Kind() != "file" {
		t.Errorf("kinds: function %q, forward %q %q, replies %q", c.Function.Kind(), c.Forward[0].Kind(), c.Forward[1].Kind(), c.Replies[0].Kind())
	}
}

// TestDefaults checks every default on the smallest files.
func TestDefaults(t *testing.T) {
	c, err := config.Parse([]byte("function: {builtin: echo}\ntriggers: [{http: {}}, {grpc: {}}, {mqtt: {url: 'tcp://127.0.0.1:1883', topic: t}}, {cron: {schedule: '@hourly'}}]\n"), "min.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Function.Name != "echo" || c.Concurrency != config.DefaultConcurrency || c.Queue != config.DefaultQueue ||
		c.Timeout != config.DefaultTimeout || c.DrainTimeout != config.DefaultDrainTimeout ||
		c.Retry != (config.Retry{Attempts: config.DefaultRetryAttempts, Backoff: config.DefaultRetryBackoff, MaxBackoff: config.DefaultRetryMaxBackoff}) ||
		c.DeadLetter != nil || c.Dedupe != nil || c.OrderBy != "" || c.Forward != nil || c.Replies != nil {
		t.Errorf("top-level defaults: %+v", c)
	}
	if c.Triggers[0].HTTP.Addr != config.DefaultHTTPAddr || c.Triggers[1].GRPC.Addr != config.DefaultGRPCAddr {
		t.Errorf("default addresses: %+v %+v", c.Triggers[0].HTTP, c.Triggers[1].GRPC)
	}
	if c.Admin != config.DefaultHTTPAddr {
		t.Errorf("Admin = %q, want the http trigger's %q", c.Admin, config.DefaultHTTPAddr)
	}
	if m := c.Triggers[2].MQTT; m.Version != config.MQTT5 || m.QoS != config.DefaultMQTTQoS || m.ClientID != "" || m.ShareGroup != "" || m.TLS != nil {
		t.Errorf("mqtt defaults: %+v", m)
	}
	if cr := c.Triggers[3].Cron; cr.Type != config.DefaultCronType || cr.Source != config.DefaultCronSource || cr.Parsed == nil {
		t.Errorf("cron defaults: %+v", cr)
	}

	c, err = config.Parse([]byte(`
function: {exec: {command: [./fn]}}
triggers: [{mqtt: {url: 'tcp://127.0.0.1:1883', topic: t, version: "3.1.1", qos: 0}}]
dedupe: {window: 1m}
`), "exec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Function.Name != config.DefaultFunctionName || c.Function.Exec.Processes != config.DefaultExecProcesses || c.Function.Exec.Dir != "" {
		t.Errorf("exec defaults: name %q, %+v", c.Function.Name, c.Function.Exec)
	}
	if m := c.Triggers[0].MQTT; m.Version != config.MQTT311 || m.QoS != 0 {
		t.Errorf("an explicit version 3.1.1 and qos 0 came out as version %d qos %d", m.Version, m.QoS)
	}
	if c.Admin != config.DefaultAdminAddr {
		t.Errorf("Admin without an http trigger = %q, want %q", c.Admin, config.DefaultAdminAddr)
	}
	if *c.Dedupe != (config.Dedupe{Window: time.Minute, Max: config.DefaultDedupeMax}) {
		t.Errorf("dedupe %+v", *c.Dedupe)
	}

	// The admin endpoints may share the http trigger's address, written
	// out; version 5 may be written 5.0.
	c, err = config.Parse([]byte("function: {http: {url: 'http://127.0.0.1:9000/'}}\ntriggers: [{http: {addr: ':8080'}}, {mqtt: {url: 'tcp://b:1883', topic: t, version: 5.0}}]\nadmin: ':8080'\n"), "shared.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin != ":8080" || c.Function.Name != config.DefaultFunctionName || c.Triggers[1].MQTT.Version != config.MQTT5 {
		t.Errorf("admin %q name %q version %d", c.Admin, c.Function.Name, c.Triggers[1].MQTT.Version)
	}
}

// TestLoadResolvesPaths checks that Load makes relative paths relative to
// the file's directory and leaves absolute ones, while Parse keeps them
// as written.
func TestLoadResolvesPaths(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(dir, "abs", "ca.pem")
	text := `
function: {exec: {command: [python3, fn.py], dir: sub}}
replies: [{file: out.jsonl}, {mqtt: {url: 'mqtts://b:8883', topic: r, tls: {ca: ` + abs + `, cert: c.pem, key: k.pem}}}]
deadLetter: {file: dead/letters.jsonl}
triggers:
  - http: {addr: '127.0.0.1:0', tls: {cert: tls/c.pem, key: tls/k.pem, clientCA: tls/ca.pem}}
  - grpc: {addr: '127.0.0.1:0', tls: {cert: c.pem, key: k.pem}}
  - mqtt: {url: 'ssl://b:8883', topic: t, tls: {ca: ca.pem}}
`
	path := filepath.Join(dir, "function.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	in := func(p string) string { return filepath.Join(dir, p) }
	for _, tc := range []struct{ name, got, want string }{
		{"exec dir", c.Function.Exec.Dir, in("sub")},
		{"file sink", c.Replies[0].File, in("out.jsonl")},
		{"absolute CA", c.Replies[1].MQTT.TLS.CA, abs},
		{"client cert", c.Replies[1].MQTT.TLS.Cert, in("c.pem")},
		{"client key", c.Replies[1].MQTT.TLS.Key, in("k.pem")},
		{"dead letter", c.DeadLetter.File, in("dead/letters.jsonl")},
		{"http cert", c.Triggers[0].HTTP.TLS.Cert, in("tls/c.pem")},
		{"http key", c.Triggers[0].HTTP.TLS.Key, in("tls/k.pem")},
		{"http client CA", c.Triggers[0].HTTP.TLS.ClientCA, in("tls/ca.pem")},
		{"grpc cert", c.Triggers[1].GRPC.TLS.Cert, in("c.pem")},
		{"mqtt CA", c.Triggers[2].MQTT.TLS.CA, in("ca.pem")},
		{"command is not a path to resolve", c.Function.Exec.Command[1], "fn.py"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}

	c, err = config.Parse([]byte(text), "function.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Function.Exec.Dir != "sub" || c.Replies[0].File != "out.jsonl" {
		t.Errorf("Parse changed relative paths: dir %q file %q", c.Function.Exec.Dir, c.Replies[0].File)
	}

	// Without dir, an exec function runs in the file's directory.
	if err := os.WriteFile(path, []byte("function: {exec: {command: [./fn]}}\ntriggers: [{http: {}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err = config.Load(path); err != nil || c.Function.Exec.Dir != dir {
		t.Fatalf("exec dir %q (%v), want %q", c.Function.Exec.Dir, err, dir)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "none.yaml") {
		t.Fatalf("Load of a missing file: %v", err)
	}
}
