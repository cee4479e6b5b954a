package external_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/external"
	"github.com/openevents/openevents/runtime/function"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

var _ function.Function = (*external.GRPCFunction)(nil)

func newGRPC(t *testing.T, target string) *external.GRPCFunction {
	t.Helper()
	f, err := external.GRPC(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close(context.Background()) })
	return f
}

// listen returns a loopback listener and its address.
func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().String()
}

func TestGRPCAgainstCegrpcServer(t *testing.T) {
	var mu sync.Mutex
	var got []event.Event
	h := binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		switch e.Type() {
		case "reject":
			return binding.ErrRejected // INVALID_ARGUMENT
		case "fail":
			return errors.New("the database is down") // UNAVAILABLE
		case "slow":
			<-ctx.Done()
			return ctx.Err()
		}
		mu.Lock()
		got = append(got, e.Clone())
		mu.Unlock()
		return nil
	})
	srv, err := cegrpc.NewServer(h)
	if err != nil {
		t.Fatal(err)
	}
	ln, addr := listen(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	f := newGRPC(t, addr)

	e := newEvent("g1", "ok", "hello")
	e.SetExtension("partition", event.String("7"))
	if reply, err := f.Call(callCtx(t), e); reply != nil || err != nil {
		t.Fatalf("accepted event: %+v, %v; want no reply, no error", reply, err)
	}
	mu.Lock()
	if len(got) != 1 || !got[0].Equal(e) {
		t.Fatalf("the server got %+v, want %+v", got, e)
	}
	mu.Unlock()

	_, err = f.Call(callCtx(t), newEvent("g2", "reject", ""))
	if ge, ok := errors.AsType[*cegrpc.Error](err); !ok || ge.Code != codes.InvalidArgument || !errors.Is(err, binding.ErrRejected) {
		t.Fatalf("refused event: %v, want a permanent *cegrpc.Error", err)
	}
	_, err = f.Call(callCtx(t), newEvent("g3", "fail", ""))
	if ge, ok := errors.AsType[*cegrpc.Error](err); !ok || ge.Code != codes.Unavailable || errors.Is(err, binding.ErrRejected) {
		t.Fatalf("failed event: %v, want a transient *cegrpc.Error", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := f.Call(ctx, newEvent("g4", "slow", "")); err == nil || errors.Is(err, binding.ErrRejected) {
		t.Fatalf("timed-out event: %v, want a transient error", err)
	}
	var invalid event.Event
	if _, err := f.Call(callCtx(t), &invalid); !errors.Is(err, binding.ErrRejected) {
		t.Fatalf("an invalid event: %v, want binding.ErrRejected", err)
	}
}

func TestGRPCStatusCodes(t *testing.T) {
	// One plain gRPC server per code, answering every call with it.
	for code, permanent := range map[codes.Code]bool{
		codes.InvalidArgument: true, codes.FailedPrecondition: true, codes.OutOfRange: true, codes.NotFound: true,
		codes.AlreadyExists: true, codes.PermissionDenied: true, codes.Unauthenticated: true,
		codes.Unavailable: false, codes.ResourceExhausted: false, codes.DeadlineExceeded: false, codes.Aborted: false,
		codes.Canceled: false, codes.Unimplemented: false, codes.Internal: false, codes.Unknown: false, codes.DataLoss: false,
	} {
		gs := grpc.NewServer(grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
			return status.Error(code, "answered "+code.String())
		}))
		ln, addr := listen(t)
		done := make(chan error, 1)
		go func() { done <- gs.Serve(ln) }()
		f, err := external.GRPC(addr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Call(callCtx(t), newEvent("c", "t", ""))
		if err == nil || errors.Is(err, binding.ErrRejected) != permanent || status.Code(err) != code {
			t.Errorf("%v: %v, want permanent = %v", code, err, permanent)
		}
		_ = f.Close(context.Background())
		gs.Stop()
		if err := <-done; err != nil {
			t.Errorf("%v: Serve: %v", code, err)
		}
	}
	// Nothing listening: UNAVAILABLE, transient.
	ln, addr := listen(t)
	_ = ln.Close()
	f := newGRPC(t, addr)
	if _, err := f.Call(callCtx(t), newEvent("c", "t", "")); err == nil || errors.Is(err, binding.ErrRejected) {
		t.Fatalf("no server: %v, want a transient error", err)
	}
}
