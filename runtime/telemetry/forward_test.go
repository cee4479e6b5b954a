package telemetry_test

import (
	"context"
	"sync"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/builtin"
	"github.com/openevents/openevents/runtime/trace"
)

// keepSink keeps a copy of every event sent to it.
type keepSink struct {
	mu     sync.Mutex
	events []event.Event
}

func (s *keepSink) Send(_ context.Context, e *event.Event) error {
	s.mu.Lock()
	s.events = append(s.events, e.Clone())
	s.mu.Unlock()
	return nil
}

func (*keepSink) Close(context.Context) error { return nil }

// TestForwardCarriesTheSpan: an event that came with a traceparent
// header and no extension is forwarded with the span's own traceparent,
// so the next hop's span is this span's child.
func TestForwardCarriesTheSpan(t *testing.T) {
	r := receiver(t)
	tr, _ := newTracer(t, r.URL)
	sink := &keepSink{}
	fw, err := builtin.Forward(sink)
	if err != nil {
		t.Fatal(err)
	}
	trig := newHost(t, tr, fw.Call)
	if _, err := trig.Dispatch(trace.NewContext(context.Background(), parentTP), newEvent("f-1")); err != nil {
		t.Fatal(err)
	}
	s := waitSpans(t, r, 1)[0]
	if len(sink.events) != 1 {
		t.Fatalf("%d events forwarded", len(sink.events))
	}
	v, _ := sink.events[0].Extension(trace.Extension)
	if want := "00-" + parentTrace + "-" + s.SpanID + "-01"; v.Text() != want {
		t.Errorf("forwarded traceparent %q; want the span's, %q", v.Text(), want)
	}
}
