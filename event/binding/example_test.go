package binding_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// A HandlerFunc is a binding.Handler. Its result decides the
// acknowledgement: nil acknowledges the event, ErrRejected (wrapped or
// not) refuses it for good, and any other error asks the sender to retry.
// Transports call it through binding.Call, which turns a panic into a
// *PanicError.
func ExampleHandlerFunc() {
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		switch e.Type() {
		case "com.example.order.created":
			return nil
		case "com.example.order.cancelled":
			return errors.New("inventory service unavailable") // transient
		case "com.example.crash":
			panic("bug in the handler")
		}
		return fmt.Errorf("type %s: %w", e.Type(), binding.ErrRejected)
	})
	for _, typ := range []string{
		"com.example.order.created",
		"com.example.order.cancelled",
		"com.example.unknown",
		"com.example.crash",
	} {
		e := event.New("1", "/shop", typ)
		err := binding.Call(context.Background(), h, &e)
		_, panicked := errors.AsType[*binding.PanicError](err)
		switch {
		case err == nil:
			fmt.Println(typ, "acknowledged")
		case panicked:
			fmt.Println(typ, "panicked: not acknowledged, may be delivered again")
		case errors.Is(err, binding.ErrRejected):
			fmt.Println(typ, "rejected for good:", err)
		default:
			fmt.Println(typ, "failed, the sender may retry:", err)
		}
	}
	// Output:
	// com.example.order.created acknowledged
	// com.example.order.cancelled failed, the sender may retry: inventory service unavailable
	// com.example.unknown rejected for good: type com.example.unknown: event rejected
	// com.example.crash panicked: not acknowledged, may be delivered again
}

// The content modes, by the names the command line and configuration
// files use: binary puts the attributes in protocol headers and the data
// in the body, structured puts the whole event in the body in an event
// format, batch puts several events in one body.
func ExampleParseMode() {
	for _, s := range []string{"binary", "structured", "batch", "json"} {
		m, err := binding.ParseMode(s)
		fmt.Println(m, err)
	}
	// Output:
	// binary <nil>
	// structured <nil>
	// batch <nil>
	// unknown binding: unknown content mode "json" (want binary, structured or batch)
}

// Header values carry attribute strings percent-encoded; decoding undoes
// exactly one round.
func ExampleAppendHeaderValue() {
	v := binding.AppendHeaderValue(nil, "Grüße, 100% \"done\"")
	fmt.Println(string(v))
	s, err := binding.DecodeHeaderValue(string(v))
	fmt.Println(s, err)
	// Output:
	// Gr%C3%BC%C3%9Fe,%20100%25%20%22done%22
	// Grüße, 100% "done" <nil>
}
