package jsonformat_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// typical is the benchmark event named in the foundation issue: seven
// attributes, a traceparent extension and a small JSON object as data.
const typical = eventtest.Typical

// batchOf returns a batch of n copies of doc, each with an id of its own.
func batchOf(doc string, n int) []byte {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.Replace(doc, "7f6c9f2e", strconv.Itoa(10000000+i), 1)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

func BenchmarkDecode(b *testing.B) {
	in := []byte(typical)
	b.Run("openevents", func(b *testing.B) {
		var e event.Event
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if err := jsonformat.Decode(in, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdkgo", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			var e sdk.Event
			if err := json.Unmarshal(in, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	in := []byte(typical)
	b.Run("openevents", func(b *testing.B) {
		var e event.Event
		if err := jsonformat.Decode(in, &e); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, 1024)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = jsonformat.Append(buf[:0], &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdkgo", func(b *testing.B) {
		var e sdk.Event
		if err := json.Unmarshal(in, &e); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkValidate compares Validate on the typical event. "openevents"
// runs our full check on an event built through setters (nothing
// remembered); "openevents-decoded" calls Validate on a decoded event,
// where the decoder's Check already proved it valid and Validate answers
// from that verdict.
func BenchmarkValidate(b *testing.B) {
	in := []byte(typical)
	b.Run("openevents", func(b *testing.B) {
		var d event.Event
		if err := jsonformat.Decode(in, &d); err != nil {
			b.Fatal(err)
		}
		var e event.Event
		d.Attributes(func(name string, v event.Value) bool { e.Set(name, v); return true })
		b.ReportAllocs()
		for b.Loop() {
			if err := e.Validate(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("openevents-decoded", func(b *testing.B) {
		var e event.Event
		if err := jsonformat.Decode(in, &e); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := e.Validate(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdkgo", func(b *testing.B) {
		var e sdk.Event
		if err := json.Unmarshal(in, &e); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := e.Validate(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeBatch decodes a batch of 100 typical events.
func BenchmarkDecodeBatch(b *testing.B) { benchmarkDecodeBatch(b, typical) }

// BenchmarkDecodeBatchLarge decodes a batch of 100 events with the larger
// data of eventtest.Large.
func BenchmarkDecodeBatchLarge(b *testing.B) { benchmarkDecodeBatch(b, eventtest.Large) }

func benchmarkDecodeBatch(b *testing.B, doc string) {
	const n = 100
	in := batchOf(doc, n)
	// run measures decode on in, each call of which must give n events.
	run := func(b *testing.B, decode func() (int, error)) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if got, err := decode(); err != nil || got != n {
				b.Fatal(got, err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("openevents", func(b *testing.B) {
		dst := make([]event.Event, 0, n)
		run(b, func() (int, error) {
			var err error
			dst, err = jsonformat.DecodeBatch(in, dst[:0])
			return len(dst), err
		})
	})
	// A Decoder keeps its buffers between calls (the events live until
	// its next call), as a receive loop would use it.
	b.Run("openevents-decoder", func(b *testing.B) {
		var dec jsonformat.Decoder
		dst := make([]event.Event, 0, n)
		run(b, func() (int, error) {
			var err error
			dst, err = dec.DecodeBatch(in, dst[:0])
			return len(dst), err
		})
	})
	b.Run("sdkgo", func(b *testing.B) {
		run(b, func() (int, error) {
			var events []sdk.Event
			err := json.Unmarshal(in, &events)
			return len(events), err
		})
	})
}
