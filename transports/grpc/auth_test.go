package grpc_test

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// token is per-RPC credentials that may travel without TLS (the test
// listener is in memory).
type token string

func (t token) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

func (token) RequireTransportSecurity() bool { return false }

// TestPerRPCCredentials checks that client credentials reach the server's
// interceptors, which guard Publish like any other method.
func TestPerRPCCredentials(t *testing.T) {
	rec := &recorder{}
	srv, err := cegrpc.NewServer(rec)
	if err != nil {
		t.Fatal(err)
	}
	check := func(ctx context.Context) error {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get("authorization"); len(v) != 1 || v[0] != "Bearer s3cret" {
			return status.Error(codes.Unauthenticated, "no token")
		}
		return nil
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(append(srv.GRPCOptions(),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := check(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := check(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}))...)
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
	dial := cegrpc.WithDialOptions(grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return lis.DialContext(ctx)
	}))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts []cegrpc.ClientOption
		want codes.Code
	}{
		{"without token", nil, codes.Unauthenticated},
		{"with token", []cegrpc.ClientOption{cegrpc.WithPerRPCCredentials(token("s3cret"))}, codes.OK},
	} {
		c, err := cegrpc.NewClient("passthrough:///bufnet", append(tc.opts, dial)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(ctx, newEvent("1", "t", "")); status.Code(err) != tc.want {
			t.Errorf("%s: Publish: %v", tc.name, err)
		}
		s, err := c.Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Send(ctx, nil)
		if err == nil {
			_, err = a.Wait(ctx)
		}
		if status.Code(err) != tc.want {
			t.Errorf("%s: Stream: %v", tc.name, err)
		}
		_ = s.Close(ctx)
		_ = c.Close(context.Background())
	}
	if rec.count() != 1 {
		t.Errorf("handler saw %d events, want 1", rec.count())
	}
}
