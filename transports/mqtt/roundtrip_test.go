package mqtt_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// collector is a Handler that keeps a copy of every event it is given.
type collector struct {
	events chan event.Event
}

func newCollector() *collector { return &collector{events: make(chan event.Event, 1024)} }

func (c *collector) Handle(_ context.Context, e *event.Event) error {
	c.events <- e.Clone()
	return nil
}

func (c *collector) next(t testing.TB) event.Event {
	t.Helper()
	select {
	case e := <-c.events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return event.Event{}
	}
}

// errSink collects what a Subscriber reports to its error hook.
type errSink struct {
	mu   sync.Mutex
	errs []error
	ch   chan error
}

func newErrSink() *errSink { return &errSink{ch: make(chan error, 64)} }

func (s *errSink) hook(_ string, err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
	select {
	case s.ch <- err:
	default:
	}
}

func (s *errSink) next(t testing.TB) error {
	t.Helper()
	select {
	case err := <-s.ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no error reported within 10s")
		return nil
	}
}

var topicSeq atomic.Int64

// topic returns a topic no other test uses, so that runs against a
// shared Mosquitto do not see each other's messages.
func topic(t testing.TB) string {
	return fmt.Sprintf("openevents/test/%s/%d/%d", strings.ReplaceAll(t.Name(), "/", "_"), time.Now().UnixNano(), topicSeq.Add(1))
}

func sampleEvents() map[string]*event.Event {
	base := func() *event.Event {
		e := new(event.Event)
		e.SetSpecVersion("1.0")
		e.SetID("A234-1234-1234")
		e.SetSource("/mycontext/sensors/17")
		e.SetType("com.example.sensor.reading")
		return e
	}
	m := map[string]*event.Event{}
	m["minimal"] = base()

	e := base()
	e.SetDataContentType("application/json")
	e.SetSubject("temperature")
	e.SetTime("2026-11-26T00:00:00.123Z")
	e.SetDataSchema("https://example.com/schemas/reading.json")
	e.SetExtension("comexampleextension", event.String("value"))
	e.SetExtension("count", event.Integer(42))
	e.SetExtension("flag", event.Boolean(true))
	e.SetData([]byte(`{"celsius":21.5,"ok":true}`))
	m["json"] = e

	e = base()
	e.SetDataContentType("text/plain; charset=utf-8")
	e.SetData([]byte("héllo wörld"))
	m["text"] = e

	e = base()
	e.SetDataContentType("application/octet-stream")
	e.SetBinaryData([]byte{0, 1, 2, 0xff, 0xfe})
	m["binary"] = e
	return m
}

// binaryView is what an event looks like after a binary-mode trip:
// extension values arrive as strings (user properties have no type).
func binaryView(e *event.Event) *event.Event {
	c := e.Clone()
	for _, x := range e.Extensions() {
		c.SetExtension(x.Name, event.String(x.Value.String()))
	}
	return &c
}

func TestRoundTrip(t *testing.T) {
	forEachBroker(t, func(t *testing.T, tg target) {
		modes := []struct {
			name    string
			version cemqtt.Version
			mode    binding.Mode
		}{
			{"v5-binary", cemqtt.Version5, binding.ModeBinary},
			{"v5-structured", cemqtt.Version5, binding.ModeStructured},
			{"v311-structured", cemqtt.Version311, binding.ModeStructured},
		}
		for _, m := range modes {
			t.Run(m.name, func(t *testing.T) {
				ctx := testContext(t)
				tp := topic(t)
				col := newCollector()
				errs := newErrSink()
				sub, err := startSubscriber(ctx, tg.url, tp, col, cemqtt.WithVersion(m.version), cemqtt.WithCleanStart(true), cemqtt.WithErrorHook(errs.hook))
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = sub.Shutdown(context.Background()) }()
				pub, err := cemqtt.NewPublisher(ctx, tg.url, cemqtt.WithVersion(m.version), cemqtt.WithMode(m.mode))
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = pub.Close(context.Background()) }()

				events := sampleEvents()
				names := slices.Sorted(func(yield func(string) bool) {
					for k := range events {
						if !yield(k) {
							return
						}
					}
				})
				for _, name := range names {
					if err := pub.Publish(ctx, tp, events[name]); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				}
				for _, name := range names {
					got := col.next(t)
					want := events[name]
					if m.mode == binding.ModeBinary {
						want = binaryView(want)
					}
					if !got.Equal(want) {
						gj, _ := jsonOf(&got)
						wj, _ := jsonOf(want)
						t.Errorf("%s: round trip changed the event\n got %s\nwant %s", name, gj, wj)
					}
				}
				errs.mu.Lock()
				defer errs.mu.Unlock()
				if len(errs.errs) > 0 {
					t.Errorf("subscriber reported errors: %v", errs.errs)
				}
			})
		}
	})
}

