package conformance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/runtime/trigger"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// mqttMsg is an MQTT 5.0 PUBLISH as a rewriter sees and changes it.
type mqttMsg struct {
	topic         string
	contentType   string
	responseTopic string
	props         [][2]string
	payload       []byte
}

func (m *mqttMsg) deleteProp(name string) {
	out := m.props[:0]
	for _, p := range m.props {
		if p[0] != name {
			out = append(out, p)
		}
	}
	m.props = out
}

func (m *mqttMsg) structured() bool {
	return strings.HasPrefix(strings.ToLower(m.contentType), "application/cloudevents")
}

// startRewriter passes every message published under the filter from
// on to the topic that route names, after rewrite (nil: unchanged; false:
// dropped). It is a raw paho client, so it can write what no encoder
// would. It runs until the test ends.
func startRewriter(t *testing.T, brokerURL, from string, route func(*mqttMsg) string, rewrite func(*mqttMsg) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	var c *paho.Client
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	c = paho.NewClient(paho.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			m := &mqttMsg{topic: pr.Packet.Topic, payload: pr.Packet.Payload}
			if p := pr.Packet.Properties; p != nil {
				m.contentType, m.responseTopic = p.ContentType, p.ResponseTopic
				for _, up := range p.User {
					m.props = append(m.props, [2]string{up.Key, up.Value})
				}
			}
			to := route(m)
			if rewrite != nil && !rewrite(m) {
				return true, nil
			}
			p := &paho.Publish{Topic: to, QoS: 1, Payload: m.payload, Properties: &paho.PublishProperties{ContentType: m.contentType, ResponseTopic: m.responseTopic}}
			for _, up := range m.props {
				p.Properties.User = append(p.Properties.User, paho.UserProperty{Key: up[0], Value: up[1]})
			}
			// Not on paho's receiving goroutine, which must go on to read
			// the acknowledgement.
			wg.Go(func() {
				pctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				select {
				case <-stopped:
				default:
					_, _ = c.Publish(pctx, p)
				}
			})
			return true, nil
		}},
	})
	id := fmt.Sprintf("rewriter-%d", time.Now().UnixNano())
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: from, QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(stopped)
		wg.Wait()
		_ = c.Disconnect(&paho.Disconnect{})
	})
}

