package main

import (
	"context"
	"net"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// listenHTTP serves --http until ctx ends (interrupt, or --count events).
func listenHTTP(ctx context.Context, o *listenOptions, p *printer) error {
	tc, err := o.tls.server("HTTP")
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", o.httpAddr)
	if err != nil {
		return listenError(err)
	}
	var h binding.Handler = binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		return p.Event(e)
	})
	if o.reply {
		h = cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
			if err := p.Event(e); err != nil {
				return false, err
			}
			*reply = e.Clone()
			return true, nil
		})
	}
	// Every refusal is reported (Refused summarises them without
	// --validate), and requests beyond --max-in-flight are answered 429
	// with Retry-After at once (WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11)
	// rather than waiting, body in memory, for standard output to drain.
	opts := []cehttp.Option{cehttp.WithErrorHook(p.errorHook(cehttp.ErrConnection)), cehttp.WithMaxInFlight(o.inFlight)}
	what := "HTTP"
	if tc != nil {
		opts = append(opts, cehttp.WithTLS(tc))
		what = "HTTPS" + clientCertNote(tc)
	}
	srv, err := cehttp.NewServer(h, opts...)
	if err != nil {
		_ = ln.Close()
		return failure(err)
	}
	p.Listening(what, ln.Addr().String())
	return serveUntil(ctx, ln, srv.Serve, srv.Shutdown)
}

// shutdownGrace is how long a listener waits, once asked to stop, for the
// requests in flight to finish before it closes their connections.
const shutdownGrace = 5 * time.Second

// serveUntil serves ln until ctx ends (an interrupt, or --count events),
// then shuts down within shutdownGrace. The HTTP and gRPC servers share
// this lifecycle (Serve returns nil after Shutdown); a Shutdown that had
// to close connections is reported as a failure.
func serveUntil(ctx context.Context, ln net.Listener, serve func(net.Listener) error, shutdown func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- serve(ln) }()
	select {
	case err := <-done:
		return failure(err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	serr := shutdown(sctx)
	if err := <-done; err != nil {
		return failure(err)
	}
	return failure(serr)
}
