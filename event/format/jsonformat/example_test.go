package jsonformat_test

import (
	"errors"
	"fmt"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// Decode parses one application/cloudevents+json event and validates it.
func ExampleDecode() {
	in := []byte(`{
		"specversion": "1.0",
		"id": "order-1042",
		"source": "https://shop.example.com/orders",
		"type": "com.example.order.created",
		"datacontenttype": "application/json",
		"tenant": "blue",
		"data": {"total": 42.5}
	}`)
	var e event.Event
	if err := jsonformat.Decode(in, &e); err != nil {
		fmt.Println(err)
		return
	}
	tenant, _ := e.Extension("tenant")
	fmt.Println(e.ID(), e.Type(), tenant)
	fmt.Printf("%s\n", e.Data())
	// Output:
	// order-1042 com.example.order.created blue
	// {"total": 42.5}
}

// Decode is strict: a syntax error comes back as a *SyntaxError with the
// byte offset, anything else as an *event.ValidationError listing every
// violation with its requirement ID and JSON pointer.
func ExampleDecode_errors() {
	var e event.Event
	err := jsonformat.Decode([]byte(`{"specversion":"1.0","id":"1","id":"2"}`), &e)
	if se, ok := errors.AsType[*jsonformat.SyntaxError](err); ok {
		fmt.Println("syntax:", se.Rule, "at offset", se.Offset)
	}
	err = jsonformat.Decode([]byte(`{"specversion":"1.0","id":"","source":"/s","type":"t","data":1,"data_base64":"AQ=="}`), &e)
	if ve, ok := errors.AsType[*event.ValidationError](err); ok {
		for _, v := range ve.Violations {
			fmt.Println("invalid:", v.Rule, v.Pointer)
		}
	}
	// Output:
	// syntax: JSON-SYNTAX-3 at offset 30
	// invalid: JSON-DATA-5 /data_base64
	// invalid: CORE-ATTR-ID-2 /id
}

// Append writes the JSON form after what dst holds, allocating only to
// grow dst: reuse one buffer for many events. Marshal is the same into a
// new slice.
func ExampleAppend() {
	e := event.New("1", "/sensors/th-17", "com.example.sensor.reading")
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"celsius":21.5}`))

	buf := make([]byte, 0, 512)
	buf, err := jsonformat.Append(buf[:0], &e)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(buf))

	// Binary data goes as data_base64; an event that does not validate
	// is refused.
	e.SetDataContentType("application/octet-stream")
	e.SetBinaryData([]byte{0xca, 0xfe})
	out, err := jsonformat.Marshal(&e)
	fmt.Println(string(out), err)
	e.SetType("")
	_, err = jsonformat.Marshal(&e)
	fmt.Println(errors.Is(err, event.ErrInvalid))
	// Output:
	// {"specversion":"1.0","id":"1","source":"/sensors/th-17","type":"com.example.sensor.reading","datacontenttype":"application/json","data":{"celsius":21.5}}
	// {"specversion":"1.0","id":"1","source":"/sensors/th-17","type":"com.example.sensor.reading","datacontenttype":"application/octet-stream","data_base64":"yv4="} <nil>
	// true
}

// A Decoder reuses its buffers from one call to the next, so a receive
// loop decodes without allocating; the price is that an event it decoded
// is valid only until its next call. To keep one, Clone it.
func ExampleDecoder() {
	inputs := [][]byte{
		[]byte(`{"specversion":"1.0","id":"first","source":"/s","type":"t"}`),
		[]byte(`{"specversion":"1.0","id":"later","source":"/s","type":"t"}`),
	}
	var dec jsonformat.Decoder
	var e event.Event
	if err := dec.Decode(inputs[0], &e); err != nil {
		fmt.Println(err)
		return
	}
	view := e         // a copy of the event shares the Decoder's buffer
	kept := e.Clone() // a clone owns its bytes
	if err := dec.Decode(inputs[1], &e); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("decoded:", e.ID())
	fmt.Println("kept:   ", kept.ID())
	// Reading view now is the bug a Decoder invites: its strings point
	// into the buffer that the second Decode overwrote.
	fmt.Println("view:   ", view.ID())
	// Output:
	// decoded: later
	// kept:    first
	// view:    later
}

// DecodeBatch parses application/cloudevents-batch+json and appends the
// events to a slice.
func ExampleDecodeBatch() {
	in := []byte(`[
		{"specversion":"1.0","id":"1","source":"/s","type":"com.example.a"},
		{"specversion":"1.0","id":"2","source":"/s","type":"com.example.b"}
	]`)
	events, err := jsonformat.DecodeBatch(in, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range events {
		fmt.Println(events[i].ID(), events[i].Type())
	}
	out, err := jsonformat.AppendBatch(nil, events)
	fmt.Println(string(out), err)
	// Output:
	// 1 com.example.a
	// 2 com.example.b
	// [{"specversion":"1.0","id":"1","source":"/s","type":"com.example.a"},{"specversion":"1.0","id":"2","source":"/s","type":"com.example.b"}] <nil>
}
