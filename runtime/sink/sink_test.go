package sink_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/sink"
	cegrpc "github.com/openevents/openevents/transports/grpc"
	cehttp "github.com/openevents/openevents/transports/http"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The sinks are function.Sinks.
var (
	_ function.Sink = (*sink.HTTPSink)(nil)
	_ function.Sink = (*sink.GRPCSink)(nil)
	_ function.Sink = (*sink.MQTTSink)(nil)
	_ function.Sink = (*sink.FileSink)(nil)
)

// wait bounds every wait of these tests; generous for a busy machine.
const wait = 30 * time.Second

// newEvent returns a valid event with a string extension and JSON data in a
// slice of its own, which the caller may overwrite after Send to show the
// sink kept nothing.
func newEvent(id string) (*event.Event, []byte) {
	e := event.New(id, "/runtime/sink/test", "com.example.sink")
	e.SetSubject("s-" + id)
	e.SetExtension("myext", event.String("v-"+id))
	e.SetDataContentType("application/json")
	data := []byte(`{"id":"` + id + `"}`)
	e.SetData(data)
	return &e, data
}

// collector is a binding.Handler that keeps a clone of every event, or
// refuses the events whose type is "refuse".
type collector chan event.Event

func (c collector) Handle(_ context.Context, e *event.Event) error {
	if e.Type() == "refuse" {
		return fmt.Errorf("test refuses it: %w", binding.ErrRejected)
	}
	c <- e.Clone()
	return nil
}

func (c collector) next(t *testing.T) event.Event {
	t.Helper()
	select {
	case e := <-c:
		return e
	case <-time.After(wait):
		t.Fatal("no event arrived")
		return event.Event{}
	}
}

// loopback returns a listener on 127.0.0.1 with a free port.
func loopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// sameEvent fails unless got has the attributes and data of want.
func sameEvent(t *testing.T, got, want *event.Event) {
	t.Helper()
	for _, name := range []string{"id", "source", "type", "subject", "datacontenttype", "myext"} {
		g, _ := got.Lookup(name)
		w, _ := want.Lookup(name)
		if g.String() != w.String() {
			t.Errorf("%s = %q, want %q", name, g, w)
		}
	}
	if string(got.Data()) != string(want.Data()) {
		t.Errorf("data = %q, want %q", got.Data(), want.Data())
	}
}

func TestHTTP(t *testing.T) {
	got := make(collector, 10)
	srv, err := cehttp.NewServer(got)
	if err != nil {
		t.Fatal(err)
	}
	ln := loopback(t)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil {
			t.Error(err)
		}
	})

	s, err := sink.HTTP("http://" + ln.Addr().String() + "/events")
	if err != nil {
		t.Fatal(err)
	}
	e, data := newEvent("h1")
	want := e.Clone()
	if err := s.Send(ctxT(t), e); err != nil {
		t.Fatal(err)
	}
	copy(data, "XXXXXXXXXX") // the sink must not have kept it
	r := got.next(t)
	sameEvent(t, &r, &want)

	// The receiver's refusal comes back as binding.ErrRejected.
	bad, _ := newEvent("h2")
	bad.SetType("refuse")
	err = s.Send(ctxT(t), bad)
	if !errors.Is(err, binding.ErrRejected) || !strings.Contains(err.Error(), "400") {
		t.Errorf("refused event: %v, want a 400 matching binding.ErrRejected", err)
	}

	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctxT(t), e); !errors.Is(err, sink.ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
}

