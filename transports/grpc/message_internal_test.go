package grpc

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
	cloudeventsv1 "github.com/openevents/openevents/proto/gen/io/cloudevents/v1"
	openeventsv1 "github.com/openevents/openevents/proto/gen/openevents/v1"
)

// registrar records the services registered on it.
type registrar map[string]*grpc.ServiceDesc

func (r registrar) RegisterService(sd *grpc.ServiceDesc, _ any) { r[sd.ServiceName] = sd }

// shape lists a service's methods as "name unary|client|server|bidi".
func shape(sd *grpc.ServiceDesc) []string {
	var out []string
	for _, m := range sd.Methods {
		out = append(out, m.MethodName+" unary")
	}
	for _, st := range sd.Streams {
		kind := map[[2]bool]string{{true, false}: "client", {false, true}: "server", {true, true}: "bidi"}[[2]bool{st.ClientStreams, st.ServerStreams}]
		out = append(out, st.StreamName+" "+kind)
	}
	slices.Sort(out)
	return out
}

// TestServiceNames checks the hand-written service descriptions against
// the generated ones: the same service names, .proto files, method paths,
// and methods with the same streaming shape. Clients built from the
// .proto files call these paths, so none may drift.
func TestServiceNames(t *testing.T) {
	paths := []struct{ ours, generated string }{
		{eventServicePublish, openeventsv1.EventService_Publish_FullMethodName},
		{eventServiceStream, openeventsv1.EventService_Stream_FullMethodName},
		{eventServiceSubscribe, openeventsv1.EventService_Subscribe_FullMethodName},
		{cloudEventServicePublish, cloudeventsv1.CloudEventService_Publish_FullMethodName},
		{cloudEventServiceSubscribe, cloudeventsv1.CloudEventService_Subscribe_FullMethodName},
	}
	for _, p := range paths {
		if p.ours != p.generated {
			t.Errorf("method path %q, the generated code has %q", p.ours, p.generated)
		}
	}
	s, err := NewServer(binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	r := registrar{}
	s.Register(r)
	for _, want := range []*grpc.ServiceDesc{&openeventsv1.EventService_ServiceDesc, &cloudeventsv1.CloudEventService_ServiceDesc} {
		got, ok := r[want.ServiceName]
		if !ok {
			t.Errorf("service %s is not registered", want.ServiceName)
			continue
		}
		if got.Metadata != want.Metadata {
			t.Errorf("%s: metadata %v, want %v", want.ServiceName, got.Metadata, want.Metadata)
		}
		if g, w := shape(got), shape(want); !slices.Equal(g, w) {
			t.Errorf("%s: methods %q, want %q", want.ServiceName, g, w)
		}
	}
	if len(r) != 2 {
		t.Errorf("%d services registered, want 2", len(r))
	}
}

// messageCase is one value of each hand-coded message and the generated
// message with the same content.
type messageCase struct {
	name      string
	sub       subscribeRequest
	subGen    *openeventsv1.SubscribeRequest
	defacto   subscriptionRequest
	defactoGn *cloudeventsv1.SubscriptionRequest
	ack       streamResponse
	ackGen    *openeventsv1.StreamResponse
}

var messageCases = []messageCase{
	{
		name: "zero", subGen: &openeventsv1.SubscribeRequest{}, defactoGn: &cloudeventsv1.SubscriptionRequest{},
		ackGen: &openeventsv1.StreamResponse{},
	},
	{
		name:      "all fields",
		sub:       subscribeRequest{typ: "com.example.created", source: "/orders", subjectPrefix: "eu/"},
		subGen:    &openeventsv1.SubscribeRequest{Type: "com.example.created", Source: "/orders", SubjectPrefix: "eu/"},
		defacto:   subscriptionRequest{source: "/orders", clusterName: "c1", dataType: "com.example"},
		defactoGn: &cloudeventsv1.SubscriptionRequest{Source: "/orders", ClusterName: "c1", DataType: "com.example"},
		ack: streamResponse{sequence: 7, accepted: 98, failures: []eventStatus{
			{index: 3, code: 3, message: "id is empty", rules: []string{"CORE-ATTR-ID-2", "CORE-ATTR-1"}},
			{index: 0, code: 14, message: "try again"},
		}},
		ackGen: &openeventsv1.StreamResponse{Sequence: 7, Accepted: 98, Failures: []*openeventsv1.EventStatus{
			{Index: 3, Code: 3, Message: "id is empty", Rules: []string{"CORE-ATTR-ID-2", "CORE-ATTR-1"}},
			{Index: 0, Code: 14, Message: "try again"},
		}},
	},
	{
		name:      "extremes",
		sub:       subscribeRequest{source: "ünïcødé ✓"},
		subGen:    &openeventsv1.SubscribeRequest{Source: "ünïcødé ✓"},
		defacto:   subscriptionRequest{dataType: "x"},
		defactoGn: &cloudeventsv1.SubscriptionRequest{DataType: "x"},
		ack: streamResponse{sequence: math.MaxUint64, accepted: math.MaxUint32, failures: []eventStatus{
			{index: math.MaxUint32, code: -1, rules: []string{""}},
			{code: math.MinInt32},
			{},
		}},
		ackGen: &openeventsv1.StreamResponse{Sequence: math.MaxUint64, Accepted: math.MaxUint32, Failures: []*openeventsv1.EventStatus{
			{Index: math.MaxUint32, Code: -1, Rules: []string{""}},
			{Code: math.MinInt32},
			{},
		}},
	},
}

func marshalGen(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMessagesMatchGenerated checks that each encoder writes exactly the
// bytes proto.Marshal writes for the generated message with the same
// content, and that each decoder reads those bytes back to the content.
func TestMessagesMatchGenerated(t *testing.T) {
	for _, tc := range messageCases {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := tc.sub.append(nil), marshalGen(t, tc.subGen); string(got) != string(want) {
				t.Errorf("SubscribeRequest %x, generated %x", got, want)
			}
			var sub subscribeRequest
			if err := sub.parse(marshalGen(t, tc.subGen)); err != nil || sub != tc.sub {
				t.Errorf("SubscribeRequest parsed as %+v, %v", sub, err)
			}
			if got, want := tc.defacto.append(nil), marshalGen(t, tc.defactoGn); string(got) != string(want) {
				t.Errorf("SubscriptionRequest %x, generated %x", got, want)
			}
			var defacto subscriptionRequest
			if err := defacto.parse(marshalGen(t, tc.defactoGn)); err != nil || defacto != tc.defacto {
				t.Errorf("SubscriptionRequest parsed as %+v, %v", defacto, err)
			}
			if got, want := tc.ack.append(nil), marshalGen(t, tc.ackGen); string(got) != string(want) {
				t.Errorf("StreamResponse %x, generated %x", got, want)
			}
			var ack streamResponse
			if err := ack.parse(marshalGen(t, tc.ackGen)); err != nil || !proto.Equal(ack.generated(), tc.ackGen) {
				t.Errorf("StreamResponse parsed as %+v, %v", ack, err)
			}
		})
	}
}

