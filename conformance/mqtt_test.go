package conformance

import (
	"context"
	"fmt"
	"strings"
	"sync"
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
				case c.Binding == BindingMQTT && c.Verdict == NotTested && c.Role != RoleRelay:
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
			wantCaught(t, res, f.name, f.want)
		})
	}
}

// runMQTT runs the MQTT cases against target (and sender) under profile.
func runMQTT(t *testing.T, target *MQTTTarget, sender *SenderTarget, profile Profile) *Result {
	t.Helper()
	res, err := Run(context.Background(), Config{MQTT: target, Sender: sender, Profile: profile, LabelFilter: BindingMQTT, RequestTimeout: 3 * time.Second, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestMQTTEchoAndSender runs the echo cases against what `ce run` runs
// (the MQTT trigger with the echo function), answering in binary and in
// structured mode, on the Response Topic and on a fixed reply topic, and
// the sender cases against this module's publisher, under both profiles:
// no case fails, every case of the role passes in some configuration,
// and a case that cannot be judged says why.
func TestMQTTEchoAndSender(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	passed := map[string]bool{}
	roles := map[string]Role{}
	for i, p := range []struct {
		name  string
		fault mqttFault
		fixed bool
	}{
		{"echo binary, response topic", mqttFault{}, false},
		{"echo structured, response topic", mqttFault{structured: true}, false},
		{"echo binary, fixed reply topic", mqttFault{}, true},
		{"sender", mqttFault{name: "sender"}, false},
	} {
		target, sender := mqttProvider(t, b.URL(), fmt.Sprintf("good/%d", i), p.fault, p.fixed)
		for _, text := range spec.Profiles() {
			res := runMQTT(t, target, sender, claimAll(text))
			for _, c := range res.Cases {
				if c.Binding != BindingMQTT {
					continue
				}
				roles[c.Name] = c.Role
				switch c.Verdict {
				case Pass:
					passed[c.Name] = true
				case Fail:
					t.Errorf("%s, %s: %s: FAIL: %s", p.name, text, c.Name, c.Message)
				case NotTested:
					if c.Message == "" {
						t.Errorf("%s, %s: %s: NOT-TESTED without a reason", p.name, text, c.Name)
					}
				}
			}
			if !res.Passed {
				t.Errorf("%s, %s: verdict FAIL", p.name, text)
			}
			if target.Role == RoleEcho && !strings.Contains(strings.Join(res.Notes, "\n"), "receiver-role rules") {
				t.Errorf("%s: the run's notes do not say that receiver-role rules are not tested over MQTT: %q", p.name, res.Notes)
			}
		}
	}
	t.Logf("%d MQTT cases passed somewhere: %v", len(passed), passed)
	for name, role := range roles {
		if (role == RoleEcho || role == RoleSender) && !passed[name] {
			t.Errorf("%s case %q passed in no configuration", role, name)
		}
	}
}

// TestMQTTFaults: each seeded fault of an MQTT echo or sender is
// reported as a failure of its requirement.
func TestMQTTFaults(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	names := map[string]bool{}
	for i, f := range mqttFaults {
		if names[f.name] {
			t.Errorf("fault %s is defined twice", f.name)
		}
		names[f.name] = true
		t.Run(f.name, func(t *testing.T) {
			target, sender := mqttProvider(t, b.URL(), fmt.Sprintf("mqttfault/%d", i), f, f.fixed)
			text := spec.Profile102
			if r, _ := spec.Default().Lookup(f.want); !r.In(text) {
				text = spec.ProfileMain
			}
			res := runMQTT(t, target, sender, claimAll(text))
			if !wantCaught(t, res, f.name, f.want) {
				for _, c := range res.Cases {
					if c.Binding == BindingMQTT {
						t.Logf("%s %s: %s", c.Name, c.Verdict, c.Message)
					}
				}
			}
		})
	}
}

// TestMQTTVersionClaim: a provider that claims MQTT 5.0 only gets the
// 3.1.1 cases NOT-TESTED, saying why, and its sender is not asked for
// 3.1.1; the 5.0 cases still pass.
func TestMQTTVersionClaim(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	asked := map[int]bool{}
	var mu sync.Mutex
	echo, _ := mqttProvider(t, b.URL(), "claim/echo", mqttFault{}, true)
	sender, send := mqttProvider(t, b.URL(), "claim/sender", mqttFault{name: "sender"}, false)
	inner := send.SendMQTT
	send.SendMQTT = func(ctx context.Context, to MQTTSend, events []byte) error {
		mu.Lock()
		asked[to.Version] = true
		mu.Unlock()
		return inner(ctx, to, events)
	}
	for _, run := range []struct {
		target *MQTTTarget
		sender *SenderTarget
	}{{echo, nil}, {sender, send}} {
		run.target.Versions = []int{5}
		res := runMQTT(t, run.target, run.sender, claimAll(spec.Profile102))
		passed := 0
		for _, c := range res.Cases {
			if c.Binding != BindingMQTT || c.Role != run.target.Role {
				continue
			}
			is311 := strings.Contains(c.Name, "3.1.1")
			switch {
			case c.Verdict == Pass && !is311:
				passed++
			case c.Verdict == NotTested && is311 && strings.Contains(c.Message, "claims MQTT 5.0 only"):
			case c.Verdict == NotTested && !is311:
			default:
				t.Errorf("%s: %s: %s %s", run.target.Role, c.Name, c.Verdict, c.Message)
			}
		}
		if passed == 0 {
			t.Errorf("%s: no MQTT 5.0 case passed", run.target.Role)
		}
	}
	if asked[3] || !asked[5] {
		t.Errorf("the sender was asked for versions %v, want 5.0 alone", asked)
	}
}
