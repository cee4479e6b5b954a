package binding

import (
	"context"
	"testing"

	"github.com/openevents/openevents/event"
)

func TestModeNames(t *testing.T) {
	for _, m := range []Mode{ModeBinary, ModeStructured, ModeBatch} {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Fatalf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("binray"); err == nil {
		t.Fatal("ParseMode accepted a misspelt mode")
	}
	if Mode(9).String() != "unknown" {
		t.Fatal("out-of-range Mode has a name")
	}
}

func TestHandlerFunc(t *testing.T) {
	var got string
	h := HandlerFunc(func(_ context.Context, e *event.Event) error { got = e.ID(); return nil })
	var e event.Event
	e.SetID("x")
	if err := h.Handle(context.Background(), &e); err != nil || got != "x" {
		t.Fatalf("HandlerFunc did not call through: %q %v", got, err)
	}
}
