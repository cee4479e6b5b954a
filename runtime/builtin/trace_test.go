package builtin_test

import (
	"context"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/builtin"
	"github.com/openevents/openevents/runtime/trace"
)

// keepSink keeps a clone of every event it is sent.
type keepSink struct{ got []event.Event }

func (s *keepSink) Send(_ context.Context, e *event.Event) error {
	s.got = append(s.got, e.Clone())
	return nil
}
func (s *keepSink) Close(context.Context) error { return nil }

// The trace a trigger read from its protocol goes on with the forwarded
// event when the event has no traceparent of its own; one it has is kept,
// and the caller's event is not changed.
func TestForwardCarriesTrace(t *testing.T) {
	const fromProtocol = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	var s keepSink
	f, err := builtin.Forward(&s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := trace.NewContext(context.Background(), fromProtocol)
	plain := newEvent("plain")
	traced := newEvent("traced")
	traced.SetExtension(trace.Extension, event.String(own))
	for _, e := range []*event.Event{plain, traced} {
		if _, err := f.Call(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Call(context.Background(), newEvent("untraced")); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"plain": fromProtocol, "traced": own, "untraced": ""}
	for _, e := range s.got {
		v, _ := e.Extension(trace.Extension)
		if got := v.Text(); got != want[e.ID()] {
			t.Errorf("forwarded %s carries traceparent %q, want %q", e.ID(), got, want[e.ID()])
		}
	}
	if _, ok := plain.Extension(trace.Extension); ok {
		t.Error("Forward changed the caller's event")
	}
}
