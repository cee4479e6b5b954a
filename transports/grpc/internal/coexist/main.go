// Command coexist is one binary that links sdk-go's protobuf event format
// (github.com/cloudevents/sdk-go/binding/format/protobuf/v2, whose
// generated types register io.cloudevents.v1.CloudEvent in the global
// protobuf registry) together with cegrpc, and uses both: an sdk-go event,
// encoded by sdk-go, goes to the de-facto io.cloudevents.v1.CloudEventService
// served by cegrpc, and comes back to a de-facto subscriber, where sdk-go
// decodes it again. An event sent with cegrpc's own Client reaches the same
// subscriber.
//
// It exits 0 when all of that worked, and 1 with the reason on standard
// error otherwise. Before cegrpc stopped linking the generated
// io.cloudevents.v1 types it did not get that far: the protobuf runtime
// panicked at start-up with a name conflict over
// io.cloudevents.v1.CloudEvent. TestSDKGoProtobufCoexists in package
// cegrpc builds and runs it.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	sdkproto "github.com/cloudevents/sdk-go/binding/format/protobuf/v2"
	sdkpb "github.com/cloudevents/sdk-go/binding/format/protobuf/v2/pb"
	sdkevent "github.com/cloudevents/sdk-go/v2/event"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "coexist:", err)
		os.Exit(1) //nolint:forbidigo // a program's main decides its exit status, as cmd/ does
	}
}

// Method paths of the de-facto service, written out as its clients do.
const (
	publishPath   = "/io.cloudevents.v1.CloudEventService/Publish"
	subscribePath = "/io.cloudevents.v1.CloudEventService/Subscribe"
)

func run() error {
	// sdk-go's generated CloudEvent must be the one registered under the
	// official name: this binary really links it.
	mt, err := protoregistry.GlobalTypes.FindMessageByName("io.cloudevents.v1.CloudEvent")
	if err != nil {
		return fmt.Errorf("sdk-go's CloudEvent is not registered: %w", err)
	}
	if _, ok := mt.New().Interface().(*sdkpb.CloudEvent); !ok {
		return fmt.Errorf("io.cloudevents.v1.CloudEvent is registered by %T, not sdk-go", mt.New().Interface())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	got := make(chan event.Event, 4)
	var srv *cegrpc.Server
	srv, err = cegrpc.NewServer(binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		got <- e.Clone()
		return srv.Publish(ctx, e)
	}))
	if err != nil {
		return err
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(gs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	defer func() {
		gs.Stop()
		<-served
	}()
	dial := grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })

	// A de-facto client: raw messages on the de-facto paths, the events
	// encoded and decoded by sdk-go.
	cc, err := grpc.NewClient("passthrough:///bufnet", dial,
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		return err
	}
	defer func() { _ = cc.Close() }()

	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	stream, err := cc.NewStream(subCtx, &grpc.StreamDesc{ServerStreams: true}, subscribePath)
	if err != nil {
		return err
	}
	// SubscriptionRequest{data_type: "com.example"}
	subReq := protowire.AppendTag(nil, 3, protowire.BytesType)
	subReq = protowire.AppendString(subReq, "com.example")
	if err := stream.SendMsg(&subReq); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	for srv.Subscribers() == 0 {
		select {
		case <-ctx.Done():
			return errors.New("the de-facto subscription never arrived")
		case <-time.After(time.Millisecond):
		}
	}

	want := sdkevent.New()
	want.SetID("sdk-1")
	want.SetSource("/coexist")
	want.SetType("com.example.created")
	want.SetSubject("orders/1")
	want.SetTime(time.Date(2026, 11, 26, 10, 0, 0, 5, time.UTC))
	want.SetExtension("count", 7)
	if err := want.SetData("application/json", []byte(`{"n":1}`)); err != nil {
		return err
	}
	pbEvent, err := sdkproto.ToProto(&want)
	if err != nil {
		return err
	}
	raw, err := proto.Marshal(pbEvent)
	if err != nil {
		return err
	}
	// PublishRequest{event: raw}
	pubReq := protowire.AppendTag(nil, 1, protowire.BytesType)
	pubReq = protowire.AppendBytes(pubReq, raw)
	var empty []byte
	if err := cc.Invoke(ctx, publishPath, &pubReq, &empty); err != nil {
		return fmt.Errorf("de-facto Publish: %w", err)
	}
	if len(empty) != 0 {
		return fmt.Errorf("de-facto Publish answered %x, want google.protobuf.Empty", empty)
	}
	select {
	case e := <-got:
		if n, _ := e.Extension("count"); e.ID() != "sdk-1" || e.Time() != "2026-11-26T10:00:00.000000005Z" || n.Int() != 7 {
			return fmt.Errorf("the handler got %s", e.ID())
		}
	case <-ctx.Done():
		return errors.New("the handler never got the de-facto event")
	}
	if err := receive(stream, pbEvent); err != nil {
		return err
	}

	// cegrpc's own client on openevents.v1.EventService, relayed to the
	// same de-facto subscriber.
	c, err := cegrpc.NewClient("passthrough:///bufnet", cegrpc.WithDialOptions(dial))
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(context.Background()) }()
	var e event.Event
	e.SetSpecVersion("1.0")
	e.SetID("oe-1")
	e.SetSource("/coexist")
	e.SetType("com.example.updated")
	e.SetDataContentType("text/plain")
	e.SetData([]byte("hello"))
	if err := c.Publish(ctx, &e); err != nil {
		return fmt.Errorf("EventService Publish: %w", err)
	}
	<-got
	want2 := sdkevent.New()
	want2.SetID("oe-1")
	want2.SetSource("/coexist")
	want2.SetType("com.example.updated")
	if err := want2.SetData("text/plain", []byte("hello")); err != nil {
		return err
	}
	pb2, err := sdkproto.ToProto(&want2)
	if err != nil {
		return err
	}
	return receive(stream, pb2)
}

