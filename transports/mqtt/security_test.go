package mqtt_test

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/internal/testtls"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

func TestCredentials(t *testing.T) {
	b := embedded(t, broker.WithCredentials("alice", "s3cret"))
	ctx := testContext(t)
	for _, v := range []cemqtt.Version{cemqtt.Version5, cemqtt.Version311} {
		t.Run(v.String(), func(t *testing.T) {
			_, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithVersion(v), cemqtt.WithCredentials("alice", "wrong"))
			if !errors.Is(err, cemqtt.ErrNotAuthorized) || cemqtt.IsRetryable(err) {
				t.Errorf("wrong password: %v (retryable %v), want ErrNotAuthorized, not retryable", err, cemqtt.IsRetryable(err))
			}
			pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithVersion(v), cemqtt.WithCredentials("alice", "s3cret"))
			if err != nil {
				t.Fatal(err)
			}
			if err := pub.Publish(ctx, topic(t), sampleEvents()["minimal"]); err != nil {
				t.Error(err)
			}
			_ = pub.Close(ctx)
		})
	}
}

func TestTLS(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	b := embedded(t, broker.WithTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	ctx := testContext(t)
	tp := topic(t)
	clientTLS := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	col := newCollector()
	sub, err := startSubscriber(ctx, b.URL(), tp, col, cemqtt.WithTLS(clientTLS), cemqtt.WithCleanStart(true))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	for _, v := range []cemqtt.Version{cemqtt.Version5, cemqtt.Version311} {
		pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithVersion(v), cemqtt.WithTLS(clientTLS))
		if err != nil {
			t.Fatal(v, err)
		}
		if err := pub.Publish(ctx, tp, sampleEvents()["json"]); err != nil {
			t.Fatal(v, err)
		}
		_ = pub.Close(ctx)
		if e := col.next(t); e.ID() != "A234-1234-1234" {
			t.Errorf("%v: got %q", v, e.ID())
		}
	}
	// Without the CA the handshake fails, and says so.
	_, err = cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithTLS(&tls.Config{MinVersion: tls.VersionTLS12}), cemqtt.WithConnectTimeout(2*time.Second))
	if err == nil || !cemqtt.IsRetryable(err) {
		t.Errorf("untrusted certificate: %v, want a connection error", err)
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := testContext(t)
	h := newCollector()
	for _, tc := range []struct {
		name string
		url  string
		opts []cemqtt.PublisherOption
	}{
		{"binary over 3.1.1 (MQTT-MODE-1)", "tcp://127.0.0.1:1", []cemqtt.PublisherOption{cemqtt.WithVersion(cemqtt.Version311), cemqtt.WithMode(binding.ModeBinary)}},
		{"batch", "tcp://127.0.0.1:1", []cemqtt.PublisherOption{cemqtt.WithMode(binding.ModeBatch)}},
		{"qos 3", "tcp://127.0.0.1:1", []cemqtt.PublisherOption{cemqtt.WithQoS(3)}},
		{"version", "tcp://127.0.0.1:1", []cemqtt.PublisherOption{cemqtt.WithVersion(9)}},
		{"scheme", "http://127.0.0.1:1", nil},
		{"no port", "tcp://127.0.0.1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cemqtt.NewPublisher(ctx, tc.url, tc.opts...)
			if !errors.Is(err, cemqtt.ErrConfig) || cemqtt.IsRetryable(err) {
				t.Errorf("NewPublisher: %v, want ErrConfig", err)
			}
		})
	}
	if _, err := startSubscriber(ctx, "tcp://127.0.0.1:1", "", h); !errors.Is(err, cemqtt.ErrConfig) {
		t.Errorf("empty filter: %v", err)
	}
	if _, err := startSubscriber(ctx, "tcp://127.0.0.1:1", "x", nil); !errors.Is(err, cemqtt.ErrConfig) {
		t.Errorf("nil handler: %v", err)
	}
}

// TestReconnect drops the subscriber's connection at the broker; it
// reconnects with backoff and keeps receiving.
func TestReconnect(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	col := newCollector()
	sub, err := startSubscriber(ctx, b.URL(), tp, col, cemqtt.WithClientID("reconnecting"),
		cemqtt.WithReconnectBackoff(10*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	pub, err := cemqtt.NewPublisher(ctx, b.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	if !b.DisconnectClient("reconnecting") {
		t.Fatal("subscriber not connected")
	}
	// Published while the subscriber may be away: the session keeps it.
	if err := pub.Publish(ctx, tp, sampleEvents()["minimal"]); err != nil {
		t.Fatal(err)
	}
	if e := col.next(t); e.ID() != "A234-1234-1234" {
		t.Errorf("got %q", e.ID())
	}
}
