package host_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/host"
)

// A trigger hands each event to its entry point and answers by the
// outcome: nil acknowledges, binding.ErrOverloaded asks the sender to
// come back later, binding.ErrRejected refuses the event for good.
func Example() {
	greet := function.Func(func(_ context.Context, e *event.Event) (*event.Event, error) {
		if e.Type() != "com.example.hello" {
			return nil, fmt.Errorf("%w: type %s is not for me", binding.ErrRejected, e.Type())
		}
		r := event.New("reply-"+e.ID(), "/greeter", "com.example.greeting")
		r.SetData([]byte(`"hello"`))
		return &r, nil
	})
	h, err := host.New(greet, host.WithConcurrency(8), host.WithTimeout(5*time.Second), host.WithAttempts(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	http := h.Trigger("http 127.0.0.1:8080")

	hello := event.New("1", "/example", "com.example.hello")
	reply, err := http.Dispatch(context.Background(), &hello)
	fmt.Println(reply.ID(), string(reply.Data()), err)

	other := event.New("2", "/example", "com.example.other")
	_, err = http.Dispatch(context.Background(), &other)
	fmt.Println(errors.Is(err, binding.ErrRejected))

	fmt.Println(h.Drain(context.Background()), h.Ready())
	// Output:
	// reply-1 "hello" <nil>
	// true
	// <nil> host: draining
}
