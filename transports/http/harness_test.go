package http_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
	cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
)

// collector is a binding.Handler that keeps clones of what it receives and
// answers with err.
type collector struct {
	mu     sync.Mutex
	events []event.Event
	err    error
}

func (c *collector) Handle(_ context.Context, e *event.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e.Clone())
	return c.err
}

func (c *collector) got() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Event(nil), c.events...)
}

type serveFunc func(t *testing.T, h binding.Handler, opts ...cehttp.Option) string

// servers lists the receivers every receiving test runs against: the
// net/http Server (and so Handler) and the fasthttp Server of
// transports/http/fasthttp. The fasthttp package's own tests cover only
// what is particular to it; the shared behaviour is tested here, on both.
var servers = []struct {
	name  string
	start serveFunc
}{
	{"net/http", startServer},
	{"fasthttp", startFastHTTPServer},
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func startServer(t *testing.T, h binding.Handler, opts ...cehttp.Option) string {
	t.Helper()
	s, err := cehttp.NewServer(h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, listen(t), s.Serve, s.Shutdown)
}

func startFastHTTPServer(t *testing.T, h binding.Handler, opts ...cehttp.Option) string {
	t.Helper()
	s, err := cefasthttp.NewServer(h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, listen(t), s.Serve, s.Shutdown)
}

// run serves on ln in a goroutine owned by the test: Cleanup shuts the
// server down and waits for Serve to return.
func run(t *testing.T, ln net.Listener, serve func(net.Listener) error, shutdown func(context.Context) error) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/"
}

// client is a plain HTTP client for raw requests; its idle connections
// are closed when the test ends so goleak sees no reader goroutines.
func client(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func newSender(t *testing.T, url string, opts ...cehttp.SenderOption) *cehttp.Sender {
	t.Helper()
	s, err := cehttp.NewSender(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.CloseIdleConnections)
	return s
}

// sample returns a valid event exercising every header rule.
func sample() *event.Event {
	e := new(event.Event)
	e.SetSpecVersion("1.0")
	e.SetID("A234-1234-1234")
	e.SetSource("/mycontext/subcontext")
	e.SetType("com.example.someevent")
	e.SetTime("2018-04-05T03:56:24Z")
	e.SetSubject("Euro € 😀 100%")
	e.SetDataSchema("https://example.com/schema")
	e.SetDataContentType("application/json; charset=utf-8")
	e.SetExtension("comexampleext", event.String(`say "hi"`))
	e.SetData([]byte(`{"n":1}`))
	return e
}
