package mqtt_test

import (
	"context"
	"errors"
	"testing"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// binaryWithProps is an MQTT 5.0 binary-mode message: the required
// attributes and one user property per extension name, in that order.
func binaryWithProps(tp string, names []string) *paho.Publish {
	props := []paho.UserProperty{{Key: "specversion", Value: "1.0"}, {Key: "id", Value: "many"}, {Key: "source", Value: "/s"}, {Key: "type", Value: "t"}}
	for _, n := range names {
		props = append(props, paho.UserProperty{Key: n, Value: "v"})
	}
	return &paho.Publish{Topic: tp, QoS: 1, Payload: []byte("x"), Properties: &paho.PublishProperties{ContentType: "text/plain", User: props}}
}

// TestManyAttributes replays the extension attack on a subscriber: a
// message of 80,000 user properties in reverse order (which once held
// the subscription for 6 s) is refused by the default attribute limit
// and reported through the error hook, and the next message is delivered;
// with the limit raised, 5,000 reversed properties arrive as one event.
func TestManyAttributes(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	col := newCollector()
	errs := newErrSink()
	sub, err := startSubscriber(ctx, b.URL(), tp, col, cemqtt.WithCleanStart(true), cemqtt.WithErrorHook(errs.hook))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	raw := dialRaw(t, b.URL(), "raw-many")
	raw.publish(t, binaryWithProps(tp, eventtest.ExtensionNames(80_000, eventtest.Reversed)))
	raw.publish(t, binaryWithProps(tp, []string{"after"}))
	var le *event.AttributeLimitError
	if err := errs.next(t); !errors.As(err, &le) || le.Max != event.DefaultMaxAttributes {
		t.Errorf("hook got %v, want the attribute limit", err)
	}
	if e := col.next(t); !e.Has("after") {
		t.Errorf("the next message arrived as %v", e.Extensions())
	}

	const n = 5000
	tp2 := topic(t) + "/raised"
	col2 := newCollector()
	sub2, err := startSubscriber(ctx, b.URL(), tp2, col2, cemqtt.WithCleanStart(true), cemqtt.WithMaxAttributes(n+4))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub2.Shutdown(context.Background()) }()
	raw.publish(t, binaryWithProps(tp2, eventtest.ExtensionNames(n, eventtest.Reversed)))
	if e := col2.next(t); len(e.Extensions()) != n {
		t.Errorf("limit raised: %d extensions, want %d", len(e.Extensions()), n)
	}
}
