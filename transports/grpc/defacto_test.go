package grpc_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// deFactoFile describes io.cloudevents.v1 the way the deployed
// CloudEventService's own .proto does, independently of our generated
// code: there, CloudEventAttributeValue is a top-level message. The wire
// does not see the difference, which is the point of the test.
func deFactoFile(t *testing.T) protoreflect.FileDescriptor {
	t.Helper()
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	field := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string, oneof *int32) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: opt, Type: typ.Enum(), OneofIndex: oneof}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	zero := proto.Int32(0)
	fd := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("defacto/cloudevent.proto"),
		Package:    proto.String("io.cloudevents.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/any.proto", "google/protobuf/timestamp.proto"},
		MessageType: []*descriptorpb.DescriptorProto{
			{
				Name: proto.String("CloudEvent"),
				Field: []*descriptorpb.FieldDescriptorProto{
					{Name: proto.String("id"), Number: proto.Int32(1), Label: opt, Type: str},
					{Name: proto.String("source"), Number: proto.Int32(2), Label: opt, Type: str},
					{Name: proto.String("spec_version"), Number: proto.Int32(3), Label: opt, Type: str},
					{Name: proto.String("type"), Number: proto.Int32(4), Label: opt, Type: str},
					{Name: proto.String("attributes"), Number: proto.Int32(5), Label: descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum(),
						Type: descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum(), TypeName: proto.String(".io.cloudevents.v1.CloudEvent.AttributesEntry")},
					field("binary_data", 6, descriptorpb.FieldDescriptorProto_TYPE_BYTES, "", zero),
					field("text_data", 7, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", zero),
					field("proto_data", 8, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".google.protobuf.Any", zero),
				},
				NestedType: []*descriptorpb.DescriptorProto{{
					Name:    proto.String("AttributesEntry"),
					Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
					Field: []*descriptorpb.FieldDescriptorProto{
						{Name: proto.String("key"), Number: proto.Int32(1), Label: opt, Type: str},
						field("value", 2, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".io.cloudevents.v1.CloudEventAttributeValue", nil),
					},
				}},
				OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("data")}},
			},
			{
				Name: proto.String("CloudEventAttributeValue"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("ce_boolean", 1, descriptorpb.FieldDescriptorProto_TYPE_BOOL, "", zero),
					field("ce_integer", 2, descriptorpb.FieldDescriptorProto_TYPE_INT32, "", zero),
					field("ce_string", 3, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", zero),
					field("ce_bytes", 4, descriptorpb.FieldDescriptorProto_TYPE_BYTES, "", zero),
					field("ce_uri", 5, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", zero),
					field("ce_uri_ref", 6, descriptorpb.FieldDescriptorProto_TYPE_STRING, "", zero),
					field("ce_timestamp", 7, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".google.protobuf.Timestamp", zero),
				},
				OneofDecl: []*descriptorpb.OneofDescriptorProto{{Name: proto.String("attr")}},
			},
			{
				Name:  proto.String("PublishRequest"),
				Field: []*descriptorpb.FieldDescriptorProto{field("event", 1, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".io.cloudevents.v1.CloudEvent", nil)},
			},
			{
				Name: proto.String("SubscriptionRequest"),
				Field: []*descriptorpb.FieldDescriptorProto{
					{Name: proto.String("source"), Number: proto.Int32(1), Label: opt, Type: str},
					{Name: proto.String("cluster_name"), Number: proto.Int32(2), Label: opt, Type: str},
					{Name: proto.String("data_type"), Number: proto.Int32(3), Label: opt, Type: str},
				},
			},
		},
	}
	f, err := protodesc.NewFile(fd, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestDeFactoClient plays a client built only from the deployed
// definition (dynamic messages, raw method paths): Publish, then Subscribe
// to what the server relays.
func TestDeFactoClient(t *testing.T) {
	file := deFactoFile(t)
	msg := func(name string) *dynamicpb.Message {
		return dynamicpb.NewMessage(file.Messages().ByName(protoreflect.Name(name)))
	}
	var h *harness
	rec := &recorder{}
	h = start(t, binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		if err := rec.Handle(ctx, e); err != nil {
			return err
		}
		return h.srv.Publish(ctx, e)
	}))
	cc := h.conn(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	sub := msg("SubscriptionRequest")
	sub.Set(sub.Descriptor().Fields().ByName("data_type"), protoreflect.ValueOfString("com.example"))
	stream, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/io.cloudevents.v1.CloudEventService/Subscribe")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SendMsg(sub); err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	waitSubscribers(t, h.srv, 1)

	ce := msg("CloudEvent")
	fields := ce.Descriptor().Fields()
	ce.Set(fields.ByName("id"), protoreflect.ValueOfString("42"))
	ce.Set(fields.ByName("source"), protoreflect.ValueOfString("/agent"))
	ce.Set(fields.ByName("spec_version"), protoreflect.ValueOfString("1.0"))
	ce.Set(fields.ByName("type"), protoreflect.ValueOfString("com.example.created"))
	ce.Set(fields.ByName("text_data"), protoreflect.ValueOfString(`{"x":1}`))
	attrs := ce.Mutable(fields.ByName("attributes")).Map()
	ts := msg("CloudEventAttributeValue")
	when := time.Date(2026, 11, 26, 10, 0, 0, 5, time.UTC)
	ts.Set(ts.Descriptor().Fields().ByName("ce_timestamp"), protoreflect.ValueOfMessage(timestamppb.New(when).ProtoReflect()))
	attrs.Set(protoreflect.ValueOfString("time").MapKey(), protoreflect.ValueOfMessage(ts))
	n := msg("CloudEventAttributeValue")
	n.Set(n.Descriptor().Fields().ByName("ce_integer"), protoreflect.ValueOfInt32(-3))
	attrs.Set(protoreflect.ValueOfString("count").MapKey(), protoreflect.ValueOfMessage(n))
	req := msg("PublishRequest")
	req.Set(req.Descriptor().Fields().ByName("event"), protoreflect.ValueOfMessage(ce))
	if err := cc.Invoke(ctx, "/io.cloudevents.v1.CloudEventService/Publish", req, new(emptypb.Empty)); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 1 {
		t.Fatalf("handler got %d events", rec.count())
	}
	got := rec.events[0]
	if v, _ := got.Extension("count"); got.ID() != "42" || got.Time() != "2026-11-26T10:00:00.000000005Z" || v.Kind() != event.KindInteger || v.Int() != -3 {
		t.Errorf("server decoded %+v", got)
	}

	back := msg("CloudEvent")
	if err := stream.RecvMsg(back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(back, ce) {
		t.Errorf("subscriber got %v, want %v", back, ce)
	}
	cancel()
	waitSubscribers(t, h.srv, 0)
}

// TestDeFactoMalformedSubscription sends SubscriptionRequests the
// generated decoder refuses: each call ends with INVALID_ARGUMENT, as
// spec/grpc-binding.md has it for malformed protobuf, reaches the refuse
// hook, and subscribes nobody.
func TestDeFactoMalformedSubscription(t *testing.T) {
	var refused atomic.Int32
	h := start(t, binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }),
		cegrpc.WithErrorHook(func(string, error) { refused.Add(1) }))
	cc := h.conn(t)
	for _, path := range []string{"/io.cloudevents.v1.CloudEventService/Subscribe", "/openevents.v1.EventService/Subscribe"} {
		t.Run(path, func(t *testing.T) {
			before := refused.Load()
			stream, err := cc.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true}, path)
			if err != nil {
				t.Fatal(err)
			}
			// Field 1, a string in both requests, that is not UTF-8.
			req := new(emptypb.Empty)
			req.ProtoReflect().SetUnknown(protoreflect.RawFields{0x0a, 0x01, 0xff})
			if err := stream.SendMsg(req); err != nil {
				t.Fatal(err)
			}
			if err := stream.CloseSend(); err != nil {
				t.Fatal(err)
			}
			err = stream.RecvMsg(new(emptypb.Empty))
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("got %v, want INVALID_ARGUMENT", err)
			}
			if refused.Load() != before+1 {
				t.Errorf("the refuse hook was called %d times, want 1", refused.Load()-before)
			}
			if n := h.srv.Subscribers(); n != 0 {
				t.Errorf("%d subscribers", n)
			}
		})
	}
}
