package main

import (
	"context"
	"errors"
	"net"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// listenGRPC serves both gRPC services on --grpc until ctx ends
// (interrupt, or --count events).
func listenGRPC(ctx context.Context, o *listenOptions, p *printer) error {
	if o.reply {
		return usageError(errors.New("--reply is for HTTP only"))
	}
	tc, err := o.tls.server("gRPC")
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", o.grpcAddr)
	if err != nil {
		return listenError(err)
	}
	what := "gRPC"
	if tc != nil {
		what = "gRPC over TLS" + clientCertNote(tc)
	}
	// Refusals are summarised without --validate; WithTLS(nil) leaves TLS
	// off.
	srv, err := cegrpc.NewServer(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		return p.Event(e)
	}), cegrpc.WithErrorHook(p.errorHook(cegrpc.ErrConnection)), cegrpc.WithTLS(tc))
	if err != nil {
		_ = ln.Close()
		return failure(err)
	}
	p.Listening(what, ln.Addr().String())
	return serveUntil(ctx, ln, srv.Serve, srv.Shutdown)
}
