package http_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// A receiver and a sender on loopback: the subject travels percent-encoded
// as ce-subject: a%20b%20100%25 and arrives decoded.
func Example() {
	received := make(chan string, 1)
	srv, err := cehttp.NewServer(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		received <- e.Subject()
		return nil
	}))
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Shutdown(context.Background())
		if err := <-done; err != nil {
			fmt.Println(err)
		}
	}()

	s, err := cehttp.NewSender("http://" + ln.Addr().String() + "/")
	if err != nil {
		panic(err)
	}
	defer s.CloseIdleConnections()
	var e event.Event
	e.SetSpecVersion("1.0")
	e.SetID("1")
	e.SetSource("/example")
	e.SetType("com.example.ping")
	e.SetSubject("a b 100%")
	resp, err := s.Send(context.Background(), &e)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, <-received)
	// Output: 204 a b 100%
}

// A Replier answers each event with another one, written back in the
// response.
func ExampleReplierFunc() {
	echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = e.Clone()
		reply.SetType(e.Type() + ".reply")
		return true, nil
	})
	srv, err := cehttp.NewServer(echo, cehttp.WithReplyMode(binding.ModeStructured))
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Shutdown(context.Background())
		if err := <-done; err != nil {
			fmt.Println(err)
		}
	}()

	s, err := cehttp.NewSender("http://" + ln.Addr().String() + "/")
	if err != nil {
		panic(err)
	}
	defer s.CloseIdleConnections()
	var e event.Event
	e.SetSpecVersion("1.0")
	e.SetID("1")
	e.SetSource("/example")
	e.SetType("com.example.ping")
	resp, err := s.Send(context.Background(), &e)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, resp.Reply.Type())
	// Output: 200 com.example.ping.reply
}

// ListenAndServe is the shortest receiver: it serves until the program is
// killed, printing each event. (This example is compiled, not run: it
// would serve for ever.)
func ExampleListenAndServe() {
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		fmt.Println(e.ID(), e.Type(), string(e.Data()))
		return nil
	})
	// It returns only when it cannot listen (the port is taken, say) or
	// accepting fails.
	if err := cehttp.ListenAndServe("127.0.0.1:8080", h, cehttp.WithMaxBodyBytes(1<<20)); err != nil {
		fmt.Println(err)
	}
}

// A Handler is an http.Handler: mount it in an existing server beside
// other routes. Here it is the /events route of a mux, served by httptest.
func ExampleNewHandler() {
	got := make(chan string, 1)
	h, err := cehttp.NewHandler(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		got <- e.Type() + " " + string(e.Data())
		return nil
	}))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/events", h)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	ts := httptest.NewServer(mux)
	defer ts.Close()

	// Any HTTP client can post a binary-mode event: ce- headers and a body.
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/events", strings.NewReader(`{"n":1}`))
	if err != nil {
		panic(err)
	}
	req.Header.Set("ce-specversion", "1.0")
	req.Header.Set("ce-id", "1")
	req.Header.Set("ce-source", "/curl")
	req.Header.Set("ce-type", "com.example.ping")
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.Client().Do(req)
	if err != nil {
		panic(err)
	}
	_ = resp.Body.Close()
	fmt.Println(resp.StatusCode, <-got)
	// Output: 204 com.example.ping {"n":1}
}

// WithMode picks the content mode of Send: structured mode puts the whole
// event in the body as application/cloudevents+json.
func ExampleWithMode() {
	got := make(chan string, 1)
	mux := http.NewServeMux()
	h, err := cehttp.NewHandler(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		got <- e.ID()
		return nil
	}))
	if err != nil {
		panic(err)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("Content-Type:", r.Header.Get("Content-Type"))
		h.ServeHTTP(w, r)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	s, err := cehttp.NewSender(ts.URL, cehttp.WithMode(binding.ModeStructured))
	if err != nil {
		panic(err)
	}
	defer s.CloseIdleConnections()
	e := event.New("s-1", "/example", "com.example.ping")
	resp, err := s.Send(context.Background(), &e)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, <-got)
	// Output:
	// Content-Type: application/cloudevents+json
	// 204 s-1
}

// SendBatch posts several events in one request
// (application/cloudevents-batch+json); the receiver's handler sees each.
func ExampleSender_SendBatch() {
	got := make(chan string, 3)
	h, err := cehttp.NewHandler(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		got <- e.ID()
		return nil
	}))
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()

	s, err := cehttp.NewSender(ts.URL)
	if err != nil {
		panic(err)
	}
	defer s.CloseIdleConnections()
	batch := []event.Event{
		event.New("b-1", "/example", "com.example.ping"),
		event.New("b-2", "/example", "com.example.ping"),
		event.New("b-3", "/example", "com.example.ping"),
	}
	resp, err := s.SendBatch(context.Background(), batch)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, <-got, <-got, <-got)
	// Output: 204 b-1 b-2 b-3
}
