package http

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// startListenAndServe runs listenAndServe on a loopback port with opts and
// returns the URL it serves, the server (to shut down) and the channel its
// result arrives on.
func startListenAndServe(t *testing.T, h binding.Handler, opts ...Option) (string, *Server, <-chan error) {
	t.Helper()
	type bound struct {
		srv  *Server
		addr net.Addr
	}
	ready := make(chan bound, 1)
	done := make(chan error, 1)
	go func() {
		done <- listenAndServe("127.0.0.1:0", h, opts, func(s *Server, a net.Addr) { ready <- bound{s, a} })
	}()
	select {
	case b := <-ready:
		return "http://" + b.addr.String() + "/", b.srv, done
	case err := <-done:
		t.Fatalf("listenAndServe returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("listenAndServe did not listen within 10 s")
	}
	return "", nil, nil
}

func TestListenAndServe(t *testing.T) {
	got := make(chan string, 1)
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		got <- e.ID() + " " + e.Subject()
		return nil
	})
	// The option must reach the server: a body over 1 KiB is refused.
	url, srv, done := startListenAndServe(t, h, WithMaxBodyBytes(1<<10))

	s, err := NewSender(url, WithRetry(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	e := event.New("l-1", "/test/listen", "com.example.ping")
	e.SetSubject("a b")
	resp, err := s.Send(ctx, &e)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if resp.Status != 204 {
		t.Errorf("status %d, want 204", resp.Status)
	}
	if g := <-got; g != "l-1 a b" {
		t.Errorf("handler got %q, want %q", g, "l-1 a b")
	}

	big := event.New("l-2", "/test/listen", "com.example.ping")
	big.SetDataContentType("text/plain")
	big.SetData([]byte(strings.Repeat("x", 2<<10)))
	_, err = s.Send(ctx, &big)
	if se, ok := errors.AsType[*StatusError](err); !ok || se.Code != 413 {
		t.Errorf("Send of 2 KiB with WithMaxBodyBytes(1 KiB) = %v, want a 413 StatusError", err)
	}
	select {
	case g := <-got:
		t.Errorf("handler got %q, refused by its size", g)
	default:
	}

	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("listenAndServe after Shutdown = %v, want nil", err)
	}
}

func TestListenAndServeErrors(t *testing.T) {
	h := binding.HandlerFunc(func(context.Context, *event.Event) error { return nil })
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Close() }()

	for _, tc := range []struct {
		name string
		addr string
		h    binding.Handler
		opts []Option
		is   error  // errors.Is target, if any
		want string // substring of the message
	}{
		{name: "nil handler", addr: "127.0.0.1:0", h: nil, want: "Handler is nil"},
		{name: "invalid option", addr: "127.0.0.1:0", h: h, opts: []Option{WithMaxBodyBytes(-1)}, want: "WithMaxBodyBytes"},
		{name: "address in use", addr: busy.Addr().String(), h: h, is: syscall.EADDRINUSE},
		{name: "malformed address", addr: "127.0.0.1:99999", h: h, want: "invalid port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { done <- ListenAndServe(tc.addr, tc.h, tc.opts...) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ListenAndServe is serving; it should have failed to start")
			}
			if err == nil {
				t.Fatal("ListenAndServe = nil, want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("ListenAndServe = %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ListenAndServe = %q, want it to mention %q", err, tc.want)
			}
		})
	}
}
