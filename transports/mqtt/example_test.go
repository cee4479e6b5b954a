package mqtt_test

import (
	"context"
	"errors"
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
	sub, err := cemqtt.NewSubscriber(b.URL(), "sensors/+/readings", h, cemqtt.WithClientID("thermostat"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	if err := sub.Start(ctx); err != nil { // connects and subscribes
		fmt.Println(err)
		return
	}

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

// A subscriber that takes messages of at most 64 KiB: a larger one is
// discarded unread and reported to the error hook, and the next event is
// delivered as usual. With MQTT 5.0 the broker would withhold the large
// message instead, since the limit goes to it in CONNACK's Maximum
// Packet Size; MQTT 3.1.1 cannot tell it, so the subscriber discards it.
func ExampleWithMaxMessageBytes() {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = b.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	refused := make(chan string, 1)
	onError := func(_ string, err error) {
		if me, ok := errors.AsType[*cemqtt.MessageError](err); ok && errors.Is(err, cemqtt.ErrMessageTooLarge) {
			refused <- fmt.Sprintf("refused a message of %d bytes on %s", me.Size, me.Topic)
		}
	}
	got := make(chan string, 1)
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		got <- "delivered " + e.ID()
		return nil
	})
	sub, err := cemqtt.NewSubscriber(b.URL(), "uploads", h, cemqtt.WithVersion(cemqtt.Version311),
		cemqtt.WithMaxMessageBytes(64<<10), cemqtt.WithErrorHook(onError))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = sub.Shutdown(context.Background()) }()
	if err := sub.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}

	pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithVersion(cemqtt.Version311))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = pub.Close(context.Background()) }()
	for _, size := range []int{100 << 10, 10} {
		var e event.Event
		e.SetSpecVersion(event.SpecVersion)
		e.SetID(fmt.Sprint("upload-", size))
		e.SetSource("/uploader")
		e.SetType("com.example.upload")
		e.SetDataContentType("application/octet-stream")
		e.SetBinaryData(make([]byte, size))
		if err := pub.Publish(ctx, "uploads", &e); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(<-refused)
	fmt.Println(<-got)
	fmt.Printf("%+v\n", sub.Stats())
	// Output:
	// refused a message of 136689 bytes on uploads
	// delivered upload-10
	// {Delivered:1 Invalid:0 TooLarge:1 Rejected:0 Failed:0 Draining:false}
}
