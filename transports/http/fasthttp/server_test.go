package fasthttp_test

import (
	"context"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
	cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
)

// TestNewServerValidates: the fasthttp server validates cehttp's options
// with the same code as cehttp, so each invalid option is refused with the
// very error cehttp.NewServer returns, and a nil handler is refused too.
// (Everything the two servers do with valid options is tested on both by
// cehttp's servers table.)
func TestNewServerValidates(t *testing.T) {
	nop := binding.HandlerFunc(func(context.Context, *event.Event) error { return nil })
	tests := []struct {
		name string
		opt  cehttp.Option
	}{
		{"body limit 0", cehttp.WithMaxBodyBytes(0)},
		{"no attributes", cehttp.WithMaxAttributes(0)},
		{"batch replies", cehttp.WithReplyMode(binding.ModeBatch)},
		{"sub-second Retry-After", cehttp.WithRetryAfter(time.Millisecond)},
		{"negative in-flight bound", cehttp.WithMaxInFlight(-1)},
		{"read timeout within the header timeout", cehttp.WithReadTimeout(time.Second)},
		{"negative connection cap", cehttp.WithMaxConns(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cefasthttp.NewServer(nop, tt.opt)
			if err == nil {
				t.Fatal("accepted")
			}
			_, want := cehttp.NewServer(nop, tt.opt)
			if want == nil || err.Error() != want.Error() {
				t.Errorf("NewServer: %v; cehttp.NewServer: %v", err, want)
			}
		})
	}
	if _, err := cefasthttp.NewServer(nil); err == nil {
		t.Error("nil handler accepted")
	}
	s, err := cefasthttp.NewServer(nop, nil, cehttp.WithMaxBodyBytes(1<<10), cehttp.WithReplyMode(binding.ModeStructured))
	if err != nil || s == nil {
		t.Fatalf("valid options (and a nil one, skipped): %v", err)
	}
}
