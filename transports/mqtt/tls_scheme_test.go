package mqtt_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// TestTLSWithPlaintextScheme: WithTLS with a tcp:// or mqtt:// broker URL
// is a configuration error for a Publisher and a Subscriber alike, before
// any connection is made, instead of a plaintext connection the caller
// did not ask for.
func TestTLSWithPlaintextScheme(t *testing.T) {
	ctx := context.Background()
	h := binding.HandlerFunc(func(context.Context, *event.Event) error { return nil })
	for _, url := range []string{"tcp://127.0.0.1:1", "mqtt://127.0.0.1:1"} {
		_, err := cemqtt.NewPublisher(ctx, url, cemqtt.WithTLS(&tls.Config{}))
		if !errors.Is(err, cemqtt.ErrConfig) || !strings.Contains(err.Error(), "plaintext") {
			t.Errorf("publisher, %s with WithTLS: %v, want ErrConfig naming the plaintext scheme", url, err)
		}
		_, err = startSubscriber(ctx, url, "t", h, cemqtt.WithTLS(&tls.Config{}))
		if !errors.Is(err, cemqtt.ErrConfig) || !strings.Contains(err.Error(), "plaintext") {
			t.Errorf("subscriber, %s with WithTLS: %v, want ErrConfig naming the plaintext scheme", url, err)
		}
	}
}
