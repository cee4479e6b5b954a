package http_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openevents/openevents/internal/testtls"
	cehttp "github.com/openevents/openevents/transports/http"
	cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
)

func TestHeaderLimit(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, &collector{}, cehttp.WithMaxHeaderBytes(4096))
			code, _, _ := post(t, http.MethodPost, url, binaryHeaders("ce-big", strings.Repeat("x", 8192)), "")
			if code != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("status %d, want 431", code)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var c collector
			url := "https://" + strings.TrimPrefix(srv.start(t, &c, cehttp.WithTLS(cfg)), "http://")
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
			t.Cleanup(tr.CloseIdleConnections)
			s := newSender(t, url, cehttp.WithDoer(&http.Client{Transport: tr}))
			if _, err := s.Send(context.Background(), sample()); err != nil {
				t.Fatal(err)
			}
			if len(c.got()) != 1 {
				t.Errorf("received %d events over TLS", len(c.got()))
			}
		})
	}
}

// TestConnErrorHook: a connection that fails before any request (plain
// text sent to a TLS port) reaches the WithErrorHook hook, the one place
// such errors go, as an ErrConnection naming the client.
func TestConnErrorHook(t *testing.T) {
	cert, _ := testtls.SelfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var logged lockedBuffer
			var peers lockedBuffer
			url := srv.start(t, &collector{}, cehttp.WithTLS(cfg), cehttp.WithErrorHook(func(peer string, err error) {
				if errors.Is(err, cehttp.ErrConnection) {
					peers.add(peer)
				}
				logged.hook(peer, err)
			}))
			conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(url, "/"), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = conn.Close() }()
			if _, err := conn.Write([]byte("POST / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.Copy(io.Discard, conn) // until the server closes the connection
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(logged.String(), "handshake") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(logged.String(), "handshake") {
				t.Errorf("error log %q does not mention the failed TLS handshake", logged.String())
			}
			if !strings.Contains(peers.String(), conn.LocalAddr().String()) {
				t.Errorf("hook peers %q, want the client %s", peers.String(), conn.LocalAddr())
			}
		})
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) add(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(msg + "\n")
}

// hook is a WithErrorHook hook that adds the peer and the error.
func (b *lockedBuffer) hook(peer string, err error) { b.add(peer + " " + err.Error()) }

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestShutdownBeforeServe: a server shut down before Serve starts does not
// serve; Serve returns at once, on both servers.
func TestShutdownBeforeServe(t *testing.T) {
	std, err := cehttp.NewServer(&collector{})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := cefasthttp.NewServer(&collector{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		serve    func(net.Listener) error
		shutdown func(context.Context) error
	}{
		{"net/http", std.Serve, std.Shutdown},
		{"fasthttp", fast.Serve, fast.Shutdown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- tc.serve(ln) }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve after Shutdown: %v", err)
				}
			case <-time.After(5 * time.Second):
				_ = ln.Close()
				t.Fatal("Serve after Shutdown did not return")
			}
		})
	}
}
