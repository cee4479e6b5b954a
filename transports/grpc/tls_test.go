package grpc_test

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/openevents/openevents/internal/testtls"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

func TestTLS(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	rec := &recorder{}
	srv, err := cegrpc.NewServer(rec, cegrpc.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(gs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	defer func() {
		gs.Stop()
		<-served
	}()
	ctx := context.Background()

	c, err := cegrpc.NewClient(lis.Addr().String(), cegrpc.WithTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	if err := c.Publish(ctx, newEvent("1", "t", "")); err != nil {
		t.Fatal(err)
	}

	plain, err := cegrpc.NewClient(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = plain.Close(context.Background()) }()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := plain.Publish(short, newEvent("2", "t", "")); err == nil {
		t.Error("a plaintext client reached a TLS server")
	}
	if rec.count() != 1 {
		t.Errorf("handler saw %d events", rec.count())
	}
}
