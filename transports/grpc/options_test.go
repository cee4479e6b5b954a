package grpc_test

import (
	"crypto/tls"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// An option for the other side does not compile: the option functions
// return ServerOption, ClientOption, or Option (both). These assertions
// are checked by the compiler; TestOptionSides checks the negative half,
// which cannot be written as code that compiles.
var (
	_ cegrpc.ServerOption = cegrpc.WithMaxConcurrentStreams(1)
	_ cegrpc.ServerOption = cegrpc.WithRefuseHook(nil)
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
var optionSides = map[string]struct {
	fn             any
	server, client bool
}{
	"WithTLS":                  {cegrpc.WithTLS, true, true},
	"WithKeepAlive":            {cegrpc.WithKeepAlive, true, true},
	"WithKeepalive":            {cegrpc.WithKeepalive, true, true},
	"WithMaxMessageBytes":      {cegrpc.WithMaxMessageBytes, true, true},
	"WithMaxMessageSize":       {cegrpc.WithMaxMessageSize, true, true},
	"WithMaxAttributes":        {cegrpc.WithMaxAttributes, true, false},
	"WithSubscriberQueue":      {cegrpc.WithSubscriberQueue, true, false},
	"WithRefuseHook":           {cegrpc.WithRefuseHook, true, false},
	"WithMaxConcurrentStreams": {cegrpc.WithMaxConcurrentStreams, true, false},
	"WithStreamIdleTimeout":    {cegrpc.WithStreamIdleTimeout, true, false},
	"WithMaxConnectionIdle":    {cegrpc.WithMaxConnectionIdle, true, false},
	"WithMinPingInterval":      {cegrpc.WithMinPingInterval, true, false},
	"WithPerRPCCredentials":    {cegrpc.WithPerRPCCredentials, false, true},
	"WithWindow":               {cegrpc.WithWindow, false, true},
	"WithDialOptions":          {cegrpc.WithDialOptions, false, true},
}

// TestOptionSides checks the declared result type of every option
// function, which is what the compiler checks at a call of NewServer or
// NewClient: a client-only option's type does not implement ServerOption,
// so passing it to NewServer is a compile error, and the other way round.
// It also parses the package so that a new With… function must be listed
// here with its sides.
func TestOptionSides(t *testing.T) {
	serverType := reflect.TypeFor[cegrpc.ServerOption]()
	clientType := reflect.TypeFor[cegrpc.ClientOption]()
	for name, o := range optionSides {
		ft := reflect.TypeOf(o.fn)
		if ft.NumOut() != 1 {
			t.Errorf("%s returns %d values", name, ft.NumOut())
			continue
		}
		out := ft.Out(0)
		if got := out.Implements(serverType); got != o.server {
			t.Errorf("%s returns %v: a ServerOption: %t, want %t", name, out, got, o.server)
		}
		if got := out.Implements(clientType); got != o.client {
			t.Errorf("%s returns %v: a ClientOption: %t, want %t", name, out, got, o.client)
		}
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := gotoken.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !ast.IsExported(fd.Name.Name) || !strings.HasPrefix(fd.Name.Name, "With") {
				continue
			}
			if _, ok := optionSides[fd.Name.Name]; !ok {
				t.Errorf("option %s (%s) is not in optionSides: add it with the sides it applies to", fd.Name.Name, name)
			}
		}
	}
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
	_ = c.Close()
}
