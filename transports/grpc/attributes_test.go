package grpc_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	cloudeventsv1 "github.com/openevents/openevents/proto/gen/io/cloudevents/v1"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// TestManyAttributes replays the extension attack over Publish: an event
// of 100,000 attributes-map entries (in the random order Go marshals a
// map), which once took 13 s to decode, is refused INVALID_ARGUMENT by
// the default limit, well within the deadline (a guard against quadratic
// time, not a speed claim); with the limit raised, an event over the
// default is accepted whole. (The decoders' own tests decode 100,000 in
// any order.)
func TestManyAttributes(t *testing.T) {
	request := func(n int) *cloudeventsv1.PublishRequest {
		attrs := make(map[string]*cloudeventsv1.CloudEvent_CloudEventAttributeValue, n)
		for _, name := range eventtest.ExtensionNames(n, eventtest.Sorted) {
			attrs[name] = &cloudeventsv1.CloudEvent_CloudEventAttributeValue{Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeString{CeString: "v"}}
		}
		return &cloudeventsv1.PublishRequest{Event: &cloudeventsv1.CloudEvent{Id: "1", Source: "/s", SpecVersion: "1.0", Type: "t", Attributes: attrs}}
	}
	publish := func(h *harness, req *cloudeventsv1.PublishRequest) error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := cloudeventsv1.NewCloudEventServiceClient(h.conn(t)).Publish(ctx, req)
		return err
	}

	rec := &recorder{}
	err := publish(start(t, rec), request(100_000))
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "more than "+strconv.Itoa(event.DefaultMaxAttributes)+" attributes") {
		t.Errorf("default limit: %v, want INVALID_ARGUMENT naming the limit", err)
	}
	if rec.count() != 0 {
		t.Error("the handler saw an event over the limit")
	}

	const n = 5000
	raised := &recorder{}
	if err := publish(start(t, raised, cegrpc.WithMaxAttributes(n+4)), request(n)); err != nil {
		t.Fatalf("limit raised: %v", err)
	}
	if raised.count() != 1 || len(raised.events[0].Extensions()) != n {
		t.Errorf("limit raised: %d events, want one with %d extensions", raised.count(), n)
	}
}
