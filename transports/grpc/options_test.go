package grpc_test

import (
	"context"
	"crypto/tls"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/openevents/openevents/internal/optiontest"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// An option for the other side does not compile: the option functions
// return ServerOption, ClientOption, or Option (both). These assertions
// are checked by the compiler; TestOptionSides checks the negative half,
// which cannot be written as code that compiles.
var (
	_ cegrpc.ServerOption = cegrpc.WithMaxConcurrentStreams(1)
	_ cegrpc.ServerOption = cegrpc.WithErrorHook(nil)
	_ cegrpc.ClientOption = cegrpc.WithWindow(1)
	_ cegrpc.ClientOption = cegrpc.WithDialOptions()

	_ cegrpc.Option = cegrpc.WithTLS(nil)
	_ cegrpc.Option = cegrpc.WithKeepAlive(0, 0)
	_ cegrpc.Option = cegrpc.WithMaxMessageBytes(1)

	// For example, neither of these compiles:
	//	_ cegrpc.ServerOption = cegrpc.WithWindow(1)             // missing method applyServer
	//	_ cegrpc.ClientOption = cegrpc.WithMaxConcurrentStreams(1) // missing method applyClient
)

// optionSides lists every option function with the sides it applies to.
var optionSides = map[string]optiontest.Sides{
	"WithTLS":                  {Fn: cegrpc.WithTLS, First: true, Second: true},
	"WithKeepAlive":            {Fn: cegrpc.WithKeepAlive, First: true, Second: true},
	"WithKeepalive":            {Fn: cegrpc.WithKeepalive, First: true, Second: true},
	"WithMaxMessageBytes":      {Fn: cegrpc.WithMaxMessageBytes, First: true, Second: true},
	"WithMaxMessageSize":       {Fn: cegrpc.WithMaxMessageSize, First: true, Second: true},
	"WithMaxAttributes":        {Fn: cegrpc.WithMaxAttributes, First: true, Second: false},
	"WithSubscriberQueue":      {Fn: cegrpc.WithSubscriberQueue, First: true, Second: false},
	"WithRefuseHook":           {Fn: cegrpc.WithRefuseHook, First: true, Second: false},
	"WithErrorHook":            {Fn: cegrpc.WithErrorHook, First: true, Second: false},
	"WithMaxConcurrentStreams": {Fn: cegrpc.WithMaxConcurrentStreams, First: true, Second: false},
	"WithStreamIdleTimeout":    {Fn: cegrpc.WithStreamIdleTimeout, First: true, Second: false},
	"WithMaxConnectionIdle":    {Fn: cegrpc.WithMaxConnectionIdle, First: true, Second: false},
	"WithMinPingInterval":      {Fn: cegrpc.WithMinPingInterval, First: true, Second: false},
	"WithPerRPCCredentials":    {Fn: cegrpc.WithPerRPCCredentials, First: false, Second: true},
	"WithWindow":               {Fn: cegrpc.WithWindow, First: false, Second: true},
	"WithDialOptions":          {Fn: cegrpc.WithDialOptions, First: false, Second: true},
}

// TestOptionSides checks the declared result type of every option
// function, which is what the compiler checks at a call of NewServer or
// NewClient: a client-only option's type does not implement ServerOption,
// so passing it to NewServer is a compile error, and the other way round.
// It also parses the package so that a new With… function must be listed
// here with its sides.
func TestOptionSides(t *testing.T) {
	optiontest.Check(t, reflect.TypeFor[cegrpc.ServerOption](), reflect.TypeFor[cegrpc.ClientOption](), optionSides)
}

// TestSharedOptionsBothSides gives the options that apply to both sides
// to a Server and a Client.
func TestSharedOptionsBothSides(t *testing.T) {
	shared := []cegrpc.Option{
		cegrpc.WithTLS(&tls.Config{MinVersion: tls.VersionTLS13}),
		cegrpc.WithKeepAlive(time.Minute, time.Second),
		cegrpc.WithMaxMessageBytes(1 << 20),
	}
	server := make([]cegrpc.ServerOption, 0, len(shared))
	client := make([]cegrpc.ClientOption, 0, len(shared))
	for _, o := range shared {
		server = append(server, o)
		client = append(client, o)
	}
	srv, err := cegrpc.NewServer(&recorder{}, server...)
	if err != nil {
		t.Fatal(err)
	}
	if len(srv.GRPCOptions()) == 0 {
		t.Error("no grpc.ServerOptions")
	}
	c, err := cegrpc.NewClient("passthrough:///bufnet", append(client, cegrpc.WithDialOptions(grpc.WithAuthority("x")))...)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close(context.Background())
}
