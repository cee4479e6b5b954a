package wiretest

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/protoformat"
	cloudeventsv1 "github.com/openevents/openevents/proto/gen/io/cloudevents/v1"
)

type attrValue = cloudeventsv1.CloudEvent_CloudEventAttributeValue

func str(s string) *attrValue {
	return &attrValue{Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeString{CeString: s}}
}

func ts(t time.Time) *attrValue {
	return &attrValue{Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeTimestamp{CeTimestamp: timestamppb.New(t)}}
}

// pair is one event in both representations.
type pair struct {
	name  string
	event func() *event.Event
	msg   *cloudeventsv1.CloudEvent
}

func base(e *event.Event) *event.Event {
	e.SetSpecVersion("1.0")
	e.SetID("7f6c9f2e")
	e.SetSource("https://example.com/orders")
	e.SetType("com.example.order.created")
	return e
}

func baseMsg(attrs map[string]*attrValue) *cloudeventsv1.CloudEvent {
	return &cloudeventsv1.CloudEvent{
		Id: "7f6c9f2e", Source: "https://example.com/orders", SpecVersion: "1.0",
		Type: "com.example.order.created", Attributes: attrs,
	}
}

var when = time.Date(2026, 11, 26, 10, 0, 0, 123000000, time.UTC)

func pairs() []pair {
	typical := baseMsg(map[string]*attrValue{
		"datacontenttype": str("application/json"),
		"subject":         str("orders/12345"),
		"time":            ts(when),
		"traceparent":     str("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
	})
	typical.Data = &cloudeventsv1.CloudEvent_TextData{TextData: `{"order":12345}`}

	allKinds := baseMsg(map[string]*attrValue{
		"dataschema": {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeUri{CeUri: "https://example.com/schema"}},
		"abool":      {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeBoolean{CeBoolean: false}},
		"bint":       {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeInteger{CeInteger: -7}},
		"cbin":       {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeBytes{CeBytes: []byte{0, 1, 2}}},
		"duri":       {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeUri{CeUri: "urn:x:y"}},
		"eref":       {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeUriRef{CeUriRef: "/relative"}},
		"fts":        ts(time.Unix(0, 0).UTC()),
		"gempty":     str(""),
		"zz":         {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeBoolean{CeBoolean: true}},
	})
	allKinds.Data = &cloudeventsv1.CloudEvent_BinaryData{BinaryData: []byte{0xff, 0}}

	emptyBinary := baseMsg(nil)
	emptyBinary.Data = &cloudeventsv1.CloudEvent_BinaryData{BinaryData: nil}

	return []pair{
		{"minimal", func() *event.Event { return base(new(event.Event)) }, baseMsg(nil)},
		{"typical", func() *event.Event {
			e := base(new(event.Event))
			e.SetDataContentType("application/json")
			e.SetSubject("orders/12345")
			e.SetTime("2026-11-26T10:00:00.123Z")
			e.SetExtension("traceparent", event.String("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
			e.SetData([]byte(`{"order":12345}`))
			return e
		}, typical},
		{"all kinds", func() *event.Event {
			e := base(new(event.Event))
			e.SetDataSchema("https://example.com/schema")
			e.SetExtension("abool", event.Boolean(false))
			e.SetExtension("bint", event.Integer(-7))
			e.SetExtension("cbin", event.Binary([]byte{0, 1, 2}))
			e.SetExtension("duri", event.URI("urn:x:y"))
			e.SetExtension("eref", event.URIRef("/relative"))
			e.SetExtension("fts", event.Timestamp("1970-01-01T00:00:00Z"))
			e.SetExtension("gempty", event.String(""))
			e.SetExtension("zz", event.Boolean(true))
			e.SetBinaryData([]byte{0xff, 0})
			return e
		}, allKinds},
		{"empty binary data", func() *event.Event {
			e := base(new(event.Event))
			e.SetBinaryData([]byte{})
			return e
		}, emptyBinary},
	}
}

// TestWireIdentical checks PROTO-ATTR-1, PROTO-ATTR-2, PROTO-ATTR-3 and
// PROTO-DATA-1/4/6 on the bytes: Append writes exactly what deterministic
// proto.Marshal writes for the same event, and Decode reads what
// proto.Marshal writes (in random map order) back into the same event.
func TestWireIdentical(t *testing.T) {
	for _, p := range pairs() {
		t.Run(p.name, func(t *testing.T) {
			e := p.event()
			got, err := protoformat.Append(nil, e)
			if err != nil {
				t.Fatal(err)
			}
			want, err := proto.MarshalOptions{Deterministic: true}.Marshal(p.msg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Append differs from deterministic proto.Marshal:\n got  %x\n want %x", got, want)
			}
			var back cloudeventsv1.CloudEvent
			if err := proto.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&back, p.msg) {
				t.Fatalf("proto.Unmarshal of Append output differs:\n got  %v\n want %v", &back, p.msg)
			}
			for range 5 { // map order varies between runs of proto.Marshal
				in, err := proto.Marshal(p.msg)
				if err != nil {
					t.Fatal(err)
				}
				var dec event.Event
				if err := protoformat.Decode(in, &dec); err != nil {
					t.Fatal(err)
				}
				if !dec.Equal(e) {
					t.Fatalf("Decode(proto.Marshal) = %+v, want %+v", dec, *e)
				}
			}
		})
	}
}

// TestProtoDataTypeURL checks proto_data with a dataschema that is an
// absolute URI (PROTO-DATA-1, PROTO-DATA-3).
func TestProtoDataTypeURL(t *testing.T) {
	e := base(new(event.Event))
	e.SetDataContentType("application/protobuf")
	e.SetDataSchema("https://type.example.com/x.Y")
	e.SetBinaryData([]byte{8, 1})
	msg := baseMsg(map[string]*attrValue{
		"datacontenttype": str("application/protobuf"),
		"dataschema":      {Attr: &cloudeventsv1.CloudEvent_CloudEventAttributeValue_CeUri{CeUri: "https://type.example.com/x.Y"}},
	})
	msg.Data = &cloudeventsv1.CloudEvent_ProtoData{ProtoData: &anypb.Any{TypeUrl: "https://type.example.com/x.Y", Value: []byte{8, 1}}}
	got, err := protoformat.Append(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	var dec event.Event
	if err := protoformat.Decode(want, &dec); err != nil {
		t.Fatal(err)
	}
	if !dec.Equal(e) {
		t.Fatalf("decoded %+v", dec)
	}
}

// TestBatchWireIdentical checks the batch against CloudEventBatch
// (PROTO-BATCH-2).
func TestBatchWireIdentical(t *testing.T) {
	var events []event.Event
	batch := &cloudeventsv1.CloudEventBatch{}
	for _, p := range pairs() {
		events = append(events, *p.event())
		batch.Events = append(batch.Events, p.msg)
	}
	got, err := protoformat.AppendBatch(nil, events)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := proto.MarshalOptions{Deterministic: true}.Marshal(batch)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	dec, err := protoformat.DecodeBatch(want, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(dec) != len(events) {
		t.Fatalf("%d events, want %d", len(dec), len(events))
	}
	for i := range dec {
		if !dec[i].Equal(&events[i]) {
			t.Errorf("event %d differs", i)
		}
	}
	empty, err := protoformat.DecodeBatch(nil, nil)
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty batch: %d events, %v", len(empty), err)
	}
}

// TestLargeField checks length prefixes of more than one byte.
func TestLargeField(t *testing.T) {
	e := base(new(event.Event))
	e.SetDataContentType("text/plain")
	e.SetData(bytes.Repeat([]byte("x"), 300))
	msg := baseMsg(map[string]*attrValue{"datacontenttype": str("text/plain")})
	msg.Data = &cloudeventsv1.CloudEvent_TextData{TextData: string(bytes.Repeat([]byte("x"), 300))}
	batch := &cloudeventsv1.CloudEventBatch{Events: []*cloudeventsv1.CloudEvent{msg, msg}}
	got, err := protoformat.AppendBatch(nil, []event.Event{*e, *e})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := proto.MarshalOptions{Deterministic: true}.Marshal(batch)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
}
