package conformance

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/spec"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// relayFault is a seeded violation of a forwarding function between two
// topics: it may change the event or drop it.
type relayFault struct {
	name string
	want string // the requirement that must get FAIL
	// rewrite changes the event before it is forwarded; false drops it.
	rewrite func(e *event.Event, size int) bool
}

// relayFaults are the MQTT relay's seeded violations.
var relayFaults = []relayFault{
	{"relay-drops-subject", "CORE-OPTIONAL-1", func(e *event.Event, _ int) bool { e.Delete("subject"); return true }},
	{"relay-32k", "CORE-SIZE-2", func(_ *event.Event, size int) bool { return size <= 32<<10 }},
	{"relay-own-traceparent", "EXT-DISTTRACE-7", func(e *event.Event, _ int) bool {
		if _, ok := e.Extension("traceparent"); ok {
			e.SetExtension("traceparent", event.String("00-11111111111111111111111111111111-2222222222222222-01"))
		}
		return true
	}},
	{"relay-drops-expirytime", "EXT-EXPIRY-8", func(e *event.Event, _ int) bool { e.Delete("expirytime"); return true }},
}

// startRelay starts a forwarding function between two topics of the
// broker at url, built on this module's MQTT binding, applying rewrite
// (nil: forward unchanged) to every event. It runs until the test ends.
func startRelay(t *testing.T, url, in, out string, rewrite func(*event.Event, int) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Structured mode, so that MQTT 3.1.1 subscribers get the event too
	// (they see no properties).
	pub, err := cemqtt.NewPublisher(ctx, url, cemqtt.WithClientID("relay-out-"+t.Name()), cemqtt.WithMode(binding.ModeStructured))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close(context.Background()) })
	h := binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		size := len(e.Data())
		if rewrite != nil && !rewrite(e, size) {
			return nil // dropped
		}
		return pub.Publish(ctx, out, e)
	})
	sub, err := cemqtt.NewSubscriber(url, in, h, cemqtt.WithClientID("relay-in-"+t.Name()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
	if err := sub.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

// runRelay runs the MQTT relay cases against target under profile.
func runRelay(t *testing.T, target *MQTTTarget, profile Profile) *Result {
	t.Helper()
	res, err := Run(context.Background(), Config{MQTT: target, Profile: profile, RequestTimeout: 3 * time.Second, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestMQTTRelay runs the relay cases through the embedded broker alone
// (a topic delivered to its subscribers) and through a forwarding
// function between two topics, under both profiles: every MQTT case
// passes or is outside the profile, and the HTTP cases are not run.
func TestMQTTRelay(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	startRelay(t, b.URL(), "relay/in", "relay/out", nil)
	for _, target := range []MQTTTarget{
		{Broker: b.URL(), Topic: "conformance/broker"},
		{Broker: b.URL(), Topic: "relay/in", ReplyTopic: "relay/out"},
	} {
		passed := 0
		for _, text := range spec.Profiles() {
			res := runRelay(t, &target, claimAll(text))
			for _, c := range res.Cases {
				switch {
				case c.Binding == BindingMQTT && c.Verdict == Pass:
					passed++
				case c.Binding == BindingMQTT && c.Verdict == NotTested && strings.Contains(c.Message, "profile"):
				case c.Binding != BindingMQTT && c.Verdict == NotTested:
				default:
					t.Errorf("%s → %s, %s: %s: %s %s", target.Topic, target.ReplyTopic, text, c.Name, c.Verdict, c.Message)
				}
			}
			if !res.Passed {
				t.Errorf("%s, %s: verdict FAIL", target.Topic, text)
			}
		}
		if passed < 10 {
			t.Errorf("%s: %d MQTT cases passed over both profiles, want at least 10", target.Topic, passed)
		}
	}
}

// TestMQTTRelayFaults: each seeded fault of a forwarding function is
// reported as a failure of its requirement.
func TestMQTTRelayFaults(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	for i, f := range relayFaults {
		t.Run(f.name, func(t *testing.T) {
			in, out := fmt.Sprintf("fault/%d/in", i), fmt.Sprintf("fault/%d/out", i)
			startRelay(t, b.URL(), in, out, f.rewrite)
			text := spec.Profile102
			if r, _ := spec.Default().Lookup(f.want); !r.In(text) {
				text = spec.ProfileMain
			}
			res := runRelay(t, &MQTTTarget{Broker: b.URL(), Topic: in, ReplyTopic: out}, claimAll(text))
			caught := false
			for _, rr := range res.Requirements {
				if rr.ID == f.want && rr.Verdict == Fail {
					caught = true
					t.Logf("%s: %s", rr.ID, rr.Message)
				}
			}
			if !caught {
				t.Errorf("fault %s was not reported as a failure of %s", f.name, f.want)
			}
		})
	}
}
