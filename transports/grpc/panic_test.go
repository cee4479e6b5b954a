package grpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// TestHandlerPanic: a handler that panics costs its event an INTERNAL
// status (unary) or failure (stream), not the server.
func TestHandlerPanic(t *testing.T) {
	rec := &recorder{}
	h := start(t, binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		if e.ID() == "boom" {
			panic("handler bug")
		}
		return rec.Handle(ctx, e)
	}))
	c := h.client(t)
	ctx := context.Background()
	if err := c.Publish(ctx, newEvent("boom", "t", "")); status.Code(err) != codes.Internal || cegrpc.IsRetryable(err) {
		t.Errorf("Publish of a panicking event: %v (code %s), want INTERNAL, not retryable", err, status.Code(err))
	}
	if err := c.Publish(ctx, newEvent("ok", "t", "")); err != nil {
		t.Fatalf("Publish after the panic: %v", err)
	}
	s, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Send(ctx, []event.Event{*newEvent("1", "t", ""), *newEvent("boom", "t", ""), *newEvent("2", "t", "")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || res.Failures[0].Index != 1 || res.Failures[0].Code != codes.Internal {
		t.Errorf("stream result %+v, want one INTERNAL failure at index 1", res)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.ids(); len(got) < 2 || got[0] != "ok" || got[1] != "1" {
		t.Errorf("handled %v, want ok, 1, …", got)
	}
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for i := range r.events {
		out = append(out, r.events[i].ID())
	}
	return out
}
