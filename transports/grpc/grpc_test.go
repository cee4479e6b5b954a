package grpc_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cloudeventsv1 "github.com/openevents/openevents/proto/gen/io/cloudevents/v1"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(attackEnv); addr != "" {
		os.Exit(attack(addr))
	}
	goleak.VerifyTestMain(m)
}

// harness is a Server on an in-memory listener and a connection to it.
type harness struct {
	srv  *cegrpc.Server
	gs   *grpc.Server
	lis  *bufconn.Listener
	dial grpc.DialOption
}

func start(t *testing.T, h binding.Handler, opts ...cegrpc.ServerOption) *harness {
	t.Helper()
	srv, err := cegrpc.NewServer(h, opts...)
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(gs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	t.Cleanup(func() {
		gs.Stop()
		<-served
	})
	return &harness{srv: srv, gs: gs, lis: lis, dial: grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return lis.DialContext(ctx)
	})}
}

func (h *harness) client(t *testing.T, opts ...cegrpc.ClientOption) *cegrpc.Client {
	t.Helper()
	c, err := cegrpc.NewClient("passthrough:///bufnet", append(opts, cegrpc.WithDialOptions(h.dial))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func (h *harness) conn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///bufnet", h.dial, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func newEvent(id, typ, subject string) *event.Event {
	e := new(event.Event)
	e.SetSpecVersion("1.0")
	e.SetID(id)
	e.SetSource("https://example.com/orders")
	e.SetType(typ)
	if subject != "" {
		e.SetSubject(subject)
	}
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"n":` + id + `}`))
	return e
}

// recorder is a handler that keeps copies of what it accepted.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	fail   func(e *event.Event) error
}

func (r *recorder) Handle(_ context.Context, e *event.Event) error {
	if r.fail != nil {
		if err := r.fail(e); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e.Clone())
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func TestPublish(t *testing.T) {
	rec := &recorder{fail: func(e *event.Event) error {
		switch e.Subject() {
		case "reject":
			return binding.ErrRejected
		case "busy":
			return errors.New("database unavailable")
		}
		return nil
	}}
	h := start(t, rec)
	c := h.client(t)
	ctx := context.Background()
	want := newEvent("1", "com.example.a", "")
	if err := c.Publish(ctx, want); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 1 || !rec.events[0].Equal(want) {
		t.Fatalf("handler got %d events: %+v", rec.count(), rec.events)
	}
	err := c.Publish(ctx, newEvent("2", "com.example.a", "reject"))
	if !errors.Is(err, binding.ErrRejected) || cegrpc.IsRetryable(err) || status.Code(err) != codes.InvalidArgument {
		t.Errorf("rejected event: %v", err)
	}
	err = c.Publish(ctx, newEvent("3", "com.example.a", "busy"))
	if errors.Is(err, binding.ErrRejected) || !cegrpc.IsRetryable(err) || status.Code(err) != codes.Unavailable {
		t.Errorf("transient failure: %v", err)
	}
}

// TestPublishInvalidOnTheWire sends an event that breaks rules, bypassing
// the client's own validation, and checks the status and its requirement
// IDs.
func TestPublishInvalidOnTheWire(t *testing.T) {
	rec := &recorder{}
	h := start(t, rec)
	ce := cloudeventsv1.NewCloudEventServiceClient(h.conn(t))
	_, err := ce.Publish(context.Background(), &cloudeventsv1.PublishRequest{Event: &cloudeventsv1.CloudEvent{
		Source: "/s", SpecVersion: "1.0", Type: "t",
		Attributes: map[string]*cloudeventsv1.CloudEvent_CloudEventAttributeValue{
			"time": {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeString{CeString: "yesterday"}},
		},
	}})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("status %v", st)
	}
	var reasons []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				reasons = append(reasons, fv.GetReason())
			}
		}
	}
	for _, want := range []string{"CORE-ATTR-ID-2", "PROTO-ATTR-3"} {
		found := false
		for _, r := range reasons {
			found = found || r == want
		}
		if !found {
			t.Errorf("details %v lack %s", reasons, want)
		}
	}
	if rec.count() != 0 {
		t.Error("the handler saw an invalid event")
	}
}

func TestStream(t *testing.T) {
	var handled atomic.Int64
	rec := &recorder{fail: func(e *event.Event) error {
		handled.Add(1)
		if e.Subject() == "reject" {
			return binding.ErrRejected
		}
		return nil
	}}
	h := start(t, rec)
	c := h.client(t, cegrpc.WithWindow(120))
	ctx := context.Background()
	s, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const batches, size = 20, 50
	var acks []*cegrpc.Ack
	for b := range batches {
		events := make([]event.Event, size)
		for i := range events {
			subject := ""
			if i == 7 {
				subject = "reject"
			}
			events[i] = *newEvent(strconv.Itoa(b*size+i), "com.example.a", subject)
		}
		a, err := s.Send(ctx, events)
		if err != nil {
			t.Fatal(err)
		}
		acks = append(acks, a)
	}
	for i, a := range acks {
		res, err := a.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The acknowledgement comes after the handler ran for every
		// event of the batch.
		if got := handled.Load(); got < int64((i+1)*size) {
			t.Errorf("batch %d acknowledged after %d handler calls", i, got)
		}
		if res.Sequence != uint64(i+1) || res.Accepted != size-1 || len(res.Failures) != 1 {
			t.Fatalf("batch %d: %+v", i, res)
		}
		f := res.Failures[0]
		if f.Index != 7 || !errors.Is(f, binding.ErrRejected) {
			t.Errorf("failure %+v", f)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, []event.Event{*newEvent("x", "t", "")}); !errors.Is(err, cegrpc.ErrStreamClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if rec.count() != batches*(size-1) {
		t.Errorf("handler accepted %d events", rec.count())
	}
}

// TestStreamWindow checks that Send blocks while the window is full.
func TestStreamWindow(t *testing.T) {
	release := make(chan struct{})
	h := start(t, binding.HandlerFunc(func(ctx context.Context, _ *event.Event) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}))
	c := h.client(t, cegrpc.WithWindow(2))
	ctx := context.Background()
	s, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Send(ctx, []event.Event{*newEvent("1", "t", ""), *newEvent("2", "t", "")})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Send(short, []event.Event{*newEvent("3", "t", "")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send with a full window: %v", err)
	}
	close(release)
	if _, err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(ctx, []event.Event{*newEvent("3", "t", "")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitSubscribers polls until the server has n subscribers: subscription
// is asynchronous to the client call.
func waitSubscribers(t *testing.T, srv *cegrpc.Server, n int) {
	t.Helper()
	for range 2000 {
		if srv.Subscribers() == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d subscribers, want %d", srv.Subscribers(), n)
}

func TestSubscribe(t *testing.T) {
	h := start(t, &recorder{})
	c := h.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan event.Event, 10)
	done := make(chan error, 1)
	go func() {
		done <- c.Subscribe(ctx, cegrpc.Filter{Type: "com.example.a", SubjectPrefix: "orders/"}, binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
			got <- e.Clone()
			return nil
		}))
	}()
	waitSubscribers(t, h.srv, 1)
	for i, e := range []*event.Event{
		newEvent("1", "com.example.a", "orders/1"),
		newEvent("2", "com.example.b", "orders/2"),
		newEvent("3", "com.example.a", "users/3"),
		newEvent("4", "com.example.a", "orders/4"),
	} {
		if err := h.srv.Publish(ctx, e); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	for _, want := range []string{"1", "4"} {
		if e := <-got; e.ID() != want {
			t.Errorf("got event %s, want %s", e.ID(), want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Subscribe: %v", err)
	}
	waitSubscribers(t, h.srv, 0)
}

// TestCloudEventServiceCompat plays a client generated from the de-facto
// io.cloudevents.v1.CloudEventService definition: it publishes an event
// and subscribes to the events the server relays.
func TestCloudEventServiceCompat(t *testing.T) {
	var srv *cegrpc.Server
	rec := &recorder{}
	h := start(t, binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		if err := rec.Handle(ctx, e); err != nil {
			return err
		}
		return srv.Publish(ctx, e) // relay to subscribers
	}))
	srv = h.srv
	ce := cloudeventsv1.NewCloudEventServiceClient(h.conn(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	sub, err := ce.Subscribe(ctx, &cloudeventsv1.SubscriptionRequest{Source: "https://example.com/agent", ClusterName: "cluster1", DataType: "io.example.works"})
	if err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, h.srv, 1)

	when := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	publish := func(id, typ, cluster string) {
		t.Helper()
		_, err := ce.Publish(ctx, &cloudeventsv1.PublishRequest{Event: &cloudeventsv1.CloudEvent{
			Id: id, Source: "https://example.com/agent", SpecVersion: "1.0", Type: typ,
			Attributes: map[string]*cloudeventsv1.CloudEvent_CloudEventAttributeValue{
				"clustername":     {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeString{CeString: cluster}},
				"time":            {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeTimestamp{CeTimestamp: timestamppb.New(when)}},
				"datacontenttype": {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeString{CeString: "application/json"}},
			},
			Data: &cloudeventsv1.CloudEvent_BinaryData{BinaryData: []byte(`{"ok":true}`)},
		}})
		if err != nil {
			t.Fatalf("Publish %s: %v", id, err)
		}
	}
	publish("1", "io.example.works.v1.spec.create", "cluster1")
	publish("2", "io.example.works.v1.spec.create", "cluster2") // other cluster
	publish("3", "io.example.worksheets.create", "cluster1")    // other data type
	publish("4", "io.example.works", "cluster1")
	if rec.count() != 4 {
		t.Fatalf("handler got %d events", rec.count())
	}
	if e := rec.events[0]; e.Time() != "2026-11-26T10:00:00Z" || string(e.Data()) != `{"ok":true}` || e.IsBinaryData() {
		t.Errorf("received %+v", e)
	}
	for _, want := range []string{"1", "4"} {
		got, err := sub.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if got.GetId() != want || got.GetAttributes()["time"].GetCeTimestamp().AsTime() != when {
			t.Errorf("subscriber got %v, want id %s", got, want)
		}
		if got.GetTextData() != `{"ok":true}` {
			t.Errorf("data %v", got.GetData())
		}
	}
	cancel()
	if _, err := sub.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("after cancel: %v", err)
	}
	waitSubscribers(t, h.srv, 0)
}

func TestDrain(t *testing.T) {
	h := start(t, &recorder{})
	c := h.client(t)
	ctx := context.Background()
	s, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Send(ctx, []event.Event{*newEvent("1", "t", "")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	subDone := make(chan error, 1)
	go func() {
		subDone <- c.Subscribe(ctx, cegrpc.Filter{}, binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }))
	}()
	waitSubscribers(t, h.srv, 1)
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h.srv.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	if err := <-subDone; err != nil {
		t.Errorf("Subscribe after drain: %v", err)
	}
	// Everything sent was acknowledged, so Close reports no loss; the
	// stream itself has ended.
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close after drain: %v", err)
	}
	if _, err := s.Send(ctx, []event.Event{*newEvent("3", "t", "")}); err == nil {
		t.Error("Send after drain succeeded")
	}
	if err := c.Publish(ctx, newEvent("2", "t", "")); !cegrpc.IsRetryable(err) {
		t.Errorf("Publish after drain: %v", err)
	}
	h.gs.GracefulStop()
}

func TestOptions(t *testing.T) {
	for name, o := range map[string]cegrpc.ServerOption{
		"WithMaxMessageBytes": cegrpc.WithMaxMessageBytes(-1),
		"WithSubscriberQueue": cegrpc.WithSubscriberQueue(0),
		"WithKeepAlive":       cegrpc.WithKeepAlive(-1, 0),
		"WithMaxAttributes":   cegrpc.WithMaxAttributes(0),
	} {
		if _, err := cegrpc.NewServer(&recorder{}, o); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("NewServer with %s out of range: error %v, want one naming the option", name, err)
		}
	}
	for name, o := range map[string]cegrpc.ClientOption{
		"WithMaxMessageBytes": cegrpc.WithMaxMessageBytes(-1),
		"WithWindow":          cegrpc.WithWindow(0),
		"WithKeepAlive":       cegrpc.WithKeepAlive(-1, 0),
	} {
		if _, err := cegrpc.NewClient("passthrough:///bufnet", o); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("NewClient with %s out of range: error %v, want one naming the option", name, err)
		}
	}
	if _, err := cegrpc.NewServer(nil); err == nil {
		t.Error("nil handler accepted")
	}
	h := start(t, &recorder{}, cegrpc.WithMaxMessageBytes(64), cegrpc.WithKeepAlive(time.Minute, time.Second))
	c := h.client(t, cegrpc.WithMaxMessageBytes(1<<20), cegrpc.WithKeepAlive(time.Minute, time.Second))
	big := newEvent("1", "t", "")
	big.SetData([]byte(`"` + string(make([]byte, 0)) + `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`))
	if err := c.Publish(context.Background(), big); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("oversized message: %v", err)
	}
}
