package http_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// TestNeutralOutcomes: a handler that returns one of event/binding's
// protocol-neutral outcomes gets its HTTP status on both servers, and the
// sender's error matches both the cehttp sentinel and the outcome.
func TestNeutralOutcomes(t *testing.T) {
	for _, tt := range []struct {
		outcome error
		code    int
		own     error
	}{
		{binding.ErrOverloaded, 429, cehttp.ErrOverloaded},
		{binding.ErrUnavailable, 503, cehttp.ErrUnavailable},
		{binding.ErrTooLarge, 413, cehttp.ErrTooLarge},
		{binding.ErrUnsupportedMediaType, 415, cehttp.ErrUnsupportedMediaType},
		{binding.ErrMalformed, 400, binding.ErrRejected},
		{binding.ErrTimeout, 408, cehttp.ErrTimeout},
	} {
		for _, srv := range servers {
			t.Run(fmt.Sprintf("%s/%d", srv.name, tt.code), func(t *testing.T) {
				c := collector{err: fmt.Errorf("handler: %w", tt.outcome)}
				s := newSender(t, srv.start(t, &c), cehttp.WithRetry(1, 0))
				_, err := s.Send(context.Background(), sample())
				var se *cehttp.StatusError
				if !errors.As(err, &se) || se.Code != tt.code {
					t.Fatalf("Send: %v, want status %d", err, tt.code)
				}
				if !errors.Is(err, tt.own) {
					t.Errorf("the error does not match %v", tt.own)
				}
				if tt.code != 400 && !errors.Is(err, tt.outcome) {
					t.Errorf("the error does not match the outcome %v", tt.outcome)
				}
			})
		}
	}
}
