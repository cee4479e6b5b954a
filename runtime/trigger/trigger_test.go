package trigger_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/trigger"
	cegrpc "github.com/openevents/openevents/transports/grpc"
	cehttp "github.com/openevents/openevents/transports/http"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echo answers every event with itself, and refuses or fails on demand by id.
var echo = trigger.DispatchFunc(func(_ context.Context, e *event.Event) (*event.Event, error) {
	switch e.ID() {
	case "busy":
		return nil, binding.ErrOverloaded
	case "draining":
		return nil, binding.ErrUnavailable
	case "bad":
		return nil, binding.ErrRejected
	}
	return e, nil
})

func start(t *testing.T, s trigger.Source) {
	t.Helper()
	if err := s.Start(testContext(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

func TestHTTPTrigger(t *testing.T) {
	tr, err := trigger.NewHTTP("127.0.0.1:0", "--http", echo)
	if err != nil {
		t.Fatal(err)
	}
	start(t, tr)
	s, err := cehttp.NewSender("http://" + tr.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	e := event.New("e1", "/trigger", "com.example.t")
	e.SetExtension("tenant", event.String("a"))
	resp, err := s.Send(ctx, &e)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Reply == nil || resp.Reply.ID() != "e1" {
		t.Fatalf("reply %+v", resp.Reply)
	}
	if v, ok := resp.Reply.Extension("tenant"); !ok || v.String() != "a" {
		t.Errorf("reply lost the extension: %v", v)
	}
	for id, want := range map[string]int{"busy": http.StatusTooManyRequests, "draining": http.StatusServiceUnavailable, "bad": http.StatusBadRequest} {
		e := event.New(id, "/trigger", "com.example.t")
		_, err := s.Send(ctx, &e)
		var se *cehttp.StatusError
		if !errors.As(err, &se) || se.Code != want {
			t.Errorf("%s: %v, want status %d", id, err, want)
		}
		if id == "busy" && (se == nil || se.RetryAfter <= 0) {
			t.Errorf("429 without Retry-After: %v", err)
		}
	}
	// A batch is dispatched event by event and answered once.
	var n atomic.Int32
	tb, err := trigger.NewHTTP("127.0.0.1:0", "--http", trigger.DispatchFunc(func(context.Context, *event.Event) (*event.Event, error) {
		n.Add(1)
		return nil, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	start(t, tb)
	bs, err := cehttp.NewSender("http://"+tb.Addr()+"/", cehttp.WithMode(binding.ModeBatch))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.SendBatch(ctx, []event.Event{event.New("b1", "/s", "t"), event.New("b2", "/s", "t")}); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("batch of 2 dispatched %d times", n.Load())
	}
}

func TestHTTPTriggerAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	tr, err := trigger.NewHTTP(ln.Addr().String(), "--http", echo)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Start(context.Background())
	if !errors.Is(err, trigger.ErrAddrInUse) || !strings.Contains(err.Error(), "--http") {
		t.Fatalf("Start on a taken port: %v; want ErrAddrInUse naming --http", err)
	}
}

func TestGRPCTrigger(t *testing.T) {
	var got atomic.Int32
	tr, err := trigger.NewGRPC("127.0.0.1:0", "--grpc", trigger.DispatchFunc(func(_ context.Context, e *event.Event) (*event.Event, error) {
		if e.ID() == "busy" {
			return nil, binding.ErrOverloaded
		}
		got.Add(1)
		return nil, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	start(t, tr)
	c, err := cegrpc.NewClient(tr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	defer func() { _ = c.Close(ctx) }()
	e := event.New("g1", "/trigger", "com.example.t")
	if err := c.Send(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if err := c.SendBatch(ctx, []event.Event{event.New("g2", "/s", "t"), event.New("g3", "/s", "t")}); err != nil {
		t.Fatal(err)
	}
	if got.Load() != 3 {
		t.Errorf("dispatched %d events, want 3", got.Load())
	}
	busy := event.New("busy", "/s", "t")
	err = c.Send(ctx, &busy)
	if !errors.Is(err, binding.ErrOverloaded) {
		t.Errorf("overloaded: %v, want RESOURCE_EXHAUSTED (binding.ErrOverloaded)", err)
	}
}

func TestMQTTTriggerRepliesToResponseTopic(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	tr, err := trigger.NewMQTT(b.URL(), "events/#", echo, []cemqtt.SubscriberOption{cemqtt.WithCleanStart(true)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start(t, tr)
	ctx := testContext(t)

	// A bare MQTT 5.0 client asks, with a response topic, and listens there.
	conn, err := net.Dial("tcp", strings.TrimPrefix(b.URL(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	replies := make(chan *paho.Publish, 4)
	c := paho.NewClient(paho.ClientConfig{Conn: conn, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
		func(pr paho.PublishReceived) (bool, error) { replies <- pr.Packet; return true, nil },
	}})
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "asker", CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Disconnect(&paho.Disconnect{}) }()
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "replies/asker", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Publish(ctx, &paho.Publish{Topic: "events/a", QoS: 1, Payload: []byte(`{"specversion":"1.0","id":"m1","source":"/s","type":"t"}`),
		Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json", ResponseTopic: "replies/asker"}}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-replies:
		var id string
		if p.Properties != nil {
			for _, u := range p.Properties.User {
				if u.Key == "id" {
					id = u.Value
				}
			}
		}
		if id != "m1" {
			t.Errorf("reply on %s with id %q, want m1", p.Topic, id)
		}
	case <-ctx.Done():
		t.Fatal("no reply on the response topic")
	}
	// The reply is published before the handler returns and the message
	// is acknowledged and counted.
	for tr.Stats().Delivered != 1 {
		select {
		case <-ctx.Done():
			t.Fatalf("stats %+v", tr.Stats())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
