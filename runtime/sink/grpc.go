package sink

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/openevents/openevents/event"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// GRPCSink sends events with the unary Publish method of an
// openevents.v1.EventService, through a [cegrpc.Client]. It is safe for
// concurrent use.
type GRPCSink struct {
	client *cegrpc.Client
	target string
	closed atomic.Bool
}

// GRPC returns a sink that publishes each event to the EventService at
// target (host:port or any gRPC target string). opts are the Client's
// options: cegrpc.WithTLS (default plaintext), WithPerRPCCredentials,
// WithKeepAlive, WithMaxMessageBytes, ... It returns an error for an
// invalid target or option; it does not connect before the first Send.
func GRPC(target string, opts ...cegrpc.ClientOption) (*GRPCSink, error) {
	c, err := cegrpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("sink: grpc %s: %w", target, err)
	}
	return &GRPCSink{client: c, target: target}, nil
}

// Send publishes e and returns nil once the receiver's handler accepted
// it. Errors wrap the client's: a *cegrpc.Error with the receiver's status
// (errors.Is binding.ErrRejected for a permanent refusal,
// cegrpc.IsRetryable for a transient one), an encoding error, or ctx's
// error. After Close, Send returns ErrClosed. e is not retained.
func (s *GRPCSink) Send(ctx context.Context, e *event.Event) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.client.Publish(ctx, e); err != nil {
		return fmt.Errorf("sink: grpc %s: %w", s.target, err)
	}
	return nil
}

// Close makes later Sends fail with ErrClosed and closes the connection;
// calls in progress fail. A second Close returns nil.
func (s *GRPCSink) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.client.Close(ctx); err != nil {
		return fmt.Errorf("sink: grpc %s: %w", s.target, err)
	}
	return nil
}
