package grpc

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
)

// FuzzFrame feeds arbitrary bytes, split into arbitrary pieces as HTTP/2
// DATA frames split a message, through the receive path of the server:
// the codec, then the parsing of a PublishRequest and of a StreamRequest
// batch. Nothing may panic; the codec must deliver the bytes unchanged; a
// parse either fails with a *protoformat.SyntaxError that names a rule
// and an offset inside the input, or its result re-encodes to a message
// that parses to the same result.
func FuzzFrame(f *testing.F) {
	var e event.Event
	e.SetSpecVersion("1.0")
	e.SetID("a")
	e.SetSource("/s")
	e.SetType("com.example.t")
	e.SetSubject("x")
	e.SetExtension("tenant", event.String("t1"))
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"n":1}`))
	publish, err := protoformat.AppendField(nil, 1, &e)
	if err != nil {
		f.Fatal(err)
	}
	batch, err := protoformat.AppendBatch(nil, []event.Event{e, e})
	if err != nil {
		f.Fatal(err)
	}
	stream := protowire.AppendVarint(protowire.AppendTag(batch, 2, protowire.VarintType), 7)
	f.Add(publish, uint16(3))
	f.Add(stream, uint16(1))
	f.Add(stream[:len(stream)-3], uint16(0)) // truncated
	f.Add([]byte{}, uint16(0))
	f.Add(protowire.AppendTag(nil, 2, protowire.VarintType), uint16(0))

	srv, err := NewServer(binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }))
	if err != nil {
		f.Fatal(err)
	}
	c := newCodec(bufferPool())
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		// The codec: pieces of the input in, the same bytes out.
		var data mem.BufferSlice
		rest := in
		for step := int(split%64) + 1; len(rest) > 0; {
			n := min(step, len(rest))
			data = append(data, mem.SliceBuffer(rest[:n]))
			rest = rest[n:]
		}
		var fr frame
		if err := c.Unmarshal(data, &fr); err != nil {
			t.Fatalf("codec: %v", err)
		}
		if !bytes.Equal(fr.bytes(), in) {
			t.Fatalf("codec delivered %x, want %x", fr.bytes(), in)
		}
		raw := fr.bytes()

		// PublishRequest: the event field round-trips.
		ev, err := eventField(raw)
		if err != nil {
			checkSyntax(t, err, len(raw))
		} else {
			again, err := eventField(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), ev))
			if err != nil || !bytes.Equal(again, ev) {
				t.Fatalf("PublishRequest event %x re-parsed as %x, %v", ev, again, err)
			}
		}

		// StreamRequest: the sequence round-trips, and the batch is
		// acknowledged event by event or refused as a whole.
		seq, err := sequenceOf(raw)
		if err != nil {
			checkSyntax(t, err, len(raw))
		} else if again, err := sequenceOf(protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), seq)); err != nil || again != seq {
			t.Fatalf("sequence %d re-parsed as %d, %v", seq, again, err)
		}
		b := &inBatch{}
		b.f.set(raw)
		var ack streamResponse
		err = srv.handleBatch(context.Background(), b, &ack)
		if err != nil {
			checkSyntax(t, err, len(raw))
			fr.release()
			return
		}
		if ack.sequence != seq {
			t.Fatalf("ack for sequence %d, the request has %d", ack.sequence, seq)
		}
		events, derr := protoformat.DecodeBatch(raw, nil)
		if derr != nil && errors.Is(derr, protoformat.ErrSyntax) {
			t.Fatalf("handleBatch accepted a batch DecodeBatch refuses: %v", derr)
		}
		if int(ack.accepted)+len(ack.failures) != len(events) {
			t.Fatalf("ack counts %d accepted and %d failed, the batch has %d events", ack.accepted, len(ack.failures), len(events))
		}
		for _, fail := range ack.failures {
			if int(fail.index) >= len(events) || fail.code != int32(codes.InvalidArgument) || len(fail.rules) == 0 {
				t.Fatalf("unclear failure %v for a batch of %d events", fail, len(events))
			}
		}
		// The events accepted re-encode to a batch that decodes to them.
		if derr == nil {
			enc, err := protoformat.AppendBatch(nil, events)
			if err != nil {
				t.Fatalf("valid events do not encode: %v", err)
			}
			back, err := protoformat.DecodeBatch(enc, nil)
			if err != nil || len(back) != len(events) {
				t.Fatalf("re-encoded batch: %d events, %v; want %d", len(back), err, len(events))
			}
			for i := range back {
				if !back[i].Equal(&events[i]) {
					t.Fatalf("event %d changed in a round trip", i)
				}
			}
		}
		fr.release()
	})
}

// checkSyntax fails t unless err is a *protoformat.SyntaxError with a rule
// and an offset within an input of n bytes.
func checkSyntax(t *testing.T, err error, n int) {
	t.Helper()
	se, ok := errors.AsType[*protoformat.SyntaxError](err)
	if !ok {
		t.Fatalf("error %T %v, want a *protoformat.SyntaxError", err, err)
	}
	if se.Rule == "" || se.Offset < 0 || se.Offset > int64(n) {
		t.Fatalf("unclear error %v: rule %q, offset %d of %d bytes", err, se.Rule, se.Offset, n)
	}
}
