package grpc_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	"google.golang.org/grpc"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

const typical = eventtest.Typical

// BenchmarkStream streams batches of 100 typical events over loopback TCP
// in one process to a no-op handler; ce bench grpc measures two processes.
func BenchmarkStream(b *testing.B) {
	srv, err := cegrpc.NewServer(binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }))
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	gs := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(gs)
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	c, err := cegrpc.NewClient(lis.Addr().String(), cegrpc.WithWindow(2000))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	batch := make([]event.Event, 100)
	for i := range batch {
		if err := jsonformat.Decode([]byte(typical), &batch[i]); err != nil {
			b.Fatal(err)
		}
		batch[i].SetID(strconv.Itoa(i))
	}
	ctx := context.Background()
	s, err := c.Stream(ctx)
	if err != nil {
		b.Fatal(err)
	}
	acks := make(chan *cegrpc.Ack, 64)
	done := make(chan error, 1)
	go func() {
		for a := range acks {
			if _, err := a.Wait(ctx); err != nil {
				done <- err
				for range acks {
				}
				return
			}
		}
		done <- nil
	}()
	b.ReportAllocs()
	for b.Loop() {
		a, err := s.Send(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		acks <- a
	}
	close(acks)
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(batch))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if err := s.Close(ctx); err != nil {
		b.Fatal(err)
	}
}
