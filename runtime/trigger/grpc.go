package trigger

import (
	"context"
	"fmt"

	"google.golang.org/grpc/metadata"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/trace"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// GRPC receives events on openevents.v1.EventService (Publish, and
// Stream with its windowed acknowledgements: each event of a batch is
// dispatched and the batch acknowledged once, with the failures by index)
// and on the de-facto io.cloudevents.v1.CloudEventService. Its Subscribe
// streams are fed by [GRPC.Publish], which a forwarding function can use
// as its sink, so that the runtime acts as a small broker.
//
// EventService.Publish has no reply field, so replies go to the host's
// reply sinks only.
type GRPC struct {
	server
	srv *cegrpc.Server
}

// NewGRPC returns a trigger that will listen on addr and hand events to d;
// option names the setting that chooses addr. opts are the transport's
// server options.
func NewGRPC(addr, option string, d Dispatcher, opts ...cegrpc.ServerOption) (*GRPC, error) {
	var h binding.Handler = grpcHandler{d}
	if bd, ok := d.(BatchDispatcher); ok {
		h = grpcBatchHandler{grpcHandler{d}, bd}
	}
	srv, err := cegrpc.NewServer(h, opts...)
	if err != nil {
		return nil, fmt.Errorf("grpc trigger: %w", err)
	}
	return &GRPC{server: server{kind: "grpc", addr: addr, option: option}, srv: srv}, nil
}

// BatchDispatcher is a [Dispatcher] that also takes the events of one
// batch at once (see host.Trigger.DispatchBatch): the gRPC trigger hands
// it each Stream batch in one call.
type BatchDispatcher interface {
	DispatchBatch(ctx context.Context, events []event.Event, errs []error)
}

// grpcHandler hands each event to the dispatcher.
type grpcHandler struct{ d Dispatcher }

func (h grpcHandler) Handle(ctx context.Context, e *event.Event) error {
	_, err := h.d.Dispatch(metadataTrace(ctx), e)
	return err
}

// grpcBatchHandler hands a Stream batch to the dispatcher in one call.
type grpcBatchHandler struct {
	grpcHandler
	b BatchDispatcher
}

func (h grpcBatchHandler) HandleBatch(ctx context.Context, events []event.Event, errs []error) {
	h.b.DispatchBatch(metadataTrace(ctx), events, errs)
}

// metadataTrace adds the call's traceparent metadata to ctx, where the
// host and functions find it before the event's own traceparent
// extension (see package trace). Only a valid value changes ctx.
func metadataTrace(ctx context.Context) context.Context {
	if v := metadata.ValueFromIncomingContext(ctx, trace.Header); len(v) == 1 && trace.Valid(v[0]) {
		return trace.NewContext(ctx, v[0])
	}
	return ctx
}

// Start binds the address and serves in the background.
func (t *GRPC) Start(context.Context) error {
	return t.start(t.srv.Serve)
}

// Shutdown drains: new calls are refused, calls in progress finish and
// their events are acknowledged, or ctx ends and connections are closed.
func (t *GRPC) Shutdown(ctx context.Context) error {
	return t.stop(ctx, t.srv.Shutdown)
}

// Send delivers e to this trigger's Subscribe streams whose filter
// matches (at most once, like Subscribe itself). With Close it makes the
// trigger a function.Sink.
func (t *GRPC) Send(ctx context.Context, e *event.Event) error { return t.srv.Publish(ctx, e) }

// Close does nothing: the trigger's life is Start and Shutdown. It is
// here so that the trigger is a function.Sink.
func (t *GRPC) Close(context.Context) error { return nil }