// startEcho starts what `ce run` runs for an MQTT trigger with the echo
// function: runtime/trigger's MQTT trigger, answering each event with
// itself on the request's Response Topic, in the given mode.
func startEcho(t *testing.T, brokerURL, topic string, mode binding.Mode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	echo := trigger.DispatchFunc(func(_ context.Context, e *event.Event) (*event.Event, error) {
		r := e.Clone()
		return &r, nil
	})
	tr, err := trigger.NewMQTT(brokerURL, topic, echo, nil, []cemqtt.PublisherOption{cemqtt.WithMode(mode)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
}

// mqttFault is a seeded violation of an MQTT provider: an echo whose
// requests or replies are rewritten on the way (the echo itself is the
// correct one), or a sender whose messages are.
type mqttFault struct {
	name string
	want string // the requirement that must get FAIL
	// request and reply rewrite an echo's traffic; sent a sender's.
	request, reply, sent func(*mqttMsg) bool
	// structured makes the echo answer in structured mode; fixed on a
	// fixed reply topic (so that the MQTT 3.1.1 cases run).
	structured, fixed bool
}

// mqttFaults are the MQTT echo and sender faults.
var mqttFaults = []mqttFault{
	{name: "echo-drops-extensions", want: "MQTT-BINARY-3", request: func(m *mqttMsg) bool {
		m.deleteProp("comexampleext")
		return true
	}},
	{name: "echo-strips-ce-prefix", want: "MQTT-BINARY-6", request: func(m *mqttMsg) bool {
		for i, p := range m.props {
			m.props[i][0] = strings.TrimPrefix(p[0], "ce-")
		}
		return true
	}},
	{name: "echo-reply-ce-prefix", want: "MQTT-BINARY-6", reply: func(m *mqttMsg) bool {
		for i, p := range m.props {
			m.props[i][0] = "ce-" + p[0]
		}
		return true
	}},
	{name: "echo-reply-json-values", want: "MQTT-BINARY-7", reply: func(m *mqttMsg) bool {
		for i, p := range m.props {
			b, _ := json.Marshal(p[1])
			m.props[i][1] = string(b)
		}
		return true
	}},
	{name: "echo-ignores-content-type", want: "MQTT-BINARY-1", request: func(m *mqttMsg) bool {
		if !m.structured() {
			m.contentType = ""
		}
		return true
	}},
	{name: "echo-reply-datacontenttype-property", want: "MQTT-BINARY-1", reply: func(m *mqttMsg) bool {
		if !m.structured() && m.contentType != "" {
			m.props = append(m.props, [2]string{"datacontenttype", m.contentType})
		}
		return true
	}},
	{name: "echo-data-as-text", want: "MQTT-BINARY-2", request: func(m *mqttMsg) bool {
		if !m.structured() {
			m.payload = []byte(strings.ToValidUTF8(string(m.payload), "\uFFFD"))
		}
		return true
	}},
	{name: "echo-reply-base64-payload", want: "MQTT-BINARY-2", reply: func(m *mqttMsg) bool {
		if !m.structured() {
			m.payload = []byte(base64.StdEncoding.EncodeToString(m.payload))
		}
		return true
	}},
	{name: "echo-sniffs-json-payload", want: "MQTT-MODE-3", request: func(m *mqttMsg) bool {
		var probe map[string]any
		if json.Unmarshal(m.payload, &probe) == nil && probe["specversion"] != nil {
			m.contentType, m.props = "application/cloudevents+json", nil
		}
		return true
	}},
	{name: "echo-exact-structured-type", want: "MQTT-MODE-3", request: func(m *mqttMsg) bool {
		if m.structured() && m.contentType != "application/cloudevents+json" {
			m.contentType = "application/octet-stream"
		}
		return true
	}},
	{name: "echo-reply-structured-as-json", want: "MQTT-STRUCTURED-1", structured: true, reply: func(m *mqttMsg) bool {
		if m.structured() {
			m.contentType = "application/json"
		}
		return true
	}},
	{name: "echo-structured-drops-data", want: "MQTT-STRUCTURED-3", request: func(m *mqttMsg) bool {
		if m.structured() {
			var members map[string]json.RawMessage
			if json.Unmarshal(m.payload, &members) == nil {
				delete(members, "data")
				m.payload, _ = json.Marshal(members)
			}
		}
		return true
	}},
	{name: "echo-v5-only", want: "MQTT-V311-1", fixed: true, request: func(m *mqttMsg) bool {
		if m.contentType == "" && len(m.props) == 0 {
			m.contentType = "application/octet-stream" // reads a property-less message as binary mode
		}
		return true
	}},
	{name: "echo-user-properties-mean-binary", want: "MQTT-STRUCTURED-4", request: func(m *mqttMsg) bool {
		if m.structured() && len(m.props) > 0 {
			m.contentType = "application/json"
		}
		return true
	}},

	{name: "sender-ce-prefix", want: "MQTT-BINARY-6", sent: func(m *mqttMsg) bool {
		for i, p := range m.props {
			m.props[i][0] = "ce-" + p[0]
		}
		return true
	}},
	{name: "sender-datacontenttype-property", want: "MQTT-BINARY-1", sent: func(m *mqttMsg) bool {
		if !m.structured() && m.contentType != "" {
			m.props = append(m.props, [2]string{"datacontenttype", m.contentType})
		}
		return true
	}},
	{name: "sender-base64-payload", want: "MQTT-BINARY-2", sent: func(m *mqttMsg) bool {
		if !m.structured() && len(m.props) > 0 {
			m.payload = []byte(base64.StdEncoding.EncodeToString(m.payload))
		}
		return true
	}},
	{name: "sender-extensions-in-one-property", want: "MQTT-BINARY-3", sent: func(m *mqttMsg) bool {
		var kept [][2]string
		ext := map[string]string{}
		for _, p := range m.props {
			if event.IsCoreAttribute(p[0]) {
				kept = append(kept, p)
			} else {
				ext[p[0]] = p[1]
			}
		}
		if len(ext) > 0 {
			b, _ := json.Marshal(ext)
			m.props = append(kept, [2]string{"extensions", string(b)})
		}
		return true
	}},
	{name: "sender-json-values", want: "MQTT-BINARY-7", sent: func(m *mqttMsg) bool {
		for i, p := range m.props {
			b, _ := json.Marshal(p[1])
			m.props[i][1] = string(b)
		}
		return true
	}},
	{name: "sender-structured-as-json", want: "MQTT-STRUCTURED-1", sent: func(m *mqttMsg) bool {
		if m.structured() {
			m.contentType = "application/json"
		}
		return true
	}},
	{name: "sender-structured-drops-extensions", want: "MQTT-STRUCTURED-3", sent: func(m *mqttMsg) bool {
		if m.structured() || (m.contentType == "" && len(m.props) == 0) {
			var members map[string]json.RawMessage
			if json.Unmarshal(m.payload, &members) == nil {
				for k := range members {
					if !event.IsCoreAttribute(k) && k != "data" && k != "data_base64" {
						delete(members, k)
					}
				}
				m.payload, _ = json.Marshal(members)
			}
		}
		return true
	}},
	{name: "sender-binary-over-311", want: "MQTT-MODE-1", sent: func(m *mqttMsg) bool {
		if m.contentType == "" && len(m.props) == 0 {
			// What binary mode leaves over 3.1.1, which has no properties:
			// the data alone.
			var e event.Event
			if jsonformat.Decode(m.payload, &e) == nil {
				m.payload = e.Data()
			}
		}
		return true
	}},
	{name: "sender-311-drops-data", want: "MQTT-V311-1", sent: func(m *mqttMsg) bool {
		if m.contentType == "" && len(m.props) == 0 {
			var members map[string]json.RawMessage
			if json.Unmarshal(m.payload, &members) == nil {
				delete(members, "data")
				m.payload, _ = json.Marshal(members)
			}
		}
		return true
	}},
}

// mqttSend is the correct MQTT sender: this module's publisher, one
// PUBLISH per event, to topic (not to.Topic, so that a rewriter can sit
// between).
func mqttSend(topic string) func(ctx context.Context, to MQTTSend, events []byte) error {
	return func(ctx context.Context, to MQTTSend, events []byte) error {
		es, err := jsonformat.DecodeBatch(events, nil)
		if err != nil {
			return err
		}
		opts := []cemqtt.PublisherOption{cemqtt.WithMode(binding.ModeBinary)}
		if to.Mode == ModeStructured {
			opts[0] = cemqtt.WithMode(binding.ModeStructured)
		}
		if to.Version == 3 {
			opts = append(opts, cemqtt.WithVersion(cemqtt.Version311))
		}
		p, err := cemqtt.NewPublisher(ctx, to.Broker, opts...)
		if err != nil {
			return err
		}
		defer func() { _ = p.Close(context.Background()) }()
		for i := range es {
			if err := p.Publish(ctx, topic, &es[i]); err != nil {
				return fmt.Errorf("event %s: %w", es[i].ID(), err)
			}
		}
		return nil
	}
}

// mqttProvider starts the provider with fault f (zero: the correct one)
// under prefix on the broker and returns the target to test. fixed makes
// an echo answer on a fixed reply topic instead of the Response Topic.
func mqttProvider(t *testing.T, brokerURL, prefix string, f mqttFault, fixed bool) (*MQTTTarget, *SenderTarget) {
	t.Helper()
	if f.sent != nil {
		raw := prefix + "/raw"
		startRewriter(t, brokerURL, raw, func(*mqttMsg) string { return prefix + "/out" }, f.sent)
		return &MQTTTarget{Broker: brokerURL, Topic: prefix + "/out", Role: RoleSender}, &SenderTarget{SendMQTT: mqttSend(raw)}
	}
	if strings.HasPrefix(f.name, "sender") {
		return &MQTTTarget{Broker: brokerURL, Topic: prefix + "/out", Role: RoleSender}, &SenderTarget{SendMQTT: mqttSend(prefix + "/out")}
	}
	mode := binding.ModeBinary
	if f.structured {
		mode = binding.ModeStructured
	}
	target := &MQTTTarget{Broker: brokerURL, Topic: prefix + "/in", Role: RoleEcho}
	if f.request == nil && f.reply == nil && !fixed {
		startEcho(t, brokerURL, target.Topic, mode)
		return target, nil
	}
	// suite → in → (request rewrite) → mid → echo → back/<reply topic>
	// → (reply rewrite) → reply topic.
	back := prefix + "/back/"
	if fixed {
		target.ReplyTopic = prefix + "/replies"
	}
	startEcho(t, brokerURL, prefix+"/mid", mode)
	startRewriter(t, brokerURL, back+"#", func(m *mqttMsg) string { return strings.TrimPrefix(m.topic, back) }, f.reply)
	startRewriter(t, brokerURL, target.Topic, func(m *mqttMsg) string {
		rt := m.responseTopic
		if fixed {
			rt = target.ReplyTopic
		}
		m.responseTopic = back + rt
		return prefix + "/mid"
	}, f.request)
	return target, nil
}
