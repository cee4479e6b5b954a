package protoformat_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/protoformat"
)

// manyAttributes is a valid event whose attributes map holds the names
// in the given order, each a string "v".
func manyAttributes(names []string) []byte {
	b := required()
	for _, n := range names {
		b = append(b, attr(n, str(3, "v"))...)
	}
	return b
}

// TestManyAttributesAnyOrder: 100,000 map entries decode in any order,
// the limit raised, to the same sorted event. The deadline guards
// against quadratic time; the benchmark measures.
func TestManyAttributesAnyOrder(t *testing.T) {
	const n = 100_000
	for _, order := range []int{eventtest.Reversed, eventtest.Shuffled} {
		in := manyAttributes(eventtest.ExtensionNames(n, order))
		var e event.Event
		done := make(chan error, 1)
		go func() { done <- protoformat.Options{MaxAttributes: n + 4}.Decode(in, &e) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("order %d: %v", order, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("order %d: %d entries not decoded in 30 s", order, n)
		}
		ext := e.Extensions()
		if len(ext) != n {
			t.Fatalf("order %d: %d extensions, want %d", order, len(ext), n)
		}
		for i := 1; i < len(ext); i++ {
			if ext[i-1].Name >= ext[i].Name {
				t.Fatalf("order %d: not sorted at %d", order, i)
			}
		}
	}
}

// TestAttributeLimit: the four required fields and the map entries count;
// one over the limit is an AttributeLimitError, in Decode and in a batch.
func TestAttributeLimit(t *testing.T) {
	names := eventtest.ExtensionNames(event.DefaultMaxAttributes-3, eventtest.Shuffled)
	var e event.Event
	if err := protoformat.Decode(manyAttributes(names[:len(names)-1]), &e); err != nil {
		t.Fatalf("%d attributes: %v", event.DefaultMaxAttributes, err)
	}
	over := manyAttributes(names)
	err := protoformat.Decode(over, &e)
	var le *event.AttributeLimitError
	if !errors.As(err, &le) || le.Max != event.DefaultMaxAttributes {
		t.Errorf("Decode, %d attributes: %v", event.DefaultMaxAttributes+1, err)
	}
	if _, err := protoformat.DecodeBatch(msg(1, over), nil); !errors.Is(err, event.ErrTooManyAttributes) {
		t.Errorf("DecodeBatch, %d attributes: %v", event.DefaultMaxAttributes+1, err)
	}
	if err := (protoformat.Options{MaxAttributes: 5}).Decode(ev(attr("a", str(3, "x")), attr("b", str(3, "y"))), &e); !errors.Is(err, event.ErrTooManyAttributes) {
		t.Errorf("MaxAttributes 5, 6 attributes: %v", err)
	}
}

// TestRepeatedKeyOutOfOrder: a repeated map key is CORE-ATTR-4 however
// the keys arrive.
func TestRepeatedKeyOutOfOrder(t *testing.T) {
	in := ev(attr("c", str(3, "1")), attr("b", str(3, "2")), attr("a", str(3, "3")), attr("b", str(3, "4")))
	var e event.Event
	if got := rulesOf(protoformat.Decode(in, &e)); len(got) != 1 || got[0] != "CORE-ATTR-4" {
		t.Errorf("rules %v, want [CORE-ATTR-4]", got)
	}
}

// BenchmarkManyAttributes decodes events of 10, 1k and 100k map entries
// in shuffled order and reports the time per attribute.
func BenchmarkManyAttributes(b *testing.B) {
	for _, n := range []int{10, 1000, 100_000} {
		in := manyAttributes(eventtest.ExtensionNames(n, eventtest.Shuffled))
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			o := protoformat.Options{MaxAttributes: n + 4}
			var e event.Event
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := o.Decode(in, &e); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/attr")
		})
	}
}

// TestFieldNumberOutOfRange: a tag whose field number is above the largest
// protobuf allows (2^29-1) is malformed, as the generated decoders say,
// even where the field would be skipped as unknown.
func TestFieldNumberOutOfRange(t *testing.T) {
	tag := protowire.AppendTag(nil, protowire.MaxValidNumber+1, protowire.VarintType)
	in := append(required(), protowire.AppendVarint(tag, 1)...)
	var e event.Event
	var se *protoformat.SyntaxError
	if err := protoformat.Decode(in, &e); !errors.As(err, &se) {
		t.Errorf("field %d: %v, want a SyntaxError", protowire.MaxValidNumber+1, err)
	}
	ok := append(required(), protowire.AppendVarint(protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.VarintType), 1)...)
	if err := protoformat.Decode(ok, &e); err != nil {
		t.Errorf("field %d (unknown, skipped): %v", protowire.MaxValidNumber, err)
	}
}
