package http

import (
	"net"

	"github.com/openevents/openevents/event/binding"
)

// ListenAndServe listens on the TCP address addr and passes every event
// received there to h, through a [Server] (net/http) with opts applied, in
// the way net/http's ListenAndServe serves an http.Handler. An empty addr
// means ":http" (port 80 on every interface), as in net/http; with
// [WithTLS] it speaks HTTPS on whatever port addr names.
//
// It is the shortest way to a receiver for a program that runs until it is
// killed. It has no stop path: it returns only when it cannot start or
// when accepting fails, and then always with a non-nil error: the error of
// [NewServer] for a nil h or an invalid option, the *net.OpError of
// net.Listen for an address that is malformed or cannot be bound
// (errors.Is(err, syscall.EADDRINUSE) when it is in use), or the error of
// [Server.Serve]. A program that drains on SIGTERM, or a test, builds the
// Server with [NewServer], runs [Server.Serve] on its own listener and
// calls [Server.Shutdown].
func ListenAndServe(addr string, h binding.Handler, opts ...Option) error {
	return listenAndServe(addr, h, opts, nil)
}

// listenAndServe is ListenAndServe with a hook that receives the Server
// and the bound address once it listens, so that tests can bind port 0,
// find the port and shut the server down (Serve then returns nil).
func listenAndServe(addr string, h binding.Handler, opts []Option, listening func(*Server, net.Addr)) error {
	srv, err := NewServer(h, opts...)
	if err != nil {
		return err
	}
	if addr == "" {
		addr = ":http"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if listening != nil {
		listening(srv, ln.Addr())
	}
	return srv.Serve(ln)
}
