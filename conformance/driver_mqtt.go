package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"
)

// MQTTTarget is a provider reached through an MQTT broker. A broker hides
// a subscriber's refusals from the publisher, so an MQTT provider is
// tested in the roles where what it does shows on a topic:
//
//   - relay (the default): what the suite publishes on Topic must come
//     out, as the same event, on ReplyTopic. The broker alone is such a
//     relay (ReplyTopic = Topic: it delivers a topic to its subscribers);
//     so is a bridge or a function that forwards from one topic to another.
//   - echo: the provider answers each event published on Topic with
//     itself, on the MQTT 5.0 Response Topic the suite sets (one per case)
//     or, when ReplyTopic is given, on that topic. An invalid message must
//     not come back as an event.
//   - sender: the provider publishes the events the suite asks for on
//     Topic (Config.Sender runs it; see the sender contract).
type MQTTTarget struct {
	// Broker is the broker's tcp:// (or mqtt://) URL.
	Broker string
	// Topic is where the suite publishes (relay, echo) or listens
	// (sender).
	Topic string
	// ReplyTopic is where the suite listens for what a relay or an echo
	// sends back. Relay default: Topic. Echo default: none, the MQTT 5.0
	// Response Topic of each request; an echo that publishes its replies
	// on a fixed topic names it here, which also lets the MQTT 3.1.1
	// cases run (3.1.1 has no Response Topic).
	ReplyTopic string
	// Role is the part the provider plays: RoleRelay (the default when
	// empty), RoleEcho or RoleSender. The MQTT cases of the other roles
	// are NOT-TESTED.
	Role Role
	// Versions are the MQTT protocol versions the provider claims, 5
	// (MQTT 5.0) and 3 (3.1.1); nil claims both. The cases of a version
	// not claimed are NOT-TESTED, and a sender is not asked for it.
	Versions []int
}

// claims reports whether the target claims MQTT version v.
func (t *MQTTTarget) claims(v int) bool {
	return t.Versions == nil || slices.Contains(t.Versions, v)
}

// ParseMQTTVersions reads the --mqtt-version flag for
// MQTTTarget.Versions: "5.0", "3.1.1", or "both" (and "") for nil.
func ParseMQTTVersions(s string) ([]int, error) {
	switch s {
	case "", "both":
		return nil, nil
	case "5.0", "5":
		return []int{5}, nil
	case "3.1.1":
		return []int{3}, nil
	}
	return nil, fmt.Errorf("MQTT version %q: want 5.0, 3.1.1 or both", s)
}

func (t *MQTTTarget) validate() error {
	u, err := url.Parse(t.Broker)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "mqtt") || u.Host == "" || u.Port() == "" {
		return fmt.Errorf("conformance: MQTT broker %q is not a tcp://host:port URL", t.Broker)
	}
	if t.Topic == "" || strings.ContainsAny(t.Topic, "+#") {
		return fmt.Errorf("conformance: MQTT topic %q: want a topic name without wildcards", t.Topic)
	}
	if strings.ContainsAny(t.ReplyTopic, "+#") {
		return fmt.Errorf("conformance: MQTT reply topic %q: want a topic name without wildcards", t.ReplyTopic)
	}
	switch t.Role {
	case "":
		t.Role = RoleRelay
	case RoleRelay, RoleEcho, RoleSender:
	default:
		return fmt.Errorf("conformance: MQTT role %q: want relay, echo or sender (a broker hides a receiver's answer, so there is no MQTT receiver role)", t.Role)
	}
	if t.Role == RoleSender && t.ReplyTopic != "" {
		return errors.New("conformance: an MQTT sender has no reply topic: the suite listens on Topic")
	}
	if len(t.Versions) == 0 && t.Versions != nil {
		return errors.New("conformance: MQTTTarget.Versions is empty: claim 5, 3 or both (nil)")
	}
	for _, v := range t.Versions {
		if v != 5 && v != 3 {
			return fmt.Errorf("conformance: MQTT version %d: want 5 (5.0) or 3 (3.1.1)", v)
		}
	}
	if t.ReplyTopic == "" && t.Role == RoleRelay {
		t.ReplyTopic = t.Topic
	}
	return nil
}

