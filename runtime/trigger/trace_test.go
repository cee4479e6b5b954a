package trigger_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/trace"
	"github.com/openevents/openevents/runtime/trigger"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

const (
	headerParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	eventParent  = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
)

// seen records the traceparent each dispatched event's context carried.
type seen struct {
	mu  sync.Mutex
	got map[string]string
}

func (s *seen) dispatcher() trigger.Dispatcher {
	s.got = map[string]string{}
	return trigger.DispatchFunc(func(ctx context.Context, e *event.Event) (*event.Event, error) {
		s.mu.Lock()
		s.got[strings.Clone(e.ID())] = trace.FromContext(ctx)
		s.mu.Unlock()
		return nil, nil
	})
}

func (s *seen) of(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[id]
}

// The HTTP traceparent header reaches the function's context; an invalid
// one is ignored rather than passed on.
func TestHTTPTriggerTraceparentHeader(t *testing.T) {
	var s seen
	tr, err := trigger.NewHTTP("127.0.0.1:0", "--http", s.dispatcher())
	if err != nil {
		t.Fatal(err)
	}
	start(t, tr)
	post := func(id, tp string) {
		t.Helper()
		req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, "http://"+tr.Addr()+"/", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": id, "ce-source": "/t", "ce-type": "t", "Content-Type": "application/json"} {
			req.Header.Set(k, v)
		}
		if tp != "" {
			req.Header.Set("traceparent", tp)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s: status %d", id, resp.StatusCode)
		}
	}
	post("traced", headerParent)
	post("invalid", "00-nothex-01")
	post("plain", "")
	if got := s.of("traced"); got != headerParent {
		t.Errorf("traceparent header: the function saw %q, want %q", got, headerParent)
	}
	if got := s.of("invalid"); got != "" {
		t.Errorf("invalid traceparent header: the function saw %q, want none", got)
	}
	if got := s.of("plain"); got != "" {
		t.Errorf("no header: the function saw %q", got)
	}
}

// gRPC traceparent metadata reaches the function's context.
func TestGRPCTriggerTraceparentMetadata(t *testing.T) {
	var s seen
	c, ctx := grpcTriggerClient(t, s.dispatcher())
	traced := event.New("traced", "/t", "t")
	if err := c.Send(metadata.AppendToOutgoingContext(ctx, "traceparent", headerParent), &traced); err != nil {
		t.Fatal(err)
	}
	plain := event.New("plain", "/t", "t")
	if err := c.Send(ctx, &plain); err != nil {
		t.Fatal(err)
	}
	if got := s.of("traced"); got != headerParent {
		t.Errorf("traceparent metadata: the function saw %q, want %q", got, headerParent)
	}
	if got := s.of("plain"); got != "" {
		t.Errorf("no metadata: the function saw %q", got)
	}
}

// batchDispatcher counts whole batches and single events.
type batchDispatcher struct {
	mu               sync.Mutex
	batches, singles int
	traces           []string
}

func (b *batchDispatcher) Dispatch(context.Context, *event.Event) (*event.Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.singles++
	return nil, nil
}

func (b *batchDispatcher) DispatchBatch(ctx context.Context, events []event.Event, _ []error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches++
	b.traces = append(b.traces, trace.FromContext(ctx))
}

// A dispatcher with DispatchBatch gets each gRPC Stream batch in one
// call, with the call's traceparent metadata; Publish stays one event.
func TestGRPCTriggerBatches(t *testing.T) {
	d := &batchDispatcher{}
	c, ctx := grpcTriggerClient(t, d)
	if err := c.SendBatch(metadata.AppendToOutgoingContext(ctx, "traceparent", headerParent), []event.Event{event.New("1", "/s", "t"), event.New("2", "/s", "t")}); err != nil {
		t.Fatal(err)
	}
	one := event.New("3", "/s", "t")
	if err := c.Send(ctx, &one); err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.batches != 1 || d.singles != 1 || d.traces[0] != headerParent {
		t.Errorf("batches %d, singles %d, traces %q; want 1 batch carrying the metadata's traceparent and 1 single", d.batches, d.singles, d.traces)
	}
}

// grpcTriggerClient starts a gRPC trigger handing events to d and returns
// a client of it and the test's context; both end with the test.
func grpcTriggerClient(t *testing.T, d trigger.Dispatcher) (*cegrpc.Client, context.Context) {
	t.Helper()
	tr, err := trigger.NewGRPC("127.0.0.1:0", "--grpc", d)
	if err != nil {
		t.Fatal(err)
	}
	start(t, tr)
	c, err := cegrpc.NewClient(tr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, ctx
}
