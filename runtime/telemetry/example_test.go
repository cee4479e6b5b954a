package telemetry_test

import (
	"context"
	"fmt"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/telemetry"
	"github.com/openevents/openevents/runtime/telemetry/otlptest"
	"github.com/openevents/openevents/runtime/trace"
)

// A host with a tracer records each event as a span, a child of the
// event's traceparent, and Shutdown sends what is left to the collector
// (here an in-process one).
func Example() {
	collector, err := otlptest.Start()
	if err != nil {
		panic(err)
	}
	defer func() { _ = collector.Close() }()

	tr, err := telemetry.New(collector.URL, telemetry.WithServiceName("orders"))
	if err != nil {
		panic(err)
	}
	h, err := host.New(function.Func(func(context.Context, *event.Event) (*event.Event, error) { return nil, nil }),
		host.WithTracer(tr), host.WithFunctionName("orders"), host.WithTimeout(0))
	if err != nil {
		panic(err)
	}
	e := event.New("42", "/shop", "com.example.order.created")
	e.SetExtension(trace.Extension, event.String("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	if _, err := h.Trigger("http").Dispatch(context.Background(), &e); err != nil {
		panic(err)
	}
	_ = h.Drain(context.Background())
	h.Close()
	if err := tr.Shutdown(context.Background()); err != nil {
		panic(err)
	}

	for _, s := range collector.Spans() {
		fmt.Println(s.Name, s.Kind, s.Status)
		fmt.Println("trace", s.TraceID, "parent", s.ParentSpanID)
		fmt.Println(s.Attributes["cloudevents.event_id"], s.Attributes["cloudevents.event_type"], s.Attributes["openevents.outcome"])
	}
	// Output:
	// process orders SPAN_KIND_CONSUMER STATUS_CODE_OK
	// trace 4bf92f3577b34da6a3ce929d0e0e4736 parent 00f067aa0ba902b7
	// 42 com.example.order.created acknowledged
}
