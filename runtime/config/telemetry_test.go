package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/openevents/openevents/runtime/config"
)

// TestTelemetryDefaults: an otlp section with only an endpoint gets
// every default, and the function's name as the service name; no
// section means no tracing.
func TestTelemetryDefaults(t *testing.T) {
	c, err := config.Parse([]byte(base+"telemetry: {otlp: {endpoint: 'http://127.0.0.1:4318'}}\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := config.NewOTLP("http://127.0.0.1:4318", "echo")
	if c.Telemetry == nil || !reflect.DeepEqual(c.Telemetry.OTLP, want) {
		t.Fatalf("telemetry %+v; want %+v", c.Telemetry, want)
	}
	c, err = config.Parse([]byte(base+"telemetry: {otlp: {endpoint: 'https://c/t', queue: 100, serviceName: orders, headers: {Authorization: 'Bearer x'}}}\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if o := c.Telemetry.OTLP; o.Queue != 100 || o.Batch != 100 || o.ServiceName != "orders" || o.Headers["Authorization"] != "Bearer x" {
		t.Fatalf("otlp %+v; want queue and batch 100, service orders, the header", o)
	}
	if c, err = config.Parse([]byte(base), "f.yaml"); err != nil || c.Telemetry != nil {
		t.Fatalf("without a section: %+v, %v; want no telemetry", c.Telemetry, err)
	}
}

// TestTelemetryTLSPaths: Load makes the otlp TLS files relative to the
// file's directory.
func TestTelemetryTLSPaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.yaml")
	if err := os.WriteFile(path, []byte(base+"telemetry: {otlp: {endpoint: 'https://c:4318', tls: {ca: ca.pem}}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Telemetry.OTLP.TLS.CA; got != filepath.Join(dir, "ca.pem") {
		t.Errorf("ca %q; want it in %s", got, dir)
	}
}
