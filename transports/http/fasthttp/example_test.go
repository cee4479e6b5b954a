package fasthttp_test

import (
	"context"
	"fmt"
	"net"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
	cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
)

// A fasthttp receiver takes cehttp's options; here a Replier answers each
// event with another one, written back as a structured-mode response, and
// cehttp's Sender returns it.
func Example() {
	echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = e.Clone()
		reply.SetType(e.Type() + ".reply")
		return true, nil
	})
	srv, err := cefasthttp.NewServer(echo, cehttp.WithReplyMode(binding.ModeStructured))
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
	fmt.Println(resp.Status, resp.Reply.Type(), resp.Reply.DataContentType() == "")
	// Output: 200 com.example.ping.reply true
}
