package trace_test

import (
	"context"
	"testing"

	"github.com/openevents/openevents/runtime/trace"
)

// holderCtx is a context that answers the trace key from a Holder, as
// the host's function context does.
type holderCtx struct {
	context.Context
	h *trace.Holder
}

func (c holderCtx) Value(key any) any {
	if v, ok := c.h.Value(key); ok {
		return v
	}
	return c.Context.Value(key)
}

func TestHolder(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	var h trace.Holder
	ctx := holderCtx{context.Background(), &h}
	if got := trace.FromContext(ctx); got != "" {
		t.Errorf("empty holder: %q", got)
	}
	h.Set(tp)
	if got := trace.FromContext(ctx); got != tp {
		t.Errorf("holder with %q answers %q", tp, got)
	}
	h.Set("00-bad")
	if got := trace.FromContext(ctx); got != "" {
		t.Errorf("holder with an invalid traceparent answers %q", got)
	}
	h.Reset()
	if got := trace.FromContext(ctx); got != "" {
		t.Errorf("reset holder answers %q", got)
	}
	if _, ok := h.Value("other"); ok {
		t.Error("the holder answered a key not its own")
	}
	if n := testing.AllocsPerRun(100, func() {
		h.Set(tp)
		_ = trace.FromContext(ctx)
	}); n != 0 {
		t.Errorf("Set and FromContext allocate %v times, want 0", n)
	}
}
