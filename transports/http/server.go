package http

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"

	"github.com/openevents/openevents/event/binding"
)

// Server is a net/http server around a [Handler], with the limits and TLS
// of the receiver options applied. Use [FastServer] where throughput
// matters more than the net/http ecosystem.
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
	c := &hh.r.cfg
	return &Server{h: hh, srv: &http.Server{
		Handler:           hh,
		ReadHeaderTimeout: c.readHeaderTimeout,
		IdleTimeout:       c.idleTimeout,
		MaxHeaderBytes:    c.maxHeader,
		TLSConfig:         c.tls,
	}}, nil
}

// Handler returns the server's [Handler].
func (s *Server) Handler() *Handler { return s.h }

// Serve accepts connections on ln until [Server.Shutdown] is called, and
// then returns nil; any other failure is returned. With [WithTLSConfig] it
// speaks HTTPS. It takes ownership of ln.
func (s *Server) Serve(ln net.Listener) error {
	var err error
	if s.srv.TLSConfig != nil {
		err = s.srv.Serve(tls.NewListener(ln, s.srv.TLSConfig))
	} else {
		err = s.srv.Serve(ln)
	}
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
