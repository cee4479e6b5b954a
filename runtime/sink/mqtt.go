package sink

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/openevents/openevents/event"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// MQTTSink publishes events to one topic of an MQTT broker with a
// [cemqtt.Publisher]. It is safe for concurrent use.
type MQTTSink struct {
	pub    *cemqtt.Publisher
	topic  string
	broker string // redacted, for errors
	closed atomic.Bool
}

// MQTT connects to the broker at brokerURL (tcp://host:port, or tls://)
// and returns a sink that publishes each event to topic, a topic name
// without wildcards. ctx bounds the connection attempt only. opts are the
// Publisher's options: cemqtt.WithMode (binary with MQTT 5.0 by default),
// WithQoS (1 by default: Send waits for the broker's PUBACK), WithVersion,
// WithTLS, WithCredentials, WithClientID, WithRetain, ...; a WithTopic
// among them is overridden by topic. It returns a configuration error
// (cemqtt.ErrConfig: an empty or wildcard topic, a bad URL or option), a
// refused connection or a connection error.
func MQTT(ctx context.Context, brokerURL, topic string, opts ...cemqtt.PublisherOption) (*MQTTSink, error) {
	broker := redact(brokerURL)
	if topic == "" {
		return nil, fmt.Errorf("sink: mqtt %s: the topic is empty: %w", broker, cemqtt.ErrConfig)
	}
	all := append(opts[:len(opts):len(opts)], cemqtt.WithTopic(topic))
	p, err := cemqtt.NewPublisher(ctx, brokerURL, all...)
	if err != nil {
		return nil, fmt.Errorf("sink: mqtt %s: %w", broker, err)
	}
	return &MQTTSink{pub: p, topic: topic, broker: broker}, nil
}

// Send publishes e to the sink's topic and returns once the broker has
// taken it (after PUBACK with QoS 1). While the connection is down it
// waits for the reconnection until ctx ends. Errors wrap the publisher's:
// an invalid or too large event (not retryable), a *cemqtt.ReasonError
// from the broker, ctx's error, or a connection error (cemqtt.IsRetryable
// tells). After Close, Send returns ErrClosed. e is not retained.
func (s *MQTTSink) Send(ctx context.Context, e *event.Event) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.pub.Publish(ctx, s.topic, e); err != nil {
		return fmt.Errorf("sink: mqtt %s topic %q: %w", s.broker, s.topic, err)
	}
	return nil
}

// Close makes later Sends fail with ErrClosed and disconnects from the
// broker, within ctx. A second Close returns nil.
func (s *MQTTSink) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.pub.Close(ctx); err != nil {
		return fmt.Errorf("sink: mqtt %s: %w", s.broker, err)
	}
	return nil
}
