package http

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/transports/http/internal/receive"
)

// Server is a net/http server around a [Handler], with the limits and TLS
// of the receiver options applied. Where throughput matters more than the
// net/http ecosystem, use the fasthttp server of transports/http/fasthttp
// (imported as cefasthttp), which takes the same options.
type Server struct {
	h   *Handler
	srv *http.Server
}

// NewServer returns a Server passing events to h. It returns an error for
// a nil h or an invalid option.
func NewServer(h binding.Handler, opts ...Option) (*Server, error) {
	hh, err := NewHandler(h, opts...)
	if err != nil {
		return nil, err
	}
	c := &hh.r.Config
	// net/http takes its error sink only as a *log.Logger, and without
	// one writes to standard error; this one calls the hook or discards.
	errorLog := log.New(connErrorWriter(c.OnConnError), "", 0) //nolint:forbidigo // see above: nothing is logged
	return &Server{h: hh, srv: &http.Server{
		Handler:           hh,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		// The whole request; the Handler cuts the body's share shorter
		// (WithReadBodyTimeout) once the headers are in.
		ReadTimeout:    c.ReadTimeout,
		IdleTimeout:    c.IdleTimeout,
		MaxHeaderBytes: c.MaxHeader,
		TLSConfig:      c.TLS,
		ErrorLog:       errorLog,
	}}, nil
}

// Handler returns the server's [Handler].
func (s *Server) Handler() *Handler { return s.h }

// Serve accepts connections on ln until [Server.Shutdown] is called, and
// then returns nil; any other failure is returned. With [WithTLS] it
// speaks HTTPS, each handshake bounded by [WithTLSHandshakeTimeout].
// Connections beyond [WithMaxConns] or [WithMaxConnsPerAddr] are answered
// and closed as they arrive. It takes ownership of ln.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(receive.NewGuardListener(ln, &s.h.r.Config))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for the requests in
// flight to finish (so their events are acknowledged) or for ctx to end,
// whichever comes first; it then closes the remaining connections.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close() // the context ended; the error above says so
	}
	return err
}

// connErrorWriter passes each line net/http's error logger writes to f,
// with the client address it names, or drops it when f is nil.
type connErrorWriter func(peer, msg string)

func (f connErrorWriter) Write(b []byte) (int, error) {
	if f != nil {
		msg := strings.TrimSuffix(string(b), "\n")
		f(receive.PeerIn(msg), msg)
	}
	return len(b), nil
}