// String describes the target in one line, for reports.
func (t *MQTTTarget) String() string {
	switch {
	case t.Role == RoleSender:
		return fmt.Sprintf("MQTT sender %s, topic %s", t.Broker, t.Topic)
	case t.ReplyTopic == "":
		return fmt.Sprintf("MQTT %s %s, topic %s, answers on the Response Topic", t.Role, t.Broker, t.Topic)
	}
	return fmt.Sprintf("MQTT %s %s, topic %s to %s", t.Role, t.Broker, t.Topic, t.ReplyTopic)
}

// MQTTMessage is the PUBLISH an MQTT case sends (relay, echo), or, for a
// sender case, the protocol version the sender is asked to use.
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

// MQTTExpect is what an MQTT case checks on the message the provider
// publishes (an echo's reply, a sender's message) beyond the event it
// carries: how the binding puts the event on the wire.
type MQTTExpect struct {
	// NoEvent says that the case publishes a message that is not a valid
	// event: no event may come back for it (echo). Absence is judged
	// within a bounded window: until the provider answered a valid event
	// published after it, on the same connection and topic, and a grace
	// period more (see the package documentation).
	NoEvent bool `json:"noEvent"`
	// ID is the id an event wrongly made of a NoEvent message would
	// carry; it finds such an event on a fixed reply topic.
	ID string `json:"id"`
	// Mode, when set, is the only content mode of the provider's message
	// in which the case's check means something; in the other the case
	// is NOT-TESTED.
	Mode Mode `json:"mode"`
	// ContentType is the exact Content Type property the message must
	// have (MQTT 5.0). A message with no property at all may have been
	// published over MQTT 3.1.1, which has none, so it cannot be judged.
	ContentType string `json:"contentType"`
	// UserProperties maps user property names to the exact value a
	// binary-mode message must carry under that name.
	UserProperties map[string]string `json:"userProperties"`
	// AbsentProperties lists user properties a binary-mode message must
	// not carry.
	AbsentProperties []string `json:"absentProperties"`
}

// validateMQTT checks an MQTT case (Case.validate calls it).
func (c *Case) validateMQTT() error {
	var errs []error
	switch c.Role {
	case RoleRelay, RoleEcho, RoleSender:
	default:
		errs = append(errs, fmt.Errorf("an MQTT case plays the relay role, the echo role or the sender role, not %q (a broker hides a receiver's answer)", c.Role))
	}
	m := c.MQTT
	if m == nil {
		return errors.Join(append(errs, errors.New("an MQTT case needs an mqtt message (a sender case: the version the sender uses)"))...)
	}
	if v := m.Version; v != 5 && v != 3 {
		errs = append(errs, fmt.Errorf("mqtt version %d: want 5 or 3 (3.1.1)", v))
	}
	if m.Version == 3 && (m.ContentType != "" || m.UserProperties != nil || c.Mode != ModeStructured) {
		errs = append(errs, errors.New("MQTT 3.1.1 has no properties: structured mode only, no contentType or userProperties"))
	}
	if c.Mode != ModeBinary && c.Mode != ModeStructured {
		errs = append(errs, fmt.Errorf("MQTT has binary and structured mode only, not %q", c.Mode))
	}
	b, err := m.body()
	if err != nil {
		errs = append(errs, fmt.Errorf("mqtt payload: %w", err))
	}
	if c.Role == RoleSender && (len(b) > 0 || m.ContentType != "" || m.UserProperties != nil) {
		errs = append(errs, errors.New("a sender case publishes nothing: its mqtt member names the version only"))
	}
	if x := c.Expect.MQTT; x != nil {
		if x.NoEvent && (c.Role != RoleEcho || c.Expect.Event != nil) {
			errs = append(errs, errors.New("expect.mqtt.noEvent is for an echo case without expect.event"))
		}
		if x.Mode != "" && x.Mode != ModeBinary && x.Mode != ModeStructured {
			errs = append(errs, fmt.Errorf("expect.mqtt.mode %q: want binary or structured", x.Mode))
		}
	}
	if c.Request.Headers != nil || c.Request.Body != "" || c.Request.BodyJSON != nil || c.Request.BodyBase64 != "" {
		errs = append(errs, errors.New("an MQTT case sends its mqtt message, not an HTTP request"))
	}
	return errors.Join(errs...)
}

// expectsNoEvent reports whether c is an echo case about a message that
// must not come back as an event.
func (c *Case) expectsNoEvent() bool {
	return c.Expect.MQTT != nil && c.Expect.MQTT.NoEvent
}

