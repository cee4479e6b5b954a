package mqtt_test

import (
	"context"
	"fmt"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// A sensor publishes a reading in binary mode over MQTT 5.0; a function
// subscribed to the topic receives it, and the message is acknowledged
// after the handler returns.
func Example() {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = b.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	got := make(chan string, 1)
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		got <- fmt.Sprintf("%s from %s: %s", e.Type(), e.Source(), e.Data())
		return nil
	})
	sub, err := cemqtt.NewSubscriber(ctx, b.URL(), "sensors/+/readings", h, cemqtt.WithClientID("thermostat"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = sub.Close(context.Background()) }()

	pub, err := cemqtt.NewPublisher(ctx, b.URL()) // MQTT 5.0, binary mode, QoS 1
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = pub.Close(context.Background()) }()

	var e event.Event
	e.SetSpecVersion(event.SpecVersion)
	e.SetID("r-1")
	e.SetSource("/sensors/th-17")
	e.SetType("com.example.sensor.reading")
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"celsius":21.5}`))
	if err := pub.Publish(ctx, "sensors/th-17/readings", &e); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-got)
	// Output: com.example.sensor.reading from /sensors/th-17: {"celsius":21.5}
}