// TestHTTPBinaryMode: the POST carries the attributes as ce- headers and
// the data as the body.
func TestHTTPBinaryMode(t *testing.T) {
	type request struct {
		id, ext, ct, body string
	}
	reqs := make(chan request, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs <- request{r.Header.Get("ce-id"), r.Header.Get("ce-myext"), r.Header.Get("Content-Type"), string(b)}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer ts.Close()
	s, err := sink.HTTP(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	e, _ := newEvent("b1")
	if err := s.Send(ctxT(t), e); err != nil {
		t.Fatal(err)
	}
	r := <-reqs
	if r != (request{"b1", "v-b1", "application/json", `{"id":"b1"}`}) {
		t.Errorf("request %+v, want a binary-mode POST", r)
	}
}

// TestHTTPStatusError: a non-2xx answer is an error giving the status and
// the start of the body.
func TestHTTPStatusError(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "database is down for maintenance", http.StatusInternalServerError)
	}))
	defer ts.Close()
	s, err := sink.HTTP(ts.URL, cehttp.WithRetry(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	e, _ := newEvent("s1")
	err = s.Send(ctxT(t), e)
	var se *cehttp.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusInternalServerError {
		t.Fatalf("got %v, want a *cehttp.StatusError 500", err)
	}
	for _, w := range []string{"sink: http " + ts.URL, "500", "database is down for maintenance"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if !cehttp.IsRetryable(err) {
		t.Error("a 500 is not retryable")
	}
}

// TestHTTPUnreachable: no answer is an error, and a password in the URL
// does not appear in it.
func TestHTTPUnreachable(t *testing.T) {
	ln := loopback(t)
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	s, err := sink.HTTP("http://user:hunter2@"+addr+"/", cehttp.WithRetry(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	e, _ := newEvent("u1")
	err = s.Send(ctxT(t), e)
	var ue *cehttp.UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want a *cehttp.UnreachableError", err)
	}
	if !strings.Contains(err.Error(), "sink: http http://user:xxxxx@"+addr) {
		t.Errorf("error %q does not name the redacted target", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestHTTPConfigErrors(t *testing.T) {
	for _, target := range []string{"ftp://example.com/", "not a url", ""} {
		if s, err := sink.HTTP(target); err == nil || !strings.HasPrefix(err.Error(), "sink: http") {
			t.Errorf("HTTP(%q) = %v, %v; want an error", target, s, err)
		}
	}
}

func TestGRPC(t *testing.T) {
	got := make(collector, 10)
	srv, err := cegrpc.NewServer(got)
	if err != nil {
		t.Fatal(err)
	}
	ln := loopback(t)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-served; err != nil {
			t.Error(err)
		}
	})

	s, err := sink.GRPC(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	e, data := newEvent("g1")
	e.SetExtension("count", event.Integer(7)) // protobuf keeps the type
	want := e.Clone()
	if err := s.Send(ctxT(t), e); err != nil {
		t.Fatal(err)
	}
	copy(data, "XXXXXXXXXX")
	r := got.next(t)
	if !r.Equal(&want) {
		t.Errorf("received %v, want %v", &r, &want)
	}

	bad, _ := newEvent("g2")
	bad.SetType("refuse")
	err = s.Send(ctxT(t), bad)
	if !errors.Is(err, binding.ErrRejected) || !strings.HasPrefix(err.Error(), "sink: grpc "+ln.Addr().String()) {
		t.Errorf("refused event: %v, want an error naming the sink and matching binding.ErrRejected", err)
	}
	var ge *cegrpc.Error
	if !errors.As(err, &ge) {
		t.Errorf("refused event: %T, want a *cegrpc.Error inside", err)
	}

	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Send(ctxT(t), e); !errors.Is(err, sink.ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
}

// TestGRPCUnavailable: a target where nothing listens is a retryable
// error.
func TestGRPCUnavailable(t *testing.T) {
	ln := loopback(t)
	addr := ln.Addr().String()
	_ = ln.Close()
	s, err := sink.GRPC(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	e, _ := newEvent("g3")
	err = s.Send(ctxT(t), e)
	if err == nil || !cegrpc.IsRetryable(err) {
		t.Errorf("got %v, want a retryable error", err)
	}
}

func TestMQTT(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })

	got := make(collector, 10)
	sub, err := cemqtt.NewSubscriber(b.URL(), "events/#", got, cemqtt.WithClientID("sink-test-sub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })

	s, err := sink.MQTT(ctxT(t), b.URL(), "events/orders", cemqtt.WithClientID("sink-test-pub"))
	if err != nil {
		t.Fatal(err)
	}
	e, data := newEvent("m1")
	want := e.Clone()
	if err := s.Send(ctxT(t), e); err != nil {
		t.Fatal(err)
	}
	copy(data, "XXXXXXXXXX")
	r := got.next(t)
	sameEvent(t, &r, &want)

	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Send(ctxT(t), e); !errors.Is(err, sink.ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
}

func TestMQTTConfigErrors(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	for _, topic := range []string{"", "events/#", "events/+/x"} {
		s, err := sink.MQTT(ctxT(t), b.URL(), topic)
		if !errors.Is(err, cemqtt.ErrConfig) {
			t.Errorf("topic %q: got %v, %v; want an ErrConfig", topic, s, err)
		}
		if s != nil {
			_ = s.Close(context.Background())
		}
	}
	if _, err := sink.MQTT(ctxT(t), "http://"+b.Addr(), "t"); err == nil {
		t.Error("an http:// broker URL was accepted")
	}
}
