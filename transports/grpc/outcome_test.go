package grpc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// TestNeutralOutcomes: a handler that returns one of event/binding's
// protocol-neutral outcomes gets its gRPC code, and the client's error
// matches the outcome where the code stands for one.
func TestNeutralOutcomes(t *testing.T) {
	for _, tt := range []struct {
		outcome error
		code    codes.Code
		matches bool // the client's error matches the outcome itself
	}{
		{binding.ErrOverloaded, codes.ResourceExhausted, true},
		{binding.ErrTooLarge, codes.ResourceExhausted, false},
		{binding.ErrUnavailable, codes.Unavailable, true},
		{binding.ErrTimeout, codes.DeadlineExceeded, true},
		{binding.ErrMalformed, codes.InvalidArgument, false},
		{binding.ErrUnsupportedMediaType, codes.InvalidArgument, false},
	} {
		t.Run(tt.outcome.Error(), func(t *testing.T) {
			outcome := tt.outcome
			h := start(t, &recorder{fail: func(*event.Event) error { return fmt.Errorf("handler: %w", outcome) }})
			err := h.client(t).Publish(context.Background(), newEvent("1", "com.example.a", ""))
			if status.Code(err) != tt.code {
				t.Fatalf("Publish: %v, want %v", err, tt.code)
			}
			if tt.matches && !errors.Is(err, tt.outcome) {
				t.Errorf("the client's error %v does not match %v", err, tt.outcome)
			}
			if tt.code == codes.InvalidArgument && (!errors.Is(err, binding.ErrRejected) || cegrpc.IsRetryable(err)) {
				t.Errorf("INVALID_ARGUMENT: %v should match ErrRejected and not be retryable", err)
			}
		})
	}
}
