package external_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/external"
	cegrpc "github.com/openevents/openevents/transports/grpc"
	cehttp "github.com/openevents/openevents/transports/http"
)

// A function in Python (testdata/billing.py, the child shown in
// docs/exec-protocol.md) answers with a reply, with null, or with a
// permanent error.
func ExampleExec() {
	f, err := external.Exec([]string{"python3", "testdata/billing.py"},
		external.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = f.Close(context.Background()) }()
	ctx := context.Background()

	order := event.New("order-1", "/shop", "com.example.order.created")
	reply, err := f.Call(ctx, &order)
	fmt.Println(reply.ID(), reply.Type(), err)

	ping := event.New("ping-1", "/shop", "com.example.ping")
	reply, err = f.Call(ctx, &ping)
	fmt.Println(reply == nil, err)

	odd := event.New("odd-1", "/shop", "com.example.odd")
	_, err = f.Call(ctx, &odd)
	fmt.Println(errors.Is(err, binding.ErrRejected), err)
	// Output:
	// order-1-ack com.example.order.billed <nil>
	// true <nil>
	// true external: the function failed (permanent): unknown type com.example.odd
}

// An HTTP function is any endpoint that takes CloudEvents; here a cehttp
// server whose handler replies.
func ExampleHTTP() {
	srv, _ := cehttp.NewServer(cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = event.New(e.ID()+"-ack", "/billing", "com.example.order.billed")
		return true, nil
	}))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Shutdown(context.Background()) }()

	f, err := external.HTTP("http://" + ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = f.Close(context.Background()) }()
	order := event.New("order-1", "/shop", "com.example.order.created")
	reply, err := f.Call(context.Background(), &order)
	fmt.Println(reply.ID(), reply.Type(), err)
	// Output: order-1-ack com.example.order.billed <nil>
}

// A gRPC function is an openevents.v1.EventService; Publish has no reply.
func ExampleGRPC() {
	srv, _ := cegrpc.NewServer(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		fmt.Println("billing", e.ID())
		return nil
	}))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Shutdown(context.Background()) }()

	f, err := external.GRPC(ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = f.Close(context.Background()) }()
	order := event.New("order-1", "/shop", "com.example.order.created")
	reply, err := f.Call(context.Background(), &order)
	fmt.Println(reply == nil, err)
	// Output:
	// billing order-1
	// true <nil>
}
