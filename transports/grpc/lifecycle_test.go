package grpc_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// TestServeShutdown: a Server serves on a listener of its own with Serve
// and stops with Shutdown, which ends an open Subscribe call and makes
// Serve return nil; Serve after Shutdown returns at once, and a second
// Serve is an error.
func TestServeShutdown(t *testing.T) {
	rec := &recorder{}
	srv, err := cegrpc.NewServer(rec)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	c, err := cegrpc.NewClient(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Publish(ctx, newEvent("1", "com.example.a", "")); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 1 {
		t.Fatalf("handler got %d events, want 1", rec.count())
	}
	subscribed := make(chan error, 1)
	go func() { subscribed <- c.Subscribe(ctx, cegrpc.Filter{}, rec) }()
	waitSubscribers(t, srv, 1)

	if err := srv.Serve(listen(t)); err == nil {
		t.Error("a second Serve returned nil, want an error")
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v after Shutdown, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after Shutdown")
	}
	select {
	case err := <-subscribed:
		if err != nil && status.Code(err) != codes.Unavailable {
			t.Errorf("Subscribe ended with %v, want OK or UNAVAILABLE", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Subscribe did not end after Shutdown")
	}
	after := listen(t)
	if err := srv.Serve(after); err != nil {
		t.Errorf("Serve after Shutdown: %v, want nil", err)
	}
	if _, err := after.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Serve after Shutdown left its listener open (Accept: %v)", err)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}
