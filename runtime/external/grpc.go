package external

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// GRPCFunction is a [function.Function] served by the user's
// openevents.v1.EventService: each call sends the event with the unary
// Publish method through a [cegrpc.Client]. Make one with [GRPC]. It is
// safe for concurrent use.
//
// Publish's response carries no event, so a GRPCFunction never replies:
// Call returns a nil reply when the service accepted the event. A
// function that must reply runs over [HTTP] or [Exec].
//
// [function.Function]: github.com/openevents/openevents/runtime/function.Function
type GRPCFunction struct {
	target string
	client *cegrpc.Client
}

// GRPC returns a function that publishes each event to target (host:port,
// or any gRPC target string) with a [cegrpc.Client] made with opts
// (default: plaintext, the client's defaults). It returns an error
// matching [ErrConfig] for an invalid target or option. It does not
// connect until the first call.
func GRPC(target string, opts ...cegrpc.ClientOption) (*GRPCFunction, error) {
	c, err := cegrpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: GRPC(%q): %w", ErrConfig, target, err)
	}
	return &GRPCFunction{target: target, client: c}, nil
}

// Call publishes e and returns (nil, nil) once the service accepted it.
// The status of a failed call decides whether it is permanent (the error
// matches [binding.ErrRejected]) or transient; the error wraps the
// client's [*cegrpc.Error]:
//
//	INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE,   permanent
//	NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
//	UNAUTHENTICATED
//	UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED,    transient
//	ABORTED, CANCELLED, UNIMPLEMENTED, INTERNAL, UNKNOWN,
//	DATA_LOSS, and any error without a status
//
// The permanent codes are those gRPC's own HTTP mapping answers with a
// 4xx status, the refusals [HTTPFunction] treats as permanent; an event
// that cannot be encoded (it does not validate) is refused too.
func (f *GRPCFunction) Call(ctx context.Context, e *event.Event) (*event.Event, error) {
	err := f.client.Publish(ctx, e)
	if err == nil {
		return nil, nil
	}
	if _, ok := errors.AsType[*protoformat.EncodeError](err); ok {
		return nil, fmt.Errorf("external: publish to %s: cannot send the event: %w (%w)", f.target, err, binding.ErrRejected)
	}
	if ctx.Err() == nil && permanentCode(status.Code(err)) {
		return nil, fmt.Errorf("external: publish to %s: %w (%w)", f.target, err, binding.ErrRejected)
	}
	return nil, fmt.Errorf("external: publish to %s: %w", f.target, transient{err})
}

// permanentCode reports whether a status code refuses the event itself.
func permanentCode(c codes.Code) bool {
	switch c {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange, codes.NotFound,
		codes.AlreadyExists, codes.PermissionDenied, codes.Unauthenticated:
		return true
	}
	return false
}

// Close closes the client's connection; calls in progress fail.
func (f *GRPCFunction) Close(ctx context.Context) error {
	// cegrpc.Client.Close is changing from Close() to Close(ctx) while the
	// transports' APIs are unified; take whichever it has.
	switch c := any(f.client).(type) {
	case interface{ Close(context.Context) error }:
		return c.Close(ctx)
	case interface{ Close() error }:
		return c.Close()
	}
	return nil
}