// receive reads the next CloudEvent of a de-facto subscription with
// sdk-go's generated type, compares it with want, and has sdk-go convert
// it to its event model.
func receive(stream grpc.ClientStream, want *sdkpb.CloudEvent) error {
	var b []byte
	if err := stream.RecvMsg(&b); err != nil {
		return fmt.Errorf("de-facto Subscribe: %w", err)
	}
	var m sdkpb.CloudEvent
	if err := proto.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("sdk-go cannot read the relayed event: %w", err)
	}
	// The data may come back in text_data where sdk-go wrote binary_data:
	// OpenEvents writes textual data (JSON here) as text, and both are the
	// format's options (PROTO-DATA-4, PROTO-DATA-6). Compare the bytes and
	// everything else apart.
	gotData, wantData := dataOf(&m), dataOf(want)
	gotRest, wantRest := proto.CloneOf(&m), proto.CloneOf(want)
	gotRest.Data, wantRest.Data = nil, nil
	if !bytes.Equal(gotData, wantData) || !proto.Equal(gotRest, wantRest) {
		return fmt.Errorf("the subscriber got %v, want %v", &m, want)
	}
	back, err := sdkproto.FromProto(&m)
	if err != nil {
		return fmt.Errorf("sdk-go cannot convert the relayed event: %w", err)
	}
	if err := back.Validate(); err != nil {
		return fmt.Errorf("sdk-go finds the relayed event invalid: %w", err)
	}
	return nil
}

// dataOf returns the data of m, binary or text.
func dataOf(m *sdkpb.CloudEvent) []byte {
	if t, ok := m.GetData().(*sdkpb.CloudEvent_TextData); ok {
		return []byte(t.TextData)
	}
	return m.GetBinaryData()
}

// rawCodec sends and receives messages as the bytes in a *[]byte, so the
// de-facto client needs no generated request types. Its name is "proto",
// so the content type on the wire is the one real clients send.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec cannot unmarshal %T", v)
	}
	*b = data.Materialize()
	return nil
}
