package protoformat_test

import (
	"encoding/json"
	"testing"

	sdkproto "github.com/cloudevents/sdk-go/binding/format/protobuf/v2"
	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/format/protoformat"
)

// typical is the benchmark event of the issues: seven attributes, a
// traceparent extension and about 100 bytes of JSON data (the same event
// as jsonformat's benchmarks).
const typical = eventtest.Typical

func typicalEvent(tb testing.TB) *event.Event {
	tb.Helper()
	var e event.Event
	if err := jsonformat.Decode([]byte(typical), &e); err != nil {
		tb.Fatal(err)
	}
	return &e
}

func sdkTypical(tb testing.TB) *sdk.Event {
	tb.Helper()
	var e sdk.Event
	if err := json.Unmarshal([]byte(typical), &e); err != nil {
		tb.Fatal(err)
	}
	return &e
}

// BenchmarkProtoDecode decodes the typical event from the protobuf format,
// validation included, against sdk-go's protobuf format on the bytes
// sdk-go writes for it.
func BenchmarkProtoDecode(b *testing.B) {
	b.Run("openevents", func(b *testing.B) {
		in, err := protoformat.Marshal(typicalEvent(b))
		if err != nil {
			b.Fatal(err)
		}
		var e event.Event
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if err := protoformat.Decode(in, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdkgo", func(b *testing.B) {
		in, err := sdkproto.Protobuf.Marshal(sdkTypical(b))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			var e sdk.Event
			if err := sdkproto.Protobuf.Unmarshal(in, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkProtoEncode encodes the typical event, validation included, into
// a reused buffer, against sdk-go's protobuf format.
func BenchmarkProtoEncode(b *testing.B) {
	b.Run("openevents", func(b *testing.B) {
		e := typicalEvent(b)
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = protoformat.Append(buf[:0], e); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	// The event above was decoded, so Check has remembered that it is
	// valid (a relay's case). An event built by setters is validated in
	// full by Append.
	b.Run("openevents-validating", func(b *testing.B) {
		e := typicalEvent(b)
		e.SetID(e.ID()) // any change forgets the remembered verdict
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = protoformat.Append(buf[:0], e); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("sdkgo", func(b *testing.B) {
		e := sdkTypical(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sdkproto.Protobuf.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkProtoDecodeBatch decodes a batch of 100 typical events.
func BenchmarkProtoDecodeBatch(b *testing.B) {
	const n = 100
	events := make([]event.Event, n)
	for i := range events {
		events[i] = *typicalEvent(b)
	}
	in, err := protoformat.AppendBatch(nil, events)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]event.Event, 0, n)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if dst, err = protoformat.DecodeBatch(in, dst[:0]); err != nil || len(dst) != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
