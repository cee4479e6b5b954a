package jsonformat

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
)

// decoderDocs returns the corpus, the fast path's documents and batches of
// several sizes (some over the 1 MiB a Decoder keeps), small and large in
// turn, so that a Decoder reuses, grows and declines its buffers.
func decoderDocs(t *testing.T) (docs [][]byte, batch []bool) {
	t.Helper()
	cases, err := eventtest.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		docs, batch = append(docs, c.Data), append(batch, c.Batch)
	}
	for _, doc := range fastPathDocs {
		docs, batch = append(docs, []byte(doc)), append(batch, false)
	}
	for _, n := range []int{100, 1, 3000, 7, 300} {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = strings.Replace(eventtest.Large, "7f6c9f2e", strconv.Itoa(10000000+i), 1)
		}
		docs, batch = append(docs, []byte("["+strings.Join(parts, ",")+"]")), append(batch, true)
	}
	return docs, batch
}

// TestDecoderAgrees checks that a Decoder, reused across calls, gives the
// events and errors of Decode and DecodeBatch, each checked before the
// next call overwrites it.
func TestDecoderAgrees(t *testing.T) {
	docs, batch := decoderDocs(t)
	var dec Decoder
	var e event.Event
	var events []event.Event
	for round := range 2 {
		for k, doc := range docs {
			if batch[k] {
				want, wantErr := DecodeBatch(doc, nil)
				var err error
				events, err = dec.DecodeBatch(doc, events[:0])
				if !reflect.DeepEqual(err, wantErr) || len(events) != len(want) {
					t.Fatalf("round %d, document %d: Decoder gave %d events, %v; DecodeBatch %d, %v", round, k, len(events), err, len(want), wantErr)
				}
				for i := range want {
					if !events[i].Equal(&want[i]) || events[i].IsBinaryData() != want[i].IsBinaryData() {
						t.Fatalf("round %d, document %d: event %d differs", round, k, i)
					}
				}
				continue
			}
			var want event.Event
			wantErr := Decode(doc, &want)
			err := dec.Decode(doc, &e)
			if !reflect.DeepEqual(err, wantErr) || !e.Equal(&want) || e.IsBinaryData() != want.IsBinaryData() {
				t.Fatalf("round %d, document %d (%q): Decoder gave %v, Decode %v", round, k, doc, err, wantErr)
			}
		}
	}
}

// TestDecoderAllocs checks the point of a Decoder: once warm, it
// decodes a batch of 100 events, and one event into a reused Event,
// without allocating.
func TestDecoderAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation")
	}
	parts := make([]string, 100)
	for i := range parts {
		parts[i] = strings.Replace(eventtest.Typical, "7f6c9f2e", strconv.Itoa(10000000+i), 1)
	}
	in := []byte("[" + strings.Join(parts, ",") + "]")
	var dec Decoder
	dst := make([]event.Event, 0, 100)
	if n := testing.AllocsPerRun(50, func() {
		var err error
		if dst, err = dec.DecodeBatch(in, dst[:0]); err != nil || len(dst) != 100 {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Decoder.DecodeBatch of 100 events: %v allocs, want 0", n)
	}
	var e event.Event
	one := []byte(eventtest.Typical)
	if n := testing.AllocsPerRun(100, func() {
		if err := dec.Decode(one, &e); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Decoder.Decode into a reused event: %v allocs, want 0", n)
	}
}

// TestDecoderInputInItsBuffer decodes, with the same Decoder, an event
// that is the data of an event it has just decoded, so that the input
// lies in the Decoder's own buffer; the result must be Decode's.
func TestDecoderInputInItsBuffer(t *testing.T) {
	// The inner event is longer than the outer envelope before it, so
	// that copying it to the front of the buffer would overwrite it.
	outer := []byte(`{"specversion":"1.0","id":"o","source":"/","type":"t","data":` +
		`{"specversion":"1.0","id":"in\\ner","source":"/inner/source/long/enough","type":"t","subject":"caf\u00e9"}}`)
	var dec Decoder
	var e event.Event
	if err := dec.Decode(outer, &e); err != nil {
		t.Fatal(err)
	}
	inner := e.Data()
	var want event.Event
	if err := Decode(inner, &want); err != nil {
		t.Fatal(err)
	}
	var got event.Event
	if err := dec.Decode(inner, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(&want) || got.ID() != `in\ner` || got.Subject() != "café" {
		t.Fatalf("inner event: id %q subject %q, want %q %q", got.ID(), got.Subject(), want.ID(), want.Subject())
	}
}