// The bounds of the MQTT driver.
const (
	// mqttInbox is how many messages one case can hold before the
	// driver stops handing it more (a provider answering one request
	// many times); the case has its answer by then.
	mqttInbox = 8
	// mqttGraceMax bounds the wait, after a valid event's answer, for an
	// answer to the invalid message published before it.
	mqttGraceMax = 500 * time.Millisecond
)

// mqttDriver talks to one broker: a client per protocol version,
// connected once and shared by the cases, which find what arrives for
// them by a key (the response topic of an echo request, or the event id
// and the subscriber's version).
type mqttDriver struct {
	t       *MQTTTarget
	timeout time.Duration
	run     string // this run's part of the response topics

	mu      sync.Mutex
	waiting map[string]chan *mqttArrival
	seq     int
	v5      *paho.Client
	v3      mqtt3.Client
	closers []func()
	added   []string // attributes the echo adds to every event
	// sink, while a sender runs, takes every message on the topic.
	sink func(*mqttArrival)
}

// mqttArrival is a message a subscriber got.
type mqttArrival struct {
	version     int // of the subscriber that read it
	topic       string
	contentType string
	props       [][2]string
	payload     []byte
}

func newMQTTDriver(t *MQTTTarget, timeout time.Duration) *mqttDriver {
	return &mqttDriver{t: t, timeout: timeout, run: fmt.Sprint(time.Now().UnixNano()), waiting: map[string]chan *mqttArrival{}}
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

// plays returns "" when the provider plays role r, otherwise why the
// cases of that role do not run.
func (d *mqttDriver) plays(r Role) string {
	if r == d.t.Role {
		return ""
	}
	return fmt.Sprintf("not run: the MQTT provider is tested in the %s role (MQTTTarget.Role)", d.t.Role)
}

// plays returns "" when the provider behind d plays role r, otherwise
// why the cases of that role do not run. A driver without a plays method
// plays every role of its binding.
func plays(d driver, r Role) string {
	if p, ok := d.(interface{ plays(Role) string }); ok {
		return p.plays(r)
	}
	return ""
}

// driverNotes collects the run notes of the drivers that ran cases
// (bindings in ran), in binding order.
func driverNotes(drivers map[string]driver, ran map[string]bool) []string {
	var notes []string
	for _, b := range []string{BindingHTTP, BindingMQTT} {
		if n, ok := drivers[b].(interface{ runNotes() []string }); ok && ran[b] {
			notes = append(notes, n.runNotes()...)
		}
	}
	return notes
}

// responseFilter is the filter the echo's response topics fall under.
func (d *mqttDriver) responseFilter() string { return "ce-conformance/reply/" + d.run + "/#" }

// replyTo returns a fresh response topic for one echo request.
func (d *mqttDriver) replyTo() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	return fmt.Sprintf("ce-conformance/reply/%s/%d", d.run, d.seq)
}

// listenTopics are the topics the subscribers of the role listen on.
func (d *mqttDriver) listenTopics() []string {
	switch {
	case d.t.Role == RoleSender:
		return []string{d.t.Topic}
	case d.t.Role == RoleEcho && d.t.ReplyTopic == "":
		return []string{d.responseFilter()}
	}
	return []string{d.t.ReplyTopic}
}

