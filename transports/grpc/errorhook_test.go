package grpc_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/internal/testtls"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// hookLog collects what the error hook was called with.
type hookLog struct {
	mu    sync.Mutex
	peers []string
	errs  []error
}

func (l *hookLog) hook(peer string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.peers = append(l.peers, peer)
	l.errs = append(l.errs, err)
}

func (l *hookLog) snapshot() ([]string, []error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.peers...), append([]error(nil), l.errs...)
}

// TestErrorHook: the hook hears of a handler's failure and a handler's
// refusal on Publish, and of each failed event of a Stream batch.
// (Refusals before the handler reach it too: see the de-facto service's
// tests, which send invalid events the client here would not send.)
func TestErrorHook(t *testing.T) {
	var log hookLog
	boom := errors.New("boom")
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		switch e.ID() {
		case "fail":
			return boom
		case "reject":
			return binding.ErrRejected
		}
		return nil
	})
	hs := start(t, h, cegrpc.WithErrorHook(log.hook))
	c := hs.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_ = c.Publish(ctx, newEvent("fail", "t", ""))
	_ = c.Publish(ctx, newEvent("reject", "t", ""))
	if err := c.Publish(ctx, newEvent("ok", "t", "")); err != nil {
		t.Fatal(err)
	}
	if err := c.SendBatch(ctx, []event.Event{*newEvent("ok2", "t", ""), *newEvent("fail", "t", "")}); err == nil {
		t.Error("SendBatch with a failing event returned nil")
	}
	peers, errs := log.snapshot()
	if len(errs) != 3 {
		t.Fatalf("hook called %d times (%v), want 3: fail, reject, the batch's fail", len(errs), errs)
	}
	if !errors.Is(errs[0], boom) || !errors.Is(errs[1], binding.ErrRejected) || !errors.Is(errs[2], boom) {
		t.Errorf("reports %v", errs)
	}
	for _, p := range peers {
		if p == "" {
			t.Errorf("empty peer in %q", peers)
		}
	}
}

// TestErrorHookTLSHandshake: a client that is not speaking TLS to a TLS
// server shows up in the hook as an ErrConnection with its address.
func TestErrorHookTLSHandshake(t *testing.T) {
	cert, _ := testtls.SelfSigned(t)
	var log hookLog
	srv, err := cegrpc.NewServer(&recorder{}, cegrpc.WithErrorHook(log.hook),
		cegrpc.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [64]byte
	for {
		if _, err := conn.Read(b[:]); err != nil {
			break // the server closed it
		}
	}
	_ = conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		peers, errs := log.snapshot()
		if len(errs) > 0 {
			if !errors.Is(errs[0], cegrpc.ErrConnection) || peers[0] != conn.LocalAddr().String() {
				t.Errorf("hook got %q %v; want ErrConnection from %s", peers[0], errs[0], conn.LocalAddr())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the failed handshake did not reach the hook")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