// TestBinaryWire checks the binary-mode wire image with a bare paho
// client: bare attribute names as user properties (MQTT-BINARY-6),
// canonical string values (MQTT-BINARY-7), datacontenttype as Content
// Type (MQTT-BINARY-1) and the data as payload (MQTT-BINARY-2).
func TestBinaryWire(t *testing.T) {
	forEachBroker(t, func(t *testing.T, tg target) {
		ctx := testContext(t)
		tp := topic(t)
		raw := dialRaw(t, tg.url, "raw-"+tp[len(tp)-8:])
		raw.subscribe(t, tp)
		pub, err := cemqtt.NewPublisher(ctx, tg.url)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = pub.Close(context.Background()) }()
		e := sampleEvents()["json"]
		if err := pub.Publish(ctx, tp, e); err != nil {
			t.Fatal(err)
		}
		p := raw.next(t)
		if p.Properties == nil {
			t.Fatal("no PUBLISH properties")
		}
		if p.Properties.ContentType != "application/json" {
			t.Errorf("Content Type %q, want application/json", p.Properties.ContentType)
		}
		if string(p.Payload) != string(e.Data()) {
			t.Errorf("payload %q, want %q", p.Payload, e.Data())
		}
		got := map[string]string{}
		for _, u := range p.Properties.User {
			if _, dup := got[u.Key]; dup {
				t.Errorf("user property %s twice", u.Key)
			}
			got[u.Key] = u.Value
		}
		want := map[string]string{
			"specversion": "1.0", "id": "A234-1234-1234", "source": "/mycontext/sensors/17",
			"type": "com.example.sensor.reading", "subject": "temperature",
			"time": "2026-11-26T00:00:00.123Z", "dataschema": "https://example.com/schemas/reading.json",
			"comexampleextension": "value", "count": "42", "flag": "true",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("user property %s = %q, want %q", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected user property %s=%q", k, got[k])
			}
		}
	})
}

// TestStructuredWire checks that structured mode over MQTT 5.0 sets the
// format's media type as Content Type (MQTT-STRUCTURED-1).
func TestStructuredWire(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	raw := dialRaw(t, b.URL(), "raw-structured")
	raw.subscribe(t, tp)
	pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithMode(binding.ModeStructured))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	if err := pub.Publish(ctx, tp, sampleEvents()["minimal"]); err != nil {
		t.Fatal(err)
	}
	p := raw.next(t)
	if p.Properties == nil || p.Properties.ContentType != "application/cloudevents+json" {
		t.Errorf("properties %+v, want Content Type application/cloudevents+json", p.Properties)
	}
	if !strings.Contains(string(p.Payload), `"specversion":"1.0"`) {
		t.Errorf("payload %s is not a JSON-format event", p.Payload)
	}
}

