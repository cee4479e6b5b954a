package mqtt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"github.com/openevents/openevents/event"
)

// A Publisher sends events to an MQTT broker, one PUBLISH per event, in
// the content mode chosen with [WithMode]. It keeps one connection and
// reconnects with backoff when it is lost. A Publisher is safe for
// concurrent use.
type Publisher struct {
	cfg    config
	cm     *autopaho.ConnectionManager // MQTT 5.0
	c3     mqtt3.Client                // MQTT 3.1.1
	mu     sync.RWMutex
	closed bool

	u         *url.URL
	connMu    sync.Mutex  // connect
	connected atomic.Bool // cm or c3 is set

	brokerMax atomic.Uint32 // Maximum Packet Size of the last MQTT 5.0 CONNACK; 0: none announced
}

// NewPublisher connects to the broker at brokerURL (tcp://host:port, or
// tls:// for TLS) and returns a Publisher once the connection is up. ctx
// bounds the connection attempt only; see [WithConnectTimeout]. Errors
// are a configuration error, a [*ReasonError] for a refused CONNACK, or a
// connection error ([IsRetryable]). [NewSender] is the same without
// connecting until the first send.
func NewPublisher(ctx context.Context, brokerURL string, opts ...PublisherOption) (*Publisher, error) {
	p, err := NewSender(brokerURL, opts...)
	if err != nil {
		return nil, err
	}
	if err := p.connect(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// NewSender returns a Publisher for the broker at brokerURL that connects
// on its first Send or Publish (which then returns the connection's
// errors), as cehttp.NewSender and cegrpc.NewSender do: the constructor
// every transport's sending side shares. It returns a configuration
// error only.
func NewSender(brokerURL string, opts ...PublisherOption) (*Publisher, error) {
	p := &Publisher{cfg: defaultConfig()}
	p.cfg.cleanStart = true // a publisher has no subscriptions to keep
	for _, o := range opts {
		if o != nil {
			o.applyPublisher(&p.cfg)
		}
	}
	if err := p.cfg.validate(true); err != nil {
		return nil, err
	}
	u, err := parseBroker(brokerURL, &p.cfg)
	if err != nil {
		return nil, err
	}
	p.u = u
	return p, nil
}

// connect makes the connection unless it is made; a failed attempt may
// be made again.
func (p *Publisher) connect(ctx context.Context) error {
	if p.connected.Load() {
		return nil
	}
	p.connMu.Lock()
	defer p.connMu.Unlock()
	if p.connected.Load() {
		return nil
	}
	u := p.u
	d := newDialer(&p.cfg, nil)
	if p.cfg.version == Version311 {
		c3 := mqtt3.NewClient(optionsV311(u, &p.cfg, d, p.cfg.cleanStart))
		if err := connectV311(ctx, c3, &p.cfg); err != nil {
			return explainTLS(ctx, err, u, &p.cfg)
		}
		p.c3 = c3
		p.connected.Store(true)
		return nil
	}
	onUp := func(_ *autopaho.ConnectionManager, ca *paho.Connack) {
		var m uint32
		if ca != nil && ca.Properties != nil && ca.Properties.MaximumPacketSize != nil {
			m = *ca.Properties.MaximumPacketSize
		}
		p.brokerMax.Store(m)
	}
	cm, err := connectV5(ctx, u, &p.cfg, d, p.cfg.cleanStart, onUp, nil)
	if err != nil {
		return explainTLS(ctx, err, u, &p.cfg)
	}
	p.cm = cm
	p.connected.Store(true)
	return nil
}

// Publish sends e to topic and returns once the broker has taken it:
// after PUBACK for QoS 1, PUBCOMP for QoS 2, after writing for QoS 0.
// While the connection is down it waits for the reconnection until ctx
// ends. e is validated first and not sent if invalid; Publish does not
// retain e.
//
// Errors: an invalid event (not retryable), an error wrapping
// [ErrMessageTooLarge] (not retryable) when the MQTT 5.0 PUBLISH would be
// larger than the Maximum Packet Size the broker announced in CONNACK, a
// [*ReasonError] when the broker refuses the message (0x10 "no matching
// subscribers" is success), ctx's error, [ErrClosed], or a connection
// error. (An MQTT 3.1.1 broker announces no limit: one that has a limit
// drops the connection instead, a connection error.)
func (p *Publisher) Publish(ctx context.Context, topic string, e *event.Event) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if err := p.connect(ctx); err != nil {
		return err
	}
	var o outgoing
	if _, err := encode(&o, p.cfg.mode, p.cfg.version, e, nil); err != nil {
		return err
	}
	if p.c3 != nil {
		if err := wait(ctx, p.c3.Publish(topic, p.cfg.qos, p.cfg.retain, o.payload)); err != nil {
			return fmt.Errorf("%w: publish: %w", errConnection, err)
		}
		return nil
	}
	pub := &paho.Publish{QoS: p.cfg.qos, Retain: p.cfg.retain, Topic: topic, Payload: o.payload}
	if o.contentType != "" || len(o.props) > 0 {
		pub.Properties = &paho.PublishProperties{ContentType: o.contentType, User: o.props}
	}
	if m := p.brokerMax.Load(); m > 0 {
		// The broker would disconnect us for it and the publish would
		// wait for ever; [MQTT-3.2.2-15] forbids sending it anyway.
		if n := publishSize(pub); n > int(m) {
			return fmt.Errorf("%w: the PUBLISH would be %d bytes, over the broker's Maximum Packet Size of %d bytes (MQTT 5.0 [MQTT-3.2.2-15])", ErrMessageTooLarge, n, m)
		}
	}
	for {
		resp, err := p.cm.Publish(ctx, pub)
		switch {
		case err == nil:
			return nil
		case resp != nil && resp.ReasonCode >= 0x80:
			re := &ReasonError{Packet: "PUBACK", Code: resp.ReasonCode}
			if resp.Properties != nil {
				re.Reason = resp.Properties.ReasonString
			}
			if p.cfg.qos == 2 {
				re.Packet = "PUBREC"
			}
			return re
		case errors.Is(err, autopaho.ConnectionDownError):
			if err := p.cm.AwaitConnection(ctx); err != nil {
				return fmt.Errorf("%w: waiting for the broker: %w", errConnection, err)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			return fmt.Errorf("%w: publish: %w", errConnection, err)
		}
	}
}

// Send publishes e to the topic set with [WithTopic], as Publish does;
// without one it returns an [ErrConfig]. With Send and Close, a Publisher
// has the sending shape every transport shares.
func (p *Publisher) Send(ctx context.Context, e *event.Event) error {
	if p.cfg.topic == "" {
		return fmt.Errorf("%w: Send needs a topic set with WithTopic (or call Publish)", ErrConfig)
	}
	return p.Publish(ctx, p.cfg.topic, e)
}

// Close disconnects from the broker and waits for the client's goroutines
// to end, or for ctx. Publish calls in progress finish first. Close is
// safe to call more than once.
func (p *Publisher) Close(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.connMu.Lock()
	defer p.connMu.Unlock()
	switch {
	case p.c3 != nil:
		p.c3.Disconnect(100)
	case p.cm != nil:
		return p.cm.Disconnect(ctx)
	}
	return nil
}

// publishSize returns the size on the wire of an MQTT 5.0 PUBLISH
// carrying p's topic, QoS, Content Type, user properties and payload.
func publishSize(p *paho.Publish) int {
	props := 0
	if p.Properties != nil {
		if p.Properties.ContentType != "" {
			props += 1 + 2 + len(p.Properties.ContentType)
		}
		for _, u := range p.Properties.User {
			props += 1 + 2 + len(u.Key) + 2 + len(u.Value)
		}
	}
	rl := 2 + len(p.Topic) + varintLen(props) + props + len(p.Payload)
	if p.QoS > 0 {
		rl += 2
	}
	return 1 + varintLen(rl) + rl
}

// varintLen is the length of n as an MQTT variable byte integer.
func varintLen(n int) int {
	k := 1
	for n >= 128 {
		n >>= 7
		k++
	}
	return k
}
