package conformance

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	sdkformat "github.com/cloudevents/sdk-go/binding/format/protobuf/v2"
	sdkpb "github.com/cloudevents/sdk-go/binding/format/protobuf/v2/pb"
	"google.golang.org/protobuf/proto"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/internal/testtls"
	"github.com/openevents/openevents/spec"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// startGRPCBroker starts OpenEvents' gRPC server on 127.0.0.1 as a small
// broker: every event it accepts goes to its Subscribe streams. It is the
// correct provider of the gRPC cases, through either service.
func startGRPCBroker(t *testing.T, opts ...cegrpc.ServerOption) string {
	t.Helper()
	var srv *cegrpc.Server
	h := binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		return srv.Publish(ctx, e)
	})
	srv, err := cegrpc.NewServer(h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Logf("the broker's Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// runGRPC runs the gRPC cases against addr through service and returns
// the result.
func runGRPC(t *testing.T, addr string, service GRPCService, profile Profile) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		GRPC:           &GRPCTarget{Addr: addr, Service: service},
		Profile:        profile,
		LabelFilter:    BindingGRPC + " && !sender", // the sender role has tests of its own
		Timeout:        2 * time.Minute,
		RequestTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// TestGRPCBroker: OpenEvents' own gRPC server passes every gRPC case
// through EventService; through the de-facto CloudEventService the rules
// of OpenEvents' gRPC binding are NOT-TESTED, never failed.
func TestGRPCBroker(t *testing.T) {
	addr := startGRPCBroker(t)
	for _, svc := range []GRPCService{GRPCServiceAuto, GRPCServiceCloudEvents} {
		t.Run(string(svc), func(t *testing.T) {
			res := runGRPC(t, addr, svc, Profile{Spec: spec.Profile102})
			passed := 0
			for _, c := range res.Cases {
				if c.Binding != BindingGRPC || c.Role == RoleSender {
					continue
				}
				grpcRule := false
				for _, id := range c.Requirements {
					grpcRule = grpcRule || strings.HasPrefix(id, "GRPC-")
				}
				switch {
				case c.Verdict == Pass && (svc == GRPCServiceAuto || !grpcRule):
					passed++
				case c.Verdict == NotTested && svc == GRPCServiceCloudEvents && strings.Contains(c.Message, "openevents.v1.EventService"):
				default:
					t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
				}
			}
			if !res.Passed || passed < 10 {
				t.Errorf("verdict passed=%v with %d gRPC cases passed, want true and at least 10", res.Passed, passed)
			}
		})
	}
}

// sdkgoRelay passes an event through sdk-go's protobuf format: decode,
// validate, encode, as a CloudEventService built on sdk-go would.
func sdkgoRelay(b []byte) ([]byte, error) {
	var m sdkpb.CloudEvent
	if err := proto.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	e, err := sdkformat.FromProto(&m)
	if err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	out, err := sdkformat.ToProto(e)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(out)
}

// sdkgoGRPCFindings are what the suite finds in sdk-go's protobuf format
// behind a CloudEventService, by requirement.
var sdkgoGRPCFindings = map[string]string{
	"CORE-ATTR-SUBJECT-1": "accepts an empty subject (as over HTTP)",
	"CORE-TYPE-STRING-1":  "accepts a subject holding U+0001 (as over HTTP)",
	"PROTO-DATA-4":        "writes text data into binary_data, not text_data",
}

// TestGRPCSDKGo runs the gRPC cases against a CloudEventService whose
// event handling is sdk-go's protobuf format (no third-party
// CloudEventService server is at hand: sdk-go ships the format, not the
// service). Its findings are pinned; OpenEvents' binding rules are
// NOT-TESTED through CloudEventService.
func TestGRPCSDKGo(t *testing.T) {
	addr := serveGRPC(t, &faultyGRPC{codec: sdkgoRelay, only: cloudEventServiceName, subs: map[chan []byte]bool{}})
	res := runGRPC(t, addr, GRPCServiceAuto, Profile{Spec: spec.Profile102})
	failed := map[string]string{}
	for _, c := range res.Cases {
		if c.Binding != BindingGRPC || c.Role == RoleSender {
			continue
		}
		t.Logf("%s: %s %s", c.Name, c.Verdict, c.Message)
		if c.Verdict == Fail {
			failed[c.Requirements[0]] = c.Message
		}
		if strings.HasPrefix(c.Requirements[0], "GRPC-") && c.Verdict != NotTested {
			t.Errorf("%s: %s through CloudEventService, want NOT-TESTED", c.Name, c.Verdict)
		}
	}
	for id, what := range sortedMap(sdkgoGRPCFindings) {
		if _, ok := failed[id]; !ok {
			t.Errorf("%s: the suite no longer finds that sdk-go %s", id, what)
		}
	}
	for id, msg := range sortedMap(failed) {
		if _, ok := sdkgoGRPCFindings[id]; !ok {
			t.Errorf("%s: a new finding about sdk-go's protobuf format, not pinned: %s", id, msg)
		}
	}
}

// TestGRPCTLS: a provider that serves TLS is tested with GRPCTarget.TLS,
// and reached without it is one clear error before any case runs.
func TestGRPCTLS(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	addr := startGRPCBroker(t, cegrpc.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		GRPC:        &GRPCTarget{Addr: addr, TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		LabelFilter: BindingGRPC + " && relay",
		Timeout:     2 * time.Minute, RequestTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, c := range res.Cases {
		if c.Binding == BindingGRPC && c.Verdict == Pass {
			passed++
		} else if c.Binding == BindingGRPC && c.Verdict != NotTested {
			t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}
	if passed < 8 {
		t.Errorf("%d relay cases passed over TLS, want at least 8", passed)
	}
	_, err = Run(ctx, Config{GRPC: &GRPCTarget{Addr: addr}, LabelFilter: BindingGRPC, RequestTimeout: 5 * time.Second})
	if err == nil || IsConfigError(err) || !strings.Contains(err.Error(), "does not answer") || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("plaintext to a TLS provider: %v, want an error that names TLS", err)
	}
}

// TestGRPCReceiveLimit: a provider whose Subscribe messages are over the
// driver's 16 MiB bound does not make it hold them: the Subscribe call
// ends with RESOURCE_EXHAUSTED and the relay cases are NOT-TESTED with
// that reason, while the receiver cases still run.
func TestGRPCReceiveLimit(t *testing.T) {
	huge := func([]byte) ([]byte, error) {
		p := &ProtoEvent{ID: "huge", Source: "/x", SpecVersion: "1.0", Type: "t", TextSize: grpcRecvLimit + 1}
		return p.encode(nil)
	}
	addr := serveGRPC(t, &faultyGRPC{codec: huge, subs: map[chan []byte]bool{}})
	res := runGRPC(t, addr, GRPCServiceAuto, Profile{})
	relays, receivers := 0, 0
	for _, c := range res.Cases {
		switch {
		case c.Binding != BindingGRPC:
		case c.Role == RoleRelay && c.Verdict == NotTested && strings.Contains(c.Message, "ResourceExhausted"):
			relays++
		case c.Role == RoleReceiver && c.Verdict != NotTested:
			receivers++
		case c.Role == RoleRelay:
			t.Errorf("%s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}
	if relays < 8 || receivers < 8 {
		t.Errorf("%d relay cases NOT-TESTED for the limit and %d receiver cases run; want at least 8 of each", relays, receivers)
	}
}

// TestGRPCNoService: a provider that offers neither service is one error
// that says so; --grpc-service names one the provider lacks likewise.
func TestGRPCNoService(t *testing.T) {
	addr := serveGRPC(t, &faultyGRPC{only: "nothing.v1.Nothing", subs: map[chan []byte]bool{}})
	_, err := Run(context.Background(), Config{GRPC: &GRPCTarget{Addr: addr}, LabelFilter: BindingGRPC})
	if err == nil || !strings.Contains(err.Error(), "UNIMPLEMENTED") || !strings.Contains(err.Error(), cloudEventServiceName) {
		t.Errorf("no service: %v", err)
	}
	sdk := serveGRPC(t, &faultyGRPC{codec: sdkgoRelay, only: cloudEventServiceName, subs: map[chan []byte]bool{}})
	_, err = Run(context.Background(), Config{GRPC: &GRPCTarget{Addr: sdk, Service: GRPCServiceOpenEvents}, LabelFilter: BindingGRPC})
	if err == nil || !strings.Contains(err.Error(), eventServiceName) {
		t.Errorf("EventService asked of a CloudEventService provider: %v", err)
	}
	var ce *configError
	if errors.As(err, &ce) {
		t.Errorf("a missing service is not a configuration error: %v", err)
	}
}
