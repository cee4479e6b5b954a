package grpc_test

import (
	"context"
	"fmt"
	"net"

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
	defer func() { _ = c.Close() }()
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
