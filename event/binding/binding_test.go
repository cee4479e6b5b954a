package binding

import (
	"context"
	"errors"
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

func TestCallRecoversPanics(t *testing.T) {
	var e event.Event
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		h     HandlerFunc
		value any
	}{
		{"string", func(context.Context, *event.Event) error { panic("out of cheese") }, "out of cheese"},
		{"error", func(context.Context, *event.Event) error { panic(boom) }, boom},
		{"index out of range", func(_ context.Context, e *event.Event) error { _ = e.ID()[len(e.ID())]; return nil }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Call(context.Background(), tc.h, &e)
			pe, ok := errors.AsType[*PanicError](err)
			if !ok {
				t.Fatalf("Call returned %v, want a *PanicError", err)
			}
			if tc.value != nil && pe.Value != tc.value {
				t.Errorf("Value = %v, want %v", pe.Value, tc.value)
			}
			if len(pe.Stack) == 0 {
				t.Error("no stack")
			}
			if errors.Is(err, ErrRejected) {
				t.Error("a panic must not read as a rejected event")
			}
		})
	}
	if err := Call(context.Background(), HandlerFunc(func(context.Context, *event.Event) error { return boom }), &e); !errors.Is(err, boom) {
		t.Errorf("Call = %v, want the handler's own error", err)
	}
	if errors.Is(Call(context.Background(), HandlerFunc(func(context.Context, *event.Event) error { panic(ErrRejected) }), &e), ErrRejected) {
		t.Error("a panic with ErrRejected must not read as a rejection")
	}
}
