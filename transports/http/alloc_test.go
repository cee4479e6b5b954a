package http

import (
	"context"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// body50 is the 50-byte JSON body of the performance target.
const body50 = `{"order":12345,"sku":"A-10","qty":2,"total":19.99}`

var nop = binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
	if e.ID() == "" {
		return binding.ErrRejected
	}
	return nil
})

// BenchmarkHandlerBinary measures the net/http Handler on one binary-mode
// request, net/http's own request parsing excluded.
func BenchmarkHandlerBinary(b *testing.B) {
	h, err := NewHandler(nop)
	if err != nil {
		b.Fatal(err)
	}
	var w nopWriter
	req, err := newNetHTTPRequest()
	if err != nil {
		b.Fatal(err)
	}
	body := strings.NewReader(body50)
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(body50)
		req.Body = nopCloser{body}
		clear(w.h)
		h.ServeHTTP(&w, req)
		if w.code != 204 {
			b.Fatalf("status %d", w.code)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
