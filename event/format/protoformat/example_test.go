package protoformat_test

import (
	"errors"
	"fmt"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/protoformat"
)

// Marshal writes the protobuf form (application/cloudevents+protobuf) and
// Decode reads it back; every attribute keeps its CloudEvents type.
func ExampleMarshal() {
	e := event.New("r-1", "/sensors/th-17", "com.example.sensor.reading")
	e.SetTime("2026-03-01T12:00:00.5+01:00")
	e.SetExtension("priority", event.Integer(7))
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"celsius":21.5}`))

	b, err := protoformat.Marshal(&e)
	if err != nil {
		fmt.Println(err)
		return
	}
	var got event.Event
	if err := protoformat.Decode(b, &got); err != nil {
		fmt.Println(err)
		return
	}
	prio, _ := got.Extension("priority")
	fmt.Println(len(b), "bytes")
	fmt.Println(got.ID(), got.Type(), prio.Kind(), prio)
	fmt.Println(got.Time()) // timestamps come back in UTC
	fmt.Printf("%s\n", got.Data())
	// Output:
	// 151 bytes
	// r-1 com.example.sensor.reading Integer 7
	// 2026-03-01T11:00:00.5Z
	// {"celsius":21.5}
}

// Decode refuses malformed protobuf with the byte offset, and a message
// that is not a valid CloudEvent with every violation.
func ExampleDecode_errors() {
	var e event.Event
	err := protoformat.Decode([]byte{0x0a, 0x05, 'a'}, &e) // field 1 claims 5 bytes, has 1
	fmt.Println(errors.Is(err, protoformat.ErrSyntax), err)

	err = protoformat.Decode([]byte{0x0a, 0x01, '1'}, &e) // only an id
	if ve, ok := errors.AsType[*event.ValidationError](err); ok {
		fmt.Println(ve.Rules())
	}
	// Output:
	// true protoformat: field 1 is truncated at offset 0 (PROTO-ATTR-1)
	// [CORE-ATTR-SOURCE-2 CORE-ATTR-SPECVERSION-2 CORE-ATTR-TYPE-2]
}

// Options.Alias skips the copy: the decoded event points into the input,
// which must then stay unchanged while the event is used.
func ExampleOptions_Decode() {
	src := event.New("1", "/s", "com.example.ping")
	b, err := protoformat.Marshal(&src)
	if err != nil {
		fmt.Println(err)
		return
	}
	var e event.Event
	if err := (protoformat.Options{Alias: true}).Decode(b, &e); err != nil {
		fmt.Println(err)
		return
	}
	kept := e.Clone() // independent of b
	clear(b)          // b reused for something else: e's strings change with it
	fmt.Printf("%q %q\n", kept.Type(), e.Type())
	// Output: "com.example.ping" "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
}
