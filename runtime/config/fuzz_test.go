package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/openevents/openevents/runtime/config"
)

// FuzzParse checks that Parse never panics, refuses with a *config.Error,
// and accepts only configurations that hold what the package documents.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "function.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(example), base, small, "",
		"function: {builtin: forward}\nforward: [{file: f}]\ntriggers: [{cron: {schedule: '@daily'}}]\n",
		"function: {exec: {command: [a], env: {A: b}}, filter: [{not: {all: [{exact: {type: a}}]}}]}\ntriggers: [{grpc: {}}]\n",
		"a: &a [x]\nb: [*a, *a]\n",
		"function: {builtin: echo, builtin: noop}\n",
		"triggers: [{mqtt: {url: 'ssl://h:1', topic: t, version: '3.1.1', tls: {ca: c}}}]\n",
		"retry: {backoff: 9999999999h}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, "fuzz.yaml")
		if err != nil {
			var e *config.Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("error %v is not a *config.Error with problems", err)
			}
			return
		}
		if c.Function.Kind() == "" || c.Function.Name == "" || len(c.Triggers) == 0 || c.Admin == "" ||
			c.Concurrency < 1 || c.Queue < 0 || c.Timeout <= 0 || c.DrainTimeout <= 0 ||
			c.Retry.Attempts < 1 || c.Retry.Backoff <= 0 || c.Retry.MaxBackoff < c.Retry.Backoff {
			t.Fatalf("accepted a configuration that breaks the documented ranges: %+v", c)
		}
		if (c.Function.Builtin == config.BuiltinForward) != (len(c.Forward) > 0) {
			t.Fatalf("forward builtin %q with %d forward sinks", c.Function.Builtin, len(c.Forward))
		}
		for _, tr := range c.Triggers {
			switch tr.Kind() {
			case "":
				t.Fatal("a trigger of no kind")
			case "cron":
				if tr.Cron.Parsed == nil || tr.Cron.Type == "" || tr.Cron.Source == "" {
					t.Fatalf("cron trigger %+v", tr.Cron)
				}
			case "mqtt":
				if tr.MQTT.Version != config.MQTT5 && tr.MQTT.Version != config.MQTT311 {
					t.Fatalf("mqtt version %d", tr.MQTT.Version)
				}
			}
		}
		for _, s := range append(append([]config.Sink{}, c.Forward...), c.Replies...) {
			if s.Kind() == "" {
				t.Fatal("a sink of no kind")
			}
		}
	})
}
