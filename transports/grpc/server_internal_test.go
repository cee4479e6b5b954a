package grpc

import (
	"context"
	"errors"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
)

// TestHandleBatchInvalidEvent checks that an invalid event in a Stream
// batch fails alone, with its requirement IDs, and never reaches the
// handler.
func TestHandleBatchInvalidEvent(t *testing.T) {
	var seen []string
	s, err := NewServer(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		seen = append(seen, e.ID())
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	var good event.Event
	good.SetSpecVersion("1.0")
	good.SetID("a")
	good.SetSource("/s")
	good.SetType("t")
	raw, err := protoformat.AppendField(nil, 1, &good)
	if err != nil {
		t.Fatal(err)
	}
	// An event with an empty id, written by hand (our encoder refuses it).
	bad := slices.Concat(
		protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "/s"),
		protowire.AppendString(protowire.AppendTag(nil, 3, protowire.BytesType), "1.0"),
		protowire.AppendString(protowire.AppendTag(nil, 4, protowire.BytesType), "t"),
	)
	raw = protowire.AppendBytes(protowire.AppendTag(raw, 1, protowire.BytesType), bad)
	raw, _ = protoformat.AppendField(raw, 1, &good)
	raw = protowire.AppendVarint(protowire.AppendTag(raw, 2, protowire.VarintType), 9)

	var b inBatch
	b.f.set(raw)
	var ack streamResponse
	if err := s.handleBatch(context.Background(), &b, &ack); err != nil {
		t.Fatal(err)
	}
	if ack.sequence != 9 || ack.accepted != 2 || len(ack.failures) != 1 {
		t.Fatalf("ack %+v", ack)
	}
	f := ack.failures[0]
	if f.index != 1 || codes.Code(f.code) != codes.InvalidArgument || !slices.Contains(f.rules, "CORE-ATTR-ID-2") {
		t.Errorf("failure %v", f)
	}
	if !slices.Equal(seen, []string{"a", "a"}) {
		t.Errorf("handler saw %v", seen)
	}

	b.f.set([]byte{0x0a, 0x05})
	if err := s.handleBatch(context.Background(), &b, &ack); !errors.Is(err, protoformat.ErrSyntax) {
		t.Errorf("truncated batch: %v", err)
	}
}
