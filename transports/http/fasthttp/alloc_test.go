package fasthttp

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// body50 is the 50-byte JSON body of the performance target.
const body50 = `{"order":12345,"sku":"A-10","qty":2,"total":19.99}`

func binaryRequest(req *fasthttp.Request) {
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI("/")
	req.Header.Set("ce-specversion", "1.0")
	req.Header.Set("ce-id", "7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d")
	req.Header.Set("ce-source", "https://example.com/orders")
	req.Header.Set("ce-type", "com.example.order.created")
	req.Header.Set("ce-time", "2026-11-26T10:00:00.123Z")
	req.Header.Set("ce-subject", "orders/12345")
	req.Header.SetContentType("application/json")
	req.SetBodyString(body50)
}

func batchRequest(req *fasthttp.Request, n int) {
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI("/")
	req.Header.SetContentType(jsonformat.BatchMediaType)
	events := make([]event.Event, n)
	for i := range events {
		e := &events[i]
		e.SetSpecVersion("1.0")
		e.SetID("id-" + strconv.Itoa(i))
		e.SetSource("https://example.com/orders")
		e.SetType("com.example.order.created")
		e.SetDataContentType("application/json")
		e.SetData([]byte(body50))
	}
	b, err := jsonformat.AppendBatch(nil, events)
	if err != nil {
		panic(err)
	}
	req.SetBody(b)
}

var nop = binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
	if e.ID() == "" {
		return binding.ErrRejected
	}
	return nil
})

func fastCtx(tb testing.TB, fill func(*fasthttp.Request)) (*Server, *fasthttp.RequestCtx) {
	tb.Helper()
	s, err := NewServer(nop)
	if err != nil {
		tb.Fatal(err)
	}
	var req fasthttp.Request
	fill(&req)
	ctx := new(fasthttp.RequestCtx)
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	return s, ctx
}

// TestAllocationBudget enforces the budget: receiving a
// binary-mode event costs at most 2 allocations in the Server.
func TestAllocationBudget(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation")
	}
	s, ctx := fastCtx(t, binaryRequest)
	n := testing.AllocsPerRun(500, func() {
		s.serve(ctx)
		if ctx.Response.StatusCode() != fasthttp.StatusNoContent {
			t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		ctx.Response.Reset()
	})
	if n > 2 {
		t.Errorf("fasthttp Server, binary mode: %v allocs per event, budget 2", n)
	}
}

// BenchmarkServerBinary measures the Server's handling of one
// binary-mode request with a 50-byte JSON body (parsing by fasthttp
// excluded: the request is already read).
func BenchmarkServerBinary(b *testing.B) {
	s, ctx := fastCtx(b, binaryRequest)
	b.ReportAllocs()
	for b.Loop() {
		s.serve(ctx)
		ctx.Response.Reset()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkServerBatch measures a batch of 100 events per request.
func BenchmarkServerBatch(b *testing.B) {
	const n = 100
	s, ctx := fastCtx(b, func(r *fasthttp.Request) { batchRequest(r, n) })
	b.ReportAllocs()
	b.SetBytes(int64(len(ctx.Request.Body())))
	for b.Loop() {
		s.serve(ctx)
		if ctx.Response.StatusCode() != fasthttp.StatusNoContent {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		ctx.Response.Reset()
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}