// generated returns r as the generated message.
func (r *streamResponse) generated() *openeventsv1.StreamResponse {
	g := &openeventsv1.StreamResponse{Sequence: r.sequence, Accepted: r.accepted}
	for _, f := range r.failures {
		g.Failures = append(g.Failures, &openeventsv1.EventStatus{Index: f.index, Code: f.code, Message: f.message, Rules: f.rules})
	}
	return g
}

// TestMessageErrors checks that input the generated decoders refuse is
// refused, with an error that servers answer with INVALID_ARGUMENT, and
// that what they skip is skipped. refuse names the messages that refuse
// the input; the others accept it.
func TestMessageErrors(t *testing.T) {
	tag := func(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }
	str := func(num protowire.Number, s string) []byte {
		return protowire.AppendString(tag(num, protowire.BytesType), s)
	}
	all := []string{"SubscribeRequest", "SubscriptionRequest", "StreamResponse"}
	requests := []string{"SubscribeRequest", "SubscriptionRequest"}
	tests := []struct {
		name   string
		in     []byte
		refuse []string
	}{
		{name: "truncated tag", in: []byte{0x80}, refuse: all},
		{name: "field number 0", in: []byte{0x02, 0x00}, refuse: all},
		// 2^29 is one past the largest field number; found by FuzzMessages.
		{name: "field number out of range", in: protowire.AppendVarint(protowire.AppendVarint(nil, 1<<29<<3), 1), refuse: all},
		{name: "truncated string", in: []byte{0x0a, 0x05, 'a'}, refuse: all},
		// Field 1 is a varint in StreamResponse: a string there is skipped.
		{name: "invalid UTF-8", in: str(1, "\xff"), refuse: requests},
		// Field 3 is a string in the requests, and not UTF-8 either.
		{name: "invalid UTF-8 in a nested failure", in: protowire.AppendBytes(tag(3, protowire.BytesType), str(3, "\xc3")), refuse: all},
		{name: "truncated nested failure", in: protowire.AppendBytes(tag(3, protowire.BytesType), []byte{0x08}), refuse: []string{"StreamResponse"}},
		{name: "unknown field", in: protowire.AppendVarint(tag(9, protowire.VarintType), 1)},
		{name: "known number, other wire type", in: protowire.AppendFixed32(tag(1, protowire.Fixed32Type), 1)},
		{name: "group", in: append(tag(5, protowire.StartGroupType), tag(5, protowire.EndGroupType)...)},
		{name: "unmatched end group", in: tag(5, protowire.EndGroupType), refuse: all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parsers := map[string]func([]byte) error{
				"SubscribeRequest":    new(subscribeRequest).parse,
				"SubscriptionRequest": new(subscriptionRequest).parse,
				"StreamResponse":      new(streamResponse).parse,
			}
			for name, parse := range parsers {
				err := parse(tc.in)
				switch {
				case !slices.Contains(tc.refuse, name):
					if err != nil {
						t.Errorf("%s: %v", name, err)
					}
				case err == nil:
					t.Errorf("%s accepted %x", name, tc.in)
				case !errors.Is(err, protoformat.ErrSyntax) || codeOf(err) != codes.InvalidArgument:
					t.Errorf("%s: error %v (%s), want a syntax error", name, err, codeOf(err))
				}
			}
		})
	}
}

