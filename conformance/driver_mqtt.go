package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"
)

// MQTTTarget is a provider reached through an MQTT broker in the relay
// role: what the suite publishes on Topic must come out, as the same
// event, on ReplyTopic. The broker alone is such a relay (ReplyTopic =
// Topic: it delivers a topic to its subscribers); so is a bridge or a
// function that forwards from one topic to another.
type MQTTTarget struct {
	// Broker is the broker's tcp:// (or mqtt://) URL.
	Broker string
	// Topic is where the suite publishes; ReplyTopic where it listens
	// (default: Topic).
	Topic      string
	ReplyTopic string
}

func (t *MQTTTarget) validate() error {
	u, err := url.Parse(t.Broker)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "mqtt") || u.Host == "" || u.Port() == "" {
		return fmt.Errorf("conformance: MQTT broker %q is not a tcp://host:port URL", t.Broker)
	}
	if t.Topic == "" || strings.ContainsAny(t.Topic, "+#") {
		return fmt.Errorf("conformance: MQTT topic %q: want a topic name without wildcards", t.Topic)
	}
	if t.ReplyTopic == "" {
		t.ReplyTopic = t.Topic
	}
	return nil
}

// MQTTMessage is the PUBLISH a relay case sends.
type MQTTMessage struct {
	// Version is the protocol: 5 (MQTT 5.0) or 3 (MQTT 3.1.1, which has
	// no properties, so structured mode only).
	Version int `json:"version"`
	// ContentType and UserProperties are MQTT 5.0 PUBLISH properties;
	// user properties are sent in the order written.
	ContentType    string      `json:"contentType"`
	UserProperties [][2]string `json:"userProperties"`
	Payload
}

// mqttDriver relays through one broker: a publisher and a subscriber per
// protocol version, connected once and shared by the cases, which match
// what arrives by event id.
type mqttDriver struct {
	t       *MQTTTarget
	timeout time.Duration

	mu      sync.Mutex
	waiting map[waitKey]chan *mqttArrival // the case waiting for an event
	v5      *paho.Client
	v3      mqtt3.Client
	closers []func()
}

// waitKey names what a case waits for: its event, read by a subscriber
// of the protocol version it was published with (a relay must deliver a
// 3.1.1 event to 3.1.1 subscribers, who see no properties).
type waitKey struct {
	version int
	id      string
}

// mqttArrival is a message the subscriber got.
type mqttArrival struct {
	version     int
	contentType string
	props       [][2]string
	payload     []byte
}

func newMQTTDriver(t *MQTTTarget, timeout time.Duration) *mqttDriver {
	return &mqttDriver{t: t, timeout: timeout, waiting: map[waitKey]chan *mqttArrival{}}
}

func (d *mqttDriver) reachable(ctx context.Context, timeout time.Duration) error {
	u, _ := url.Parse(d.t.Broker) // validated already
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return fmt.Errorf("conformance: cannot reach the MQTT broker at %s: %w", d.t.Broker, err)
	}
	return conn.Close()
}

// replies is not asked of a relay: it always forwards.
func (d *mqttDriver) replies(context.Context) (string, []string) { return "", nil }

// connect opens the clients for version v and subscribes them to the
// reply topic, once.
func (d *mqttDriver) connect(ctx context.Context, v int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, _ := url.Parse(d.t.Broker)
	id := fmt.Sprintf("ce-conformance-%d-%d", v, time.Now().UnixNano())
	switch v {
	case 5:
		if d.v5 != nil {
			return nil
		}
		dialer := net.Dialer{Timeout: d.timeout}
		conn, err := dialer.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return err
		}
		c := paho.NewClient(paho.ClientConfig{
			Conn:          conn,
			ClientID:      id,
			PacketTimeout: d.timeout,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
				a := &mqttArrival{version: 5, payload: pr.Packet.Payload}
				if p := pr.Packet.Properties; p != nil {
					a.contentType = p.ContentType
					for _, up := range p.User {
						a.props = append(a.props, [2]string{up.Key, up.Value})
					}
				}
				d.deliver(a)
				return true, nil
			}},
		})
		// Some brokers strip user properties unless the client asks for
		// problem information (see transports/mqtt): ask explicitly.
		cp := &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 30, Properties: &paho.ConnectProperties{RequestProblemInfo: true}}
		if ca, err := c.Connect(ctx, cp); err != nil {
			_ = conn.Close()
			return fmt.Errorf("MQTT 5.0 connect: %w", err)
		} else if ca.ReasonCode != 0 {
			_ = conn.Close()
			return fmt.Errorf("MQTT 5.0 connect: reason code 0x%02X", ca.ReasonCode)
		}
		if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: d.t.ReplyTopic, QoS: 1}}}); err != nil {
			_ = c.Disconnect(&paho.Disconnect{})
			return fmt.Errorf("MQTT 5.0 subscribe to %s: %w", d.t.ReplyTopic, err)
		}
		d.v5 = c
		d.closers = append(d.closers, func() { _ = c.Disconnect(&paho.Disconnect{}) })
	case 3:
		if d.v3 != nil {
			return nil
		}
		o := mqtt3.NewClientOptions().AddBroker("tcp://" + u.Host).SetClientID(id).SetProtocolVersion(4).
			SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(d.timeout).SetOrderMatters(false)
		c := mqtt3.NewClient(o)
		if err := wait3(ctx, c.Connect()); err != nil {
			return fmt.Errorf("MQTT 3.1.1 connect: %w", err)
		}
		tok := c.Subscribe(d.t.ReplyTopic, 1, func(_ mqtt3.Client, m mqtt3.Message) {
			d.deliver(&mqttArrival{version: 3, payload: m.Payload()})
		})
		if err := wait3(ctx, tok); err != nil {
			c.Disconnect(100)
			return fmt.Errorf("MQTT 3.1.1 subscribe to %s: %w", d.t.ReplyTopic, err)
		}
		d.v3 = c
		d.closers = append(d.closers, func() { c.Disconnect(100) })
	default:
		return fmt.Errorf("MQTT version %d: want 5 or 3", v)
	}
	return nil
}

