package grpc_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// Example serves the EventService on a loopback port and streams a batch
// to it.
func Example() {
	srv, err := cegrpc.NewServer(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		fmt.Println("received", e.ID(), e.Type())
		return nil
	}))
	if err != nil {
		panic(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	gs := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(gs)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()

	c, err := cegrpc.NewClient(lis.Addr().String())
	if err != nil {
		panic(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	ctx := context.Background()
	s, err := c.Stream(ctx)
	if err != nil {
		panic(err)
	}
	batch := make([]event.Event, 2)
	for i := range batch {
		batch[i].SetSpecVersion("1.0")
		batch[i].SetID(fmt.Sprint(i + 1))
		batch[i].SetSource("/example")
		batch[i].SetType("com.example.ping")
	}
	ack, err := s.Send(ctx, batch)
	if err != nil {
		panic(err)
	}
	res, err := ack.Wait(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("accepted", res.Accepted)
	if err := s.Close(ctx); err != nil {
		panic(err)
	}
	// Output:
	// received 1 com.example.ping
	// received 2 com.example.ping
	// accepted 2
}

// serveExample runs an EventService for h on a loopback port and returns its
// address, the Server and a function that stops it.
func serveExample(h binding.Handler) (string, *cegrpc.Server, func()) {
	srv, err := cegrpc.NewServer(h)
	if err != nil {
		panic(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	gs := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(gs)
	go func() { _ = gs.Serve(lis) }()
	return lis.Addr().String(), srv, gs.Stop
}

// Publish sends one event in a unary call and returns once the server's
// handler has accepted it. A handler's binding.ErrRejected comes back as
// INVALID_ARGUMENT, which is not worth retrying.
func ExampleClient_Publish() {
	addr, _, stop := serveExample(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		if !e.HasData() {
			return fmt.Errorf("no data: %w", binding.ErrRejected)
		}
		fmt.Printf("received %s %s\n", e.ID(), e.Data())
		return nil
	}))
	defer stop()

	c, err := cegrpc.NewClient(addr)
	if err != nil {
		panic(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	ctx := context.Background()

	e := event.New("p-1", "/example", "com.example.ping")
	e.SetData([]byte(`{"n":1}`))
	fmt.Println("publish:", c.Publish(ctx, &e))

	empty := event.New("p-2", "/example", "com.example.ping")
	err = c.Publish(ctx, &empty)
	if ge, ok := errors.AsType[*cegrpc.Error](err); ok {
		fmt.Println("publish:", ge.Code, errors.Is(err, binding.ErrRejected), cegrpc.IsRetryable(err))
	}
	// Output:
	// received p-1 {"n":1}
	// publish: <nil>
	// publish: InvalidArgument true false
}

// Subscribe receives the events the server publishes that match a filter,
// until its context ends.
func ExampleClient_Subscribe() {
	addr, srv, stop := serveExample(binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }))
	defer stop()
	c, err := cegrpc.NewClient(addr)
	if err != nil {
		panic(err)
	}
	defer func() { _ = c.Close(context.Background()) }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- c.Subscribe(ctx, cegrpc.Filter{Type: "com.example.order.created"},
			binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
				fmt.Println("subscriber got", e.ID(), e.Type())
				cancel() // one is enough
				return nil
			}))
	}()
	for srv.Subscribers() == 0 { // wait for the call to reach the server
		time.Sleep(time.Millisecond)
	}
	for _, typ := range []string{"com.example.order.cancelled", "com.example.order.created"} {
		e := event.New("o-1", "/shop", typ)
		if err := srv.Publish(ctx, &e); err != nil {
			panic(err)
		}
	}
	fmt.Println("Subscribe returned", <-done)
	// Output:
	// subscriber got o-1 com.example.order.created
	// Subscribe returned <nil>
}