// connect opens the client for version v and subscribes it, once. In the
// echo and sender roles the provider's messages are read by the MQTT 5.0
// client alone, which sees every property it sent: a 3.1.1 subscriber
// would not see a binary-mode message as one.
func (d *mqttDriver) connect(ctx context.Context, v int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, _ := url.Parse(d.t.Broker)
	id := fmt.Sprintf("ce-conformance-%d-%d", v, time.Now().UnixNano())
	listen := d.t.Role == RoleRelay || v == 5
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
				a := &mqttArrival{version: 5, topic: pr.Packet.Topic, payload: pr.Packet.Payload}
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
		if listen {
			for _, topic := range d.listenTopics() {
				sa, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}})
				if err == nil && len(sa.Reasons) == 1 && sa.Reasons[0] >= 0x80 {
					err = fmt.Errorf("reason code 0x%02X", sa.Reasons[0])
				}
				if err != nil {
					_ = c.Disconnect(&paho.Disconnect{})
					return fmt.Errorf("MQTT 5.0 subscribe to %s: %w", topic, err)
				}
			}
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
		if listen {
			tok := c.Subscribe(d.t.ReplyTopic, 1, func(_ mqtt3.Client, m mqtt3.Message) {
				d.deliver(&mqttArrival{version: 3, topic: m.Topic(), payload: m.Payload()})
			})
			if err := wait3(ctx, tok); err != nil {
				c.Disconnect(100)
				return fmt.Errorf("MQTT 3.1.1 subscribe to %s: %w", d.t.ReplyTopic, err)
			}
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

// arrivalKey is the key a case waits under for an arrival: its topic
// for an echo's response topic, otherwise the subscriber's version and
// the event id.
func (d *mqttDriver) arrivalKey(a *mqttArrival) string {
	if d.t.Role == RoleEcho && d.t.ReplyTopic == "" {
		return "topic " + a.topic
	}
	return idKey(a.version, mqttEventID(a))
}

func idKey(version int, id string) string { return fmt.Sprintf("id %d %s", version, id) }

// deliver hands an arrival to the case waiting for it; others (a
// retained message, another run's traffic, more answers than a case can
// use) are not anyone's and are left.
func (d *mqttDriver) deliver(a *mqttArrival) {
	k := d.arrivalKey(a)
	d.mu.Lock()
	ch, sink := d.waiting[k], d.sink
	d.mu.Unlock()
	if sink != nil {
		sink(a)
		return
	}
	if ch != nil {
		select {
		case ch <- a:
		default:
		}
	}
}

// await registers a case's interest in key and returns the channel its
// arrivals come on and the function that ends the interest.
func (d *mqttDriver) await(keys ...string) (chan *mqttArrival, func()) {
	ch := make(chan *mqttArrival, mqttInbox)
	d.mu.Lock()
	for _, k := range keys {
		d.waiting[k] = ch
	}
	d.mu.Unlock()
	return ch, func() {
		d.mu.Lock()
		for _, k := range keys {
			delete(d.waiting, k)
		}
		d.mu.Unlock()
	}
}

// mqttEventID is the id of the event a message carries: its id user
// property in binary mode, the id member of a structured payload. It
// also finds the id of a message that breaks the rules it is about to be
// judged by, so that the case sees the message: a user property named id
// after a prefix (ce-id), or an id value in JSON quotes.
func mqttEventID(a *mqttArrival) string {
	if !strings.HasPrefix(strings.ToLower(a.contentType), "application/cloudevents") && a.version == 5 {
		for _, p := range a.props {
			name := strings.ToLower(p[0])
			for _, prefix := range []string{"ce-", "ce_", "cloudevents:", "cloudevents_"} {
				name = strings.TrimPrefix(name, prefix)
			}
			if name != "id" {
				continue
			}
			var s string
			if strings.HasPrefix(p[1], `"`) && json.Unmarshal([]byte(p[1]), &s) == nil {
				return s
			}
			return p[1]
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

// publish sends m on topic with the client of its version; responseTopic
// is set as the MQTT 5.0 Response Topic when not empty.
func (d *mqttDriver) publish(ctx context.Context, m *MQTTMessage, responseTopic string) error {
	payload, err := m.body()
	if err != nil {
		return err
	}
	switch m.Version {
	case 5:
		p := &paho.Publish{Topic: d.t.Topic, QoS: 1, Payload: payload, Properties: &paho.PublishProperties{ContentType: m.ContentType, ResponseTopic: responseTopic}}
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
	return nil
}

// requestID is the id of the event a case's message carries.
func requestID(m *MQTTMessage) string {
	payload, _ := m.body()
	return mqttEventID(&mqttArrival{version: m.Version, contentType: m.ContentType, props: m.UserProperties, payload: payload})
}

func (d *mqttDriver) check(ctx context.Context, c *Case) error {
	if !d.t.claims(c.MQTT.Version) {
		return d.unclaimed(c.MQTT.Version)
	}
	if c.Role == RoleEcho {
		return d.echo(ctx, c)
	}
	m := c.MQTT
	if err := d.connect(ctx, m.Version); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	id := requestID(m)
	ch, done := d.await(idKey(m.Version, id))
	defer done()
	if err := d.publish(ctx, m, ""); err != nil {
		return err
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

// unclaimed is the outcome of a case of an MQTT version the provider does
// not claim.
func (d *mqttDriver) unclaimed(v int) error {
	return fmt.Errorf("%w: the provider claims MQTT %s only, not %s (--mqtt-version)", errNotApplicable, mqttVersion(d.t.Versions[0]), mqttVersion(v))
}

// mqttProbe is the event replies publishes: the required attributes
// alone, so that anything else in the answer is the provider's own.
var mqttProbe = MQTTMessage{Version: 5, UserProperties: [][2]string{
	{"specversion", "1.0"}, {"id", "probe-reply-mqtt-1"}, {"source", "/conformance"}, {"type", "org.example.probe"},
}}

// replies sends one plain valid event to an echo and learns whether it
// answers and what it adds to every event.
func (d *mqttDriver) replies(ctx context.Context) (string, []string) {
	if d.t.Role != RoleEcho {
		return "", nil
	}
	probe := &mqttProbe
	if !d.t.claims(5) {
		// The same event in structured mode, for a 3.1.1 provider.
		members := map[string]string{}
		for _, p := range mqttProbe.UserProperties {
			members[p[0]] = p[1]
		}
		b, _ := json.Marshal(members)
		probe = &MQTTMessage{Version: 3, Payload: Payload{Body: string(b)}}
	}
	c := &Case{Role: RoleEcho, MQTT: probe}
	a, err := d.exchange(ctx, c, probe)
	if errors.Is(err, errNotApplicable) {
		return "the provider claims MQTT 3.1.1 only, which has no Response Topic: its echo answers can be found only on a fixed reply topic (--reply-topic)", nil
	}
	if err != nil {
		return fmt.Sprintf("the MQTT provider did not answer a plain valid event published on %s (%v); the echo cases need a provider that answers each event with itself, on the Response Topic of the request or on --reply-topic (as `ce run` does)", d.t.Topic, err), nil
	}
	got, err := readMQTT(a)
	if err != nil {
		// It answers, though not with a readable event: the cases judge
		// that, each by its rule.
		return "", nil
	}
	var added []string
	for name := range sortedMap(got.attrs) {
		if !slices.ContainsFunc(mqttProbe.UserProperties, func(p [2]string) bool { return p[0] == name }) {
			added = append(added, name)
		}
	}
	d.mu.Lock()
	d.added = added
	d.mu.Unlock()
	return "", added
}

// runNotes are the MQTT driver's remarks for the run's notes.
func (d *mqttDriver) runNotes() []string {
	if d.t.Role != RoleEcho {
		return nil
	}
	return []string{"MQTT echo: a broker does not tell a publisher whether a subscriber refused a message, so the receiver-role rules (refusing invalid events) are NOT-TESTED over MQTT; instead, an invalid message passes when no event came back for it before the provider answered a valid event published after it on the same connection, plus a grace period: absence within that window is what was observed"}
}

// exchange publishes m as the request of echo case c and returns the
// first answer.
func (d *mqttDriver) exchange(ctx context.Context, c *Case, m *MQTTMessage) (*mqttArrival, error) {
	rt, key, err := d.echoRoute(c, m, requestID(m))
	if err != nil {
		return nil, err
	}
	if err := d.connect(ctx, 5); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	if err := d.connect(ctx, m.Version); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	ch, done := d.await(key)
	defer done()
	if err := d.publish(ctx, m, rt); err != nil {
		return nil, err
	}
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		if rt == "" {
			return nil, fmt.Errorf("no answer carrying the event's id on %s within %s", d.t.ReplyTopic, d.timeout)
		}
		return nil, fmt.Errorf("no answer on its Response Topic within %s", d.timeout)
	}
}

// echoRoute returns the Response Topic to set on an echo request and the
// key its answer arrives under, or errNotApplicable for an MQTT 3.1.1
// request without a fixed reply topic.
func (d *mqttDriver) echoRoute(c *Case, m *MQTTMessage, id string) (string, string, error) {
	if d.t.ReplyTopic != "" {
		return "", idKey(5, id), nil
	}
	if m.Version == 3 {
		return "", "", fmt.Errorf("%w: MQTT 3.1.1 has no Response Topic, so an echo's answer to a 3.1.1 request can be found only on a fixed reply topic (--reply-topic)", errNotApplicable)
	}
	rt := d.replyTo()
	return rt, "topic " + rt, nil
}

// echo runs one echo case.
func (d *mqttDriver) echo(ctx context.Context, c *Case) error {
	if c.expectsNoEvent() {
		return d.echoNone(ctx, c)
	}
	a, err := d.exchange(ctx, c, c.MQTT)
	if err != nil {
		if errors.Is(err, errNotApplicable) {
			return err
		}
		return fmt.Errorf("the event %q published on %s (MQTT %s) got no answer: %w", requestID(c.MQTT), d.t.Topic, mqttVersion(c.MQTT.Version), err)
	}
	d.mu.Lock()
	added := d.added
	d.mu.Unlock()
	return judgeMQTT(c, a, "reply", added)
}

// echoNone runs an echo case whose message is not a valid event: it
// publishes the message and then a valid event on the same connection
// and topic, and fails when an event comes back for the first before the
// answer to the second, or within a grace period after it.
func (d *mqttDriver) echoNone(ctx context.Context, c *Case) error {
	m := c.MQTT
	if err := d.connect(ctx, 5); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	if err := d.connect(ctx, m.Version); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	x := c.Expect.MQTT
	after := afterMessage(m, x.ID)
	afterID := requestID(after)
	rt, key, err := d.echoRoute(c, m, x.ID)
	if err != nil {
		return err
	}
	keys := []string{key}
	if rt == "" {
		keys = append(keys, idKey(5, afterID))
	}
	ch, done := d.await(keys...)
	defer done()
	if err := d.publish(ctx, m, rt); err != nil {
		return err
	}
	if err := d.publish(ctx, after, rt); err != nil {
		return err
	}
	var grace <-chan time.Time
	for {
		select {
		case a := <-ch:
			if mqttEventID(a) == afterID {
				if grace == nil {
					grace = time.After(min(d.timeout/10, mqttGraceMax))
				}
				continue
			}
			if got, err := readMQTT(a); err == nil {
				return fmt.Errorf("the invalid message published on %s came back as an event: %s", d.t.Topic, describe(got))
			}
			// An answer that is no event (an error report) is not an event.
		case <-grace:
			return d.absent(rt, x.ID)
		case <-ctx.Done():
			if grace != nil {
				return d.absent(rt, x.ID)
			}
			return fmt.Errorf("%w: the provider did not answer the valid event %q published after the invalid message within %s, so the absence of an answer to the invalid one shows nothing", errNotApplicable, afterID, d.timeout)
		}
	}
}

// absent is the verdict on an invalid message that got no answer: PASS
// on its own Response Topic, where any answer would have been seen; on a
// fixed reply topic only an answer with the message's id could be told
// from the answers to other cases, so absence there decides nothing.
func (d *mqttDriver) absent(responseTopic, id string) error {
	if responseTopic != "" {
		return nil
	}
	return fmt.Errorf("%w: no event with the id %q came back on %s, but on a fixed reply topic an event the provider made up with another id cannot be told from the answers to other cases; without --reply-topic (MQTT 5.0 Response Topics) this case is decided", errNotApplicable, id, d.t.ReplyTopic)
}

// afterMessage is the valid event published after an invalid message,
// with the same client: MQTT keeps the order of one client's messages on
// one topic.
func afterMessage(m *MQTTMessage, id string) *MQTTMessage {
	aid := "after-" + id
	if id == "" {
		aid = "after-" + fmt.Sprint(time.Now().UnixNano())
	}
	if m.Version == 3 {
		b, _ := json.Marshal(map[string]string{"specversion": "1.0", "id": aid, "source": "/conformance", "type": "org.example.after"})
		return &MQTTMessage{Version: 3, Payload: Payload{Body: string(b)}}
	}
	return &MQTTMessage{Version: 5, UserProperties: [][2]string{{"specversion", "1.0"}, {"id", aid}, {"source", "/conformance"}, {"type", "org.example.after"}}}
}

// describe names an observed event in one line.
func describe(o *observed) string {
	var parts []string
	for name, v := range sortedMap(o.attrs) {
		parts = append(parts, fmt.Sprintf("%s=%q", name, v))
	}
	return fmt.Sprintf("%s mode, %s", o.mode(), strings.Join(parts, " "))
}

// judgeMQTT checks a message the provider published (what: "reply" or
// "message") against case c: how it is put on the wire (Expect.MQTT),
// then the event it carries.
func judgeMQTT(c *Case, a *mqttArrival, what string, added []string) error {
	got, err := readMQTT(a)
	if err != nil {
		return fmt.Errorf("the %s carries no event: %w", what, err)
	}
	if x := c.Expect.MQTT; x != nil {
		if x.Mode != "" && got.mode() != x.Mode {
			return fmt.Errorf("%w: the %s came in %s mode; this case checks a %s-mode %s", errNotApplicable, what, got.mode(), x.Mode, what)
		}
		bare := a.contentType == "" && len(a.props) == 0
		if x.ContentType != "" {
			switch {
			case bare:
				return fmt.Errorf("%w: the %s has no properties at all, as a message published over MQTT 3.1.1 has; its Content Type cannot be judged", errNotApplicable, what)
			case !sameMediaTypeMade(a.contentType, x.ContentType):
				// A charset of UTF-8 on a JSON type changes nothing (see
				// sameMediaTypeMade).
				return fmt.Errorf("the %s has Content Type %q, want %q", what, a.contentType, x.ContentType)
			}
		}
		if (x.UserProperties != nil || x.AbsentProperties != nil) && !got.binary {
			return fmt.Errorf("%w: the %s came in structured mode; this case checks binary-mode user properties", errNotApplicable, what)
		}
		for _, name := range x.AbsentProperties {
			for _, p := range a.props {
				if p[0] == name {
					return fmt.Errorf("the binary-mode %s carries the user property %s=%q, which it must not", what, name, p[1])
				}
			}
		}
		for name, want := range sortedMap(x.UserProperties) {
			var vs []string
			for _, p := range a.props {
				if p[0] == name {
					vs = append(vs, p[1])
				}
			}
			if len(vs) != 1 || vs[0] != want {
				return fmt.Errorf("the binary-mode %s has the user property %s %q, want %q once (its user properties: %q)", what, name, vs, want, a.props)
			}
		}
	}
	return compareEvent(c.Expect.Event, got, what, added)
}

// readMQTT decodes the event a message carries, without validating it.
// An MQTT 3.1.1 message, or one whose Content Type starts with
// application/cloudevents, is structured; an MQTT 5.0 message with user
// properties is binary (user properties, Content Type, payload). A 5.0
// message with no user property is structured when its payload is a JSON
// object (what a 3.1.1 publisher's message looks like to a 5.0
// subscriber); with another Content Type that is an error of its own,
// since a consumer reads it as binary (MQTT-MODE-3, MQTT-STRUCTURED-1).
func readMQTT(a *mqttArrival) (*observed, error) {
	if a.version == 3 || strings.HasPrefix(strings.ToLower(a.contentType), "application/cloudevents") {
		return readStructuredReply(a.payload)
	}
	if len(a.props) == 0 {
		var probe map[string]json.RawMessage
		isEvent := json.Unmarshal(a.payload, &probe) == nil && probe["specversion"] != nil
		switch {
		case isEvent && a.contentType == "":
			return readStructuredReply(a.payload)
		case isEvent:
			return nil, fmt.Errorf("the message is a structured JSON event with Content Type %q: MQTT 5.0 structured mode sets the event format's media type (application/cloudevents+json), and a consumer reads any other Content Type as binary mode, where this message has no attributes", a.contentType)
		}
		return nil, fmt.Errorf("no user properties and no cloudevents Content Type (Content Type %q, payload %s)", a.contentType, quoteData(a.payload))
	}
	o := &observed{binary: true, attrs: map[string]string{}, kinds: map[string]jsonKind{}}
	for _, p := range a.props {
		if _, dup := o.attrs[p[0]]; dup {
			return nil, fmt.Errorf("the message has the user property %s twice", p[0])
		}
		o.attrs[p[0]] = p[1]
		o.kinds[p[0]] = kindUnknown
	}
	if ct, ok := o.attrs["datacontenttype"]; ok && ct != a.contentType {
		return nil, fmt.Errorf("the message has the user property datacontenttype=%q and the Content Type %q: binary mode carries datacontenttype as the Content Type", ct, a.contentType)
	}
	if a.contentType != "" {
		o.attrs["datacontenttype"] = a.contentType
		o.kinds["datacontenttype"] = kindUnknown
	}
	if len(a.payload) > 0 {
		o.data = bytes.Clone(a.payload)
	}
	return o, nil
}