func mqttVersion(v int) string {
	if v == 3 {
		return "3.1.1"
	}
	return "5.0"
}

func wait3(ctx context.Context, t mqtt3.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close disconnects every client.
func (d *mqttDriver) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.closers {
		c()
	}
	d.closers = nil
}

// deliver hands an arrival to the case waiting for its event id; others
// (a retained message, another run's traffic) are ignored.
func (d *mqttDriver) deliver(a *mqttArrival) {
	k := waitKey{a.version, mqttEventID(a)}
	d.mu.Lock()
	ch := d.waiting[k]
	delete(d.waiting, k)
	d.mu.Unlock()
	if ch != nil {
		ch <- a
	}
}

// mqttEventID is the id of the event a message carries: its id user
// property in binary mode, the id member of a structured payload.
func mqttEventID(a *mqttArrival) string {
	if !strings.HasPrefix(strings.ToLower(a.contentType), "application/cloudevents") && a.version == 5 {
		for _, p := range a.props {
			if p[0] == "id" {
				return p[1]
			}
		}
	}
	var e struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(a.payload, &e) == nil {
		return e.ID
	}
	return ""
}

func (d *mqttDriver) check(ctx context.Context, c *Case) error {
	m := c.MQTT
	if err := d.connect(ctx, m.Version); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	payload, err := m.body()
	if err != nil {
		return err
	}
	id := mqttEventID(&mqttArrival{version: m.Version, contentType: m.ContentType, props: m.UserProperties, payload: payload})
	ch := make(chan *mqttArrival, 1)
	k := waitKey{m.Version, id}
	d.mu.Lock()
	d.waiting[k] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.waiting, k)
		d.mu.Unlock()
	}()

	switch m.Version {
	case 5:
		p := &paho.Publish{Topic: d.t.Topic, QoS: 1, Payload: payload, Properties: &paho.PublishProperties{ContentType: m.ContentType}}
		for _, up := range m.UserProperties {
			p.Properties.User = append(p.Properties.User, paho.UserProperty{Key: up[0], Value: up[1]})
		}
		if _, err := d.v5.Publish(ctx, p); err != nil {
			return fmt.Errorf("publishing to %s: %w", d.t.Topic, err)
		}
	case 3:
		if err := wait3(ctx, d.v3.Publish(d.t.Topic, 1, false, payload)); err != nil {
			return fmt.Errorf("publishing to %s: %w", d.t.Topic, err)
		}
	}
	select {
	case a := <-ch:
		got, err := readMQTT(a)
		if err != nil {
			return err
		}
		return compareEvent(c.Expect.Event, got, "relayed", nil)
	case <-ctx.Done():
		return fmt.Errorf("the event %q published on %s (MQTT %s) did not come out on %s to an MQTT %s subscriber within %s", id, d.t.Topic, mqttVersion(m.Version), d.t.ReplyTopic, mqttVersion(m.Version), d.timeout)
	}
}

// readMQTT decodes the event a relayed message carries, without
// validating it: structured (a content type starting with
// application/cloudevents, or any MQTT 3.1.1 payload) or MQTT 5.0 binary
// (user properties, content type, payload).
func readMQTT(a *mqttArrival) (*observed, error) {
	if a.version == 3 || strings.HasPrefix(strings.ToLower(a.contentType), "application/cloudevents") {
		return readStructuredReply(a.payload)
	}
	o := &observed{binary: true, attrs: map[string]string{}, kinds: map[string]jsonKind{}}
	for _, p := range a.props {
		if _, dup := o.attrs[p[0]]; dup {
			return nil, fmt.Errorf("the relayed message has the user property %s twice", p[0])
		}
		o.attrs[p[0]] = p[1]
		o.kinds[p[0]] = kindUnknown
	}
	if len(o.attrs) == 0 {
		return nil, errors.New("the relayed message carries no event: no user properties and no cloudevents content type")
	}
	if a.contentType != "" {
		o.attrs["datacontenttype"] = a.contentType
		o.kinds["datacontenttype"] = kindUnknown
	}
	if len(a.payload) > 0 {
		o.data = a.payload
	}
	return o, nil
}