// TestReceiveModes publishes hand-made wire messages, good and bad, with a
// bare client. Bad ones reach the error hook with a requirement ID and do
// not stop the subscriber: the good message after each still arrives.
func TestReceiveModes(t *testing.T) {
	good := func(id string) *paho.Publish {
		return &paho.Publish{QoS: 1, Payload: []byte(`{"n":1}`), Properties: &paho.PublishProperties{
			ContentType: "application/json",
			User: paho.UserProperties{
				{Key: "specversion", Value: "1.0"}, {Key: "id", Value: id},
				{Key: "source", Value: "/s"}, {Key: "type", Value: "t"},
				{Key: "X-Other-Metadata", Value: "ignored"},
			},
		}}
	}
	tests := []struct {
		name     string
		msg      *paho.Publish
		wantRule string // "" when the message is a good event
		wantErr  error
	}{
		{name: "binary", msg: good("b1")},
		{name: "structured", msg: &paho.Publish{QoS: 1, Payload: []byte(`{"specversion":"1.0","id":"s1","source":"/s","type":"t"}`),
			Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json; charset=utf-8"}}},
		{name: "bad JSON", msg: &paho.Publish{QoS: 1, Payload: []byte(`{"specversion":"1.0",`),
			Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json"}}, wantRule: "JSON-SYNTAX-1"},
		{name: "structured missing id", msg: &paho.Publish{QoS: 1, Payload: []byte(`{"specversion":"1.0","source":"/s","type":"t"}`),
			Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json"}}, wantRule: "CORE-ATTR-ID-1"},
		{name: "binary missing id", msg: &paho.Publish{QoS: 1, Payload: []byte(`1`), Properties: &paho.PublishProperties{
			ContentType: "application/json",
			User:        paho.UserProperties{{Key: "specversion", Value: "1.0"}, {Key: "source", Value: "/s"}, {Key: "type", Value: "t"}},
		}}, wantRule: "CORE-ATTR-ID-1"},
		{name: "ce- prefixed properties (sdk-go)", msg: &paho.Publish{QoS: 1, Payload: []byte(`1`), Properties: &paho.PublishProperties{
			ContentType: "application/json",
			User: paho.UserProperties{{Key: "ce-specversion", Value: "1.0"}, {Key: "ce-id", Value: "x"},
				{Key: "ce-source", Value: "/s"}, {Key: "ce-type", Value: "t"}},
		}}, wantRule: "CORE-ATTR-ID-1"},
		{name: "duplicate user property", msg: &paho.Publish{QoS: 1, Properties: &paho.PublishProperties{
			User: paho.UserProperties{{Key: "specversion", Value: "1.0"}, {Key: "id", Value: "x"}, {Key: "id", Value: "y"},
				{Key: "source", Value: "/s"}, {Key: "type", Value: "t"}},
		}}, wantRule: "MQTT-BINARY-3"},
		{name: "unsupported format", msg: &paho.Publish{QoS: 1, Payload: []byte{1, 2},
			Properties: &paho.PublishProperties{ContentType: "application/cloudevents+avro"}}, wantErr: cemqtt.ErrUnsupportedFormat},
		{name: "batch", msg: &paho.Publish{QoS: 1, Payload: []byte(`[]`),
			Properties: &paho.PublishProperties{ContentType: "application/cloudevents-batch+json"}}, wantErr: cemqtt.ErrUnsupportedFormat},
		{name: "no properties: from a 3.1.1 publisher", msg: &paho.Publish{QoS: 1, Payload: []byte(`{"specversion":"1.0","id":"s1","source":"/s","type":"t"}`)}},
		{name: "no properties, not JSON", msg: &paho.Publish{QoS: 1, Payload: []byte(`hello`)}, wantRule: "JSON-SYNTAX-1"},
	}
	forEachBroker(t, func(t *testing.T, tg target) {
		ctx := testContext(t)
		tp := topic(t)
		col := newCollector()
		errs := newErrSink()
		sub, err := startSubscriber(ctx, tg.url, tp, col, cemqtt.WithCleanStart(true), cemqtt.WithErrorHook(errs.hook))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sub.Shutdown(context.Background()) }()
		raw := dialRaw(t, tg.url, "raw-"+tp[len(tp)-8:])
		for i, tt := range tests {
			tt.msg.Topic = tp
			raw.publish(t, tt.msg)
			follow := fmt.Sprintf("follow-%d", i)
			g := good(follow)
			g.Topic = tp
			raw.publish(t, g) // a good event after each, to show the subscriber goes on
			if tt.wantRule == "" && tt.wantErr == nil {
				if e := col.next(t); e.SpecVersion() != "1.0" {
					t.Errorf("%s: got %v", tt.name, e.ID())
				}
			} else {
				err := errs.next(t)
				var me *cemqtt.MessageError
				if !errors.As(err, &me) || me.Topic != tp {
					t.Errorf("%s: hook got %v, want a *MessageError for topic %s", tt.name, err, tp)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("%s: hook got %v, want %v", tt.name, err, tt.wantErr)
				}
				if tt.wantRule != "" && !strings.Contains(err.Error(), tt.wantRule) {
					t.Errorf("%s: hook got %v, want requirement %s", tt.name, err, tt.wantRule)
				}
			}
			if e := col.next(t); e.ID() != follow {
				t.Errorf("%s: next event %q, want %q", tt.name, e.ID(), follow)
			}
		}
	})
}

// TestV311BadPayload: a 3.1.1 payload that is not a JSON-format event is
// refused (MQTT-V311-1) and the subscriber goes on.
func TestV311BadPayload(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	col := newCollector()
	errs := newErrSink()
	sub, err := startSubscriber(ctx, b.URL(), tp, col, cemqtt.WithVersion(cemqtt.Version311), cemqtt.WithErrorHook(errs.hook))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	raw := dialRaw(t, b.URL(), "raw-v311")
	raw.publish(t, &paho.Publish{Topic: tp, QoS: 1, Payload: []byte("not json")})
	raw.publish(t, &paho.Publish{Topic: tp, QoS: 1, Payload: []byte(`{"specversion":"1.0","id":"ok","source":"/s","type":"t"}`)})
	if err := errs.next(t); !strings.Contains(err.Error(), "JSON-SYNTAX-1") {
		t.Errorf("hook got %v, want JSON-SYNTAX-1", err)
	}
	if e := col.next(t); e.ID() != "ok" {
		t.Errorf("got %q", e.ID())
	}
}

func TestHandlerFailures(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	var mu sync.Mutex
	calls := map[string]int{}
	callsOf := func(id string) int {
		mu.Lock()
		defer mu.Unlock()
		return calls[id]
	}
	done := make(chan string, 16)
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		mu.Lock()
		calls[e.ID()]++
		n := calls[e.ID()]
		mu.Unlock()
		switch {
		case e.ID() == "poison":
			return fmt.Errorf("never: %w", binding.ErrRejected)
		case e.ID() == "flaky" && n == 1:
			return errors.New("database busy")
		case e.ID() == "panicky" && n == 1:
			panic("handler bug") // recovered: not acknowledged, so redelivered
		}
		done <- e.ID()
		return nil
	})
	errs := newErrSink()
	sub, err := startSubscriber(ctx, b.URL(), tp, h, cemqtt.WithErrorHook(errs.hook),
		cemqtt.WithReconnectBackoff(10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	pub, err := cemqtt.NewPublisher(ctx, b.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	for _, id := range []string{"poison", "flaky", "panicky", "after"} {
		e := sampleEvents()["minimal"]
		e.SetID(id)
		if err := pub.Publish(ctx, tp, e); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	for len(got) < 3 {
		select {
		case id := <-done:
			got[id] = true
		case <-ctx.Done():
			t.Fatalf("handled %v before timeout; want flaky, panicky and after", got)
		}
	}
	if !got["flaky"] || !got["panicky"] || !got["after"] {
		t.Errorf("handled %v, want flaky, panicky and after", got)
	}
	for _, id := range []string{"flaky", "panicky"} {
		if n := callsOf(id); n < 2 {
			t.Errorf("%s handled %d times, want a redelivery", id, n)
		}
	}
	if n := callsOf("poison"); n != 1 {
		t.Errorf("poison handled %d times, want 1 (a rejection is final)", n)
	}
	var sawReject, sawTransient, sawPanic bool
	errs.mu.Lock()
	for _, err := range errs.errs {
		var me *cemqtt.MessageError
		var he *cemqtt.HandlerError
		var pe *binding.PanicError
		sawReject = sawReject || (errors.As(err, &me) && errors.Is(err, binding.ErrRejected))
		sawTransient = sawTransient || errors.As(err, &he)
		sawPanic = sawPanic || (errors.As(err, &he) && errors.As(err, &pe))
	}
	errs.mu.Unlock()
	if !sawReject || !sawTransient || !sawPanic {
		t.Errorf("hook saw rejection %v, transient failure %v, panic %v; want all three", sawReject, sawTransient, sawPanic)
	}
}

func TestSharedSubscription(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	var mu sync.Mutex
	seen := map[string]int{}
	perSub := [2]int{}
	all := make(chan struct{}, 64)
	const n = 20
	for i := range 2 {
		h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
			mu.Lock()
			seen[e.ID()]++
			perSub[i]++
			mu.Unlock()
			all <- struct{}{}
			return nil
		})
		sub, err := startSubscriber(ctx, b.URL(), "$share/workers/"+tp, h, cemqtt.WithCleanStart(true))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
	}
	pub, err := cemqtt.NewPublisher(ctx, b.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	for i := range n {
		e := sampleEvents()["minimal"]
		e.SetID(fmt.Sprint(i))
		if err := pub.Publish(ctx, tp, e); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		select {
		case <-all:
		case <-ctx.Done():
			t.Fatal("timeout")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Errorf("%d distinct events, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("event %s delivered %d times to the group", id, c)
		}
	}
	t.Logf("shared subscription split: %v", perSub)
}

// TestQoS2 delivers exactly once through both versions at QoS 2.
func TestQoS2(t *testing.T) {
	forEachBroker(t, func(t *testing.T, tg target) {
		for _, v := range []cemqtt.Version{cemqtt.Version5, cemqtt.Version311} {
			t.Run(v.String(), func(t *testing.T) {
				ctx := testContext(t)
				tp := topic(t)
				col := newCollector()
				sub, err := startSubscriber(ctx, tg.url, tp, col, cemqtt.WithVersion(v), cemqtt.WithQoS(2), cemqtt.WithCleanStart(true))
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = sub.Shutdown(context.Background()) }()
				pub, err := cemqtt.NewPublisher(ctx, tg.url, cemqtt.WithVersion(v), cemqtt.WithQoS(2))
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = pub.Close(context.Background()) }()
				for i := range 5 {
					e := sampleEvents()["json"]
					e.SetID(fmt.Sprint(i))
					if err := pub.Publish(ctx, tp, e); err != nil {
						t.Fatal(err)
					}
				}
				for i := range 5 {
					if e := col.next(t); e.ID() != fmt.Sprint(i) {
						t.Errorf("event %d: id %q", i, e.ID())
					}
				}
			})
		}
	})
}
