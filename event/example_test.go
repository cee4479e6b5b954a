package event_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/openevents/openevents/event"
)

// New starts an event with its required attributes; setters add the
// optional ones and the data.
func ExampleNew() {
	e := event.New("order-1042", "https://shop.example.com/orders", "com.example.order.created")
	e.SetSubject("1042")
	e.SetTime("2026-03-01T12:00:00Z")
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"total":42.5}`))
	if err := e.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	e.Attributes(func(name string, v event.Value) bool {
		fmt.Printf("%s=%s\n", name, v)
		return true
	})
	fmt.Printf("data=%s\n", e.Data())
	// Output:
	// specversion=1.0
	// id=order-1042
	// source=https://shop.example.com/orders
	// type=com.example.order.created
	// datacontenttype=application/json
	// subject=1042
	// time=2026-03-01T12:00:00Z
	// data={"total":42.5}
}

// NewID makes an id for an event that has none of its own: a random
// UUID, different every time.
func ExampleNewID() {
	a, b := event.NewID(), event.NewID()
	e := event.New(a, "/sensors/th-17", "com.example.sensor.reading")
	fmt.Println(len(a), a[14:15], a != b, e.Validate() == nil)
	// Output: 36 4 true true
}

// Set takes any attribute by name: a core attribute keeps its spec type,
// any other name becomes an extension of the kind given.
func ExampleEvent_Set() {
	e := event.New("1", "/cli", "com.example.ping")
	e.Set(event.AttrTime, event.TimestampOf(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)))
	e.Set("priority", event.Integer(3))
	e.Set("traceparent", event.String("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))

	v, _ := e.Lookup(event.AttrTime)
	fmt.Println(v.Kind(), v)
	for _, x := range e.Extensions() {
		fmt.Println(x.Name, x.Value.Kind(), x.Value)
	}
	// Output:
	// Timestamp 2026-03-01T12:00:00Z
	// priority Integer 3
	// traceparent String 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
}

// Validate lists every violation at once, each with the requirement ID of
// the spec sentence it breaks; errors.Is matches them all with
// ErrInvalid.
func ExampleEvent_Validate() {
	e := event.New("1", "not a URI reference", "")
	e.SetExtension("Bad_Name", event.String("x"))
	err := e.Validate()
	fmt.Println(errors.Is(err, event.ErrInvalid))
	if ve, ok := errors.AsType[*event.ValidationError](err); ok {
		for _, v := range ve.Violations {
			fmt.Println(v)
		}
	}
	// Output:
	// true
	// /source: is not a URI-reference (RFC 3986 §4.1) (CORE-ATTR-SOURCE-2)
	// /type: must not be empty (CORE-ATTR-TYPE-2)
	// /Bad_Name: is not a legal attribute name (only a-z and 0-9) (CORE-NAMING-1)
}

// Clone makes an independent copy: changing it leaves the original alone.
func ExampleEvent_Clone() {
	a := event.New("1", "/cli", "com.example.ping")
	a.SetExtension("tenant", event.String("blue"))
	b := a.Clone()
	b.SetExtension("tenant", event.String("green"))
	ta, _ := a.Extension("tenant")
	tb, _ := b.Extension("tenant")
	fmt.Println(ta, tb)
	// Output: blue green
}
