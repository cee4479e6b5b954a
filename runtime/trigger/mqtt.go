package trigger

import (
	"context"
	"fmt"
	"sync"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// MQTT receives events from one subscription (MQTT 5.0 or 3.1.1; a
// $share/GROUP/FILTER filter spreads messages over several runtimes) and
// acknowledges a message only once Dispatch returned nil: a message whose
// function failed is redelivered, after the subscriber's backoff. With the
// default persistent session and a fixed client id, a restarted runtime
// resumes where the last one stopped.
//
// By default messages are dispatched one at a time, in arrival order.
// With the subscriber option cemqtt.WithConcurrency(n) (ce run uses its
// concurrency) up to n are dispatched at once and each is acknowledged
// in arrival order, the order MQTT wants, once it and every message
// before it are settled. Run several runtimes on a shared subscription to
// spread the work over processes.
//
// A reply of the function to an MQTT 5.0 message that names a Response
// Topic is published there, on the same broker.
type MQTT struct {
	url, filter string
	sub         *cemqtt.Subscriber
	pubOpts     []cemqtt.PublisherOption

	mu  sync.Mutex
	pub *cemqtt.Publisher // for replies; made by Start
}

// NewMQTT returns a trigger that will subscribe to filter at the broker
// brokerURL and hand events to d. sub are the subscriber's options
// (version, QoS, client id, session, TLS, limits, error hook); pub are
// those of the publisher that sends replies to response topics.
func NewMQTT(brokerURL, filter string, d Dispatcher, sub []cemqtt.SubscriberOption, pub []cemqtt.PublisherOption) (*MQTT, error) {
	t := &MQTT{url: brokerURL, filter: filter, pubOpts: pub}
	h := binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		reply, err := d.Dispatch(ctx, e)
		if err != nil || reply == nil {
			return err
		}
		topic, ok := cemqtt.ResponseTopic(ctx)
		if !ok {
			return nil
		}
		t.mu.Lock()
		p := t.pub
		t.mu.Unlock()
		if p == nil {
			return nil
		}
		// A reply that cannot be published fails the event, so the request
		// is redelivered and the reply tried again (at least once).
		if err := p.Publish(ctx, topic, reply); err != nil {
			return fmt.Errorf("mqtt trigger: reply to %s: %w", topic, err)
		}
		return nil
	})
	s, err := cemqtt.NewSubscriber(brokerURL, filter, h, sub...)
	if err != nil {
		return nil, fmt.Errorf("mqtt trigger: %w", err)
	}
	t.sub = s
	return t, nil
}

// Name returns "mqtt", the broker and the filter.
func (t *MQTT) Name() string { return "mqtt " + t.url + " " + t.filter }

// Start connects the reply publisher, then subscribes; it returns once the
// broker granted the subscription.
func (t *MQTT) Start(ctx context.Context) error {
	p, err := cemqtt.NewPublisher(ctx, t.url, t.pubOpts...)
	if err != nil {
		return fmt.Errorf("mqtt trigger: reply publisher: %w", err)
	}
	t.mu.Lock()
	t.pub = p
	t.mu.Unlock()
	if err := t.sub.Start(ctx); err != nil {
		_ = p.Close(ctx)
		return fmt.Errorf("mqtt trigger: %w", err)
	}
	return nil
}

// Shutdown stops delivery and disconnects. The context of the event in
// flight ends, and a message not yet acknowledged stays with the broker,
// which delivers it again to the session's next subscriber.
func (t *MQTT) Shutdown(ctx context.Context) error {
	err := t.sub.Shutdown(ctx)
	t.mu.Lock()
	p := t.pub
	t.mu.Unlock()
	if p != nil {
		if perr := p.Close(ctx); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// Stats returns the subscriber's counts.
func (t *MQTT) Stats() cemqtt.Stats { return t.sub.Stats() }
