package http_test

import (
	"context"
	"fmt"
	"net"

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
	srv, err := cehttp.NewFastServer(echo, cehttp.WithReplyMode(binding.ModeStructured))
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
