package external_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/openevents/openevents/runtime/external"
)

// BenchmarkExecEcho sends events one after another through one child
// running testdata/echo.py, which writes each line back. It reports the
// time per event (ns/op), events/s and the 99th percentile of the call
// latency (p99-ns).
func BenchmarkExecEcho(b *testing.B) {
	f := start(b, script(b, "echo.py"), external.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	e := newEvent("0b7f4c6e-1d2a-4e8f-9c3b-5a6d7e8f9a0b", "com.example.order.created", `order 12345 for customer 678`)
	e.SetSubject("orders/12345")
	e.SetTime("2026-01-02T03:04:05Z")
	ctx := context.Background()
	if _, err := f.Call(ctx, e); err != nil { // wait for the interpreter to start
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		reply, err := f.Call(ctx, e)
		lat = append(lat, time.Since(t0))
		if err != nil || reply == nil {
			b.Fatalf("Call: %v, %v", reply, err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "events/s")
}