// FuzzMessages decodes arbitrary bytes as each hand-coded message and as
// the generated one: both must refuse the input, or both must accept it
// with the same content; what is accepted re-encodes to bytes that
// proto.Marshal also writes.
func FuzzMessages(f *testing.F) {
	for _, tc := range messageCases {
		f.Add(marshalGen(f, tc.subGen))
		f.Add(marshalGen(f, tc.defactoGn))
		f.Add(marshalGen(f, tc.ackGen))
	}
	f.Add([]byte{0x1a, 0x02, 0x20, 0x00, 0x08, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		var sub subscribeRequest
		subErr := sub.parse(b)
		var subGen openeventsv1.SubscribeRequest
		subGenErr := proto.Unmarshal(b, &subGen)
		if (subErr == nil) != (subGenErr == nil) {
			t.Fatalf("SubscribeRequest %x: ours %v, generated %v", b, subErr, subGenErr)
		}
		if subErr == nil {
			if want := (subscribeRequest{typ: subGen.GetType(), source: subGen.GetSource(), subjectPrefix: subGen.GetSubjectPrefix()}); sub != want {
				t.Fatalf("SubscribeRequest %x: ours %+v, generated %+v", b, sub, want)
			}
			subGen.ProtoReflect().SetUnknown(nil)
			if got, want := sub.append(nil), marshalGen(t, &subGen); string(got) != string(want) {
				t.Fatalf("SubscribeRequest re-encoded as %x, generated %x", got, want)
			}
		}

		var defacto subscriptionRequest
		defactoErr := defacto.parse(b)
		var defactoGen cloudeventsv1.SubscriptionRequest
		defactoGenErr := proto.Unmarshal(b, &defactoGen)
		if (defactoErr == nil) != (defactoGenErr == nil) {
			t.Fatalf("SubscriptionRequest %x: ours %v, generated %v", b, defactoErr, defactoGenErr)
		}
		if defactoErr == nil {
			if want := (subscriptionRequest{source: defactoGen.GetSource(), clusterName: defactoGen.GetClusterName(), dataType: defactoGen.GetDataType()}); defacto != want {
				t.Fatalf("SubscriptionRequest %x: ours %+v, generated %+v", b, defacto, want)
			}
		}

		var ack streamResponse
		ackErr := ack.parse(b)
		var ackGen openeventsv1.StreamResponse
		ackGenErr := proto.Unmarshal(b, &ackGen)
		if (ackErr == nil) != (ackGenErr == nil) {
			t.Fatalf("StreamResponse %x: ours %v, generated %v", b, ackErr, ackGenErr)
		}
		if ackErr == nil {
			// Unknown fields are dropped by ours and kept by the
			// generated message; compare without them.
			proto.Reset(&ackGen)
			if err := (proto.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &ackGen); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(ack.generated(), &ackGen) {
				t.Fatalf("StreamResponse %x: ours %v, generated %v", b, ack.generated(), &ackGen)
			}
			if got, want := ack.append(nil), marshalGen(t, &ackGen); string(got) != string(want) {
				t.Fatalf("StreamResponse re-encoded as %x, generated %x", got, want)
			}
		}
	})
}
