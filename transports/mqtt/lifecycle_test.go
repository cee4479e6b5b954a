package mqtt_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// NewSubscriber makes no connection: a broker address that is only a
// listener sees no dial until Start.
func TestNewSubscriberDoesNoIO(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	sub, err := cemqtt.NewSubscriber("tcp://"+ln.Addr().String(), "t", newCollector())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	if tl, ok := ln.(*net.TCPListener); ok {
		if err := tl.SetDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := ln.Accept(); err == nil {
		_ = c.Close()
		t.Fatal("NewSubscriber connected to the broker before Start")
	}
}

func TestSubscriberLifecycle(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	col := newCollector()
	peers := make(chan string, 16)
	sub, err := cemqtt.NewSubscriber(b.URL(), tp, col, cemqtt.WithCleanStart(true),
		cemqtt.WithErrorHook(func(peer string, _ error) { peers <- peer }))
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(ctx); !errors.Is(err, cemqtt.ErrConfig) {
		t.Errorf("second Start: %v, want ErrConfig", err)
	}

	pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithTopic(tp))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	e := event.New("lc-1", "/lifecycle", "com.example.lifecycle")
	if err := pub.Send(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if got := col.next(t); got.ID() != "lc-1" {
		t.Errorf("delivered %q", got.ID())
	}

	// The hook names the broker as the peer.
	raw := dialRaw(t, b.URL(), "raw-lifecycle")
	raw.publish(t, &paho.Publish{QoS: 1, Topic: tp, Payload: []byte("not json"),
		Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json"}})
	select {
	case p := <-peers:
		if want := strings.TrimPrefix(b.URL(), "tcp://"); p != want {
			t.Errorf("hook peer %q, want the broker %q", p, want)
		}
	case <-ctx.Done():
		t.Fatal("the error hook was not called")
	}

	if err := sub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sub.Start(ctx); !errors.Is(err, cemqtt.ErrClosed) {
		t.Errorf("Start after Shutdown: %v, want ErrClosed", err)
	}
}

func TestPublisherSendNeedsTopic(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	pub, err := cemqtt.NewPublisher(ctx, b.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	e := event.New("x", "/s", "t")
	if err := pub.Send(ctx, &e); !errors.Is(err, cemqtt.ErrConfig) || !strings.Contains(err.Error(), "WithTopic") {
		t.Errorf("Send without a topic: %v", err)
	}
	if _, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithTopic("a/+/b")); !errors.Is(err, cemqtt.ErrConfig) {
		t.Errorf("wildcard topic: %v, want ErrConfig", err)
	}
}

// NewSender connects on the first send, not before; a broker that is
// not there is a connection error of that send.
func TestNewSenderConnectsLazily(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	s, err := cemqtt.NewSender("tcp://"+addr, cemqtt.WithTopic("t"), cemqtt.WithConnectTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if tl, ok := ln.(*net.TCPListener); ok {
		if err := tl.SetDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := ln.Accept(); err == nil {
		_ = c.Close()
		t.Fatal("NewSender connected before the first send")
	}
	_ = ln.Close()
	ctx := testContext(t)
	e := event.New("lazy-1", "/lazy", "com.example.lazy")
	if err := s.Send(ctx, &e); err == nil || !cemqtt.IsRetryable(err) {
		t.Errorf("send to no broker: %v, want a retryable connection error", err)
	}
	_ = s.Close(ctx)

	b := embedded(t)
	tp := topic(t)
	col := newCollector()
	sub, err := startSubscriber(ctx, b.URL(), tp, col, cemqtt.WithCleanStart(true))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	s, err = cemqtt.NewSender(b.URL(), cemqtt.WithTopic(tp))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	if err := s.Send(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if got := col.next(t); got.ID() != "lazy-1" {
		t.Errorf("delivered %q", got.ID())
	}
}
