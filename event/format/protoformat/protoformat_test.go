package protoformat_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/format/protoformat"
)

// Hand-built wire images: a field is its tag and value, a message the
// concatenation of its fields.

func str(num protowire.Number, s string) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func msg(num protowire.Number, fields ...[]byte) []byte {
	body := slices.Concat(fields...)
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

func varint(num protowire.Number, v uint64) []byte {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// attr is an attributes map entry whose value sets the given members.
func attr(name string, members ...[]byte) []byte {
	return msg(5, str(1, name), msg(2, members...))
}

func required() []byte {
	return slices.Concat(str(1, "1"), str(2, "/s"), str(3, "1.0"), str(4, "t"))
}

func ev(fields ...[]byte) []byte { return slices.Concat(append([][]byte{required()}, fields...)...) }

func rulesOf(err error) []string {
	if ve, ok := errors.AsType[*event.ValidationError](err); ok {
		return ve.Rules()
	}
	if se, ok := errors.AsType[*protoformat.SyntaxError](err); ok {
		return []string{"syntax:" + se.Rule}
	}
	return nil
}

// TestDecodeRules checks that each strict rule is reported with its
// requirement ID.
func TestDecodeRules(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty id", slices.Concat(str(2, "/s"), str(3, "1.0"), str(4, "t")), "CORE-ATTR-ID-2"},
		{"empty source", slices.Concat(str(1, "1"), str(3, "1.0"), str(4, "t")), "CORE-ATTR-SOURCE-2"},
		{"empty specversion", slices.Concat(str(1, "1"), str(2, "/s"), str(4, "t")), "CORE-ATTR-SPECVERSION-2"},
		{"empty type", slices.Concat(str(1, "1"), str(2, "/s"), str(3, "1.0")), "CORE-ATTR-TYPE-2"},
		{"unknown specversion", slices.Concat(str(1, "1"), str(2, "/s"), str(3, "0.3"), str(4, "t")), "CORE-ATTR-SPECVERSION-3"},
		{"id twice", ev(str(1, "2")), "CORE-ATTR-4"},
		{"required attribute in the map", ev(attr("id", str(3, "x"))), "PROTO-ATTR-1"},
		{"time as ce_string", ev(attr("time", str(3, "2020-01-01T00:00:00Z"))), "PROTO-ATTR-3"},
		{"subject as ce_integer", ev(attr("subject", varint(2, 1))), "PROTO-ATTR-3"},
		{"dataschema as ce_uri_ref", ev(attr("dataschema", str(6, "/x"))), "PROTO-ATTR-3"},
		{"value without member", ev(attr("ext")), "PROTO-ATTR-3"},
		{"value with two members", ev(attr("ext", varint(1, 1), str(3, "x"))), "PROTO-ATTR-3"},
		{"illegal name", ev(attr("Bad-Name", str(3, "x"))), "CORE-NAMING-1"},
		{"empty name", ev(attr("", str(3, "x"))), "CORE-NAMING-5"},
		{"name data", ev(attr("data", str(3, "x"))), "CORE-NAMING-6"},
		{"map key twice", ev(attr("ext", str(3, "x")), attr("ext", str(3, "y"))), "CORE-ATTR-4"},
		{"subject twice", ev(attr("subject", str(3, "x")), attr("subject", str(3, "y"))), "CORE-ATTR-4"},
		{"empty subject", ev(attr("subject", str(3, ""))), "CORE-ATTR-SUBJECT-1"},
		{"two data fields", ev(str(6, "a"), str(7, "b")), "PROTO-DATA-8"},
		{"text_data not UTF-8", ev(str(7, "\xff")), "PROTO-DATA-4"},
		{"timestamp out of range", ev(attr("time", msg(7, varint(1, 1<<62)))), "PROTO-TYPE-1"},
		{"negative nanos", ev(attr("time", msg(7, varint(2, uint64(1<<64-1))))), "PROTO-TYPE-1"},
		{"traceparent as integer", ev(attr("traceparent", varint(2, 1))), "EXT-DISTTRACE-2"},
		{"relative dataschema", ev(attr("dataschema", str(5, "/x"))), "CORE-ATTR-DATASCHEMA-1"},
		{"control character in id", slices.Concat(str(1, "a\x01"), str(2, "/s"), str(3, "1.0"), str(4, "t")), "CORE-TYPE-STRING-1"},
		{"truncated", required()[:5], "syntax:PROTO-ATTR-1"},
		{"id as varint", slices.Concat(varint(1, 5), required()), "syntax:PROTO-ATTR-1"},
		{"attributes as varint", ev(varint(5, 1)), "syntax:PROTO-ATTR-2"},
		{"bad tag", ev([]byte{0x80}), "syntax:PROTO-ATTR-1"},
		{"ce_boolean as bytes", ev(attr("b", str(1, "x"))), "syntax:PROTO-ATTR-3"},
		{"proto_data value as varint", ev(msg(8, varint(2, 1))), "syntax:PROTO-DATA-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e event.Event
			err := protoformat.Decode(tt.in, &e)
			if !slices.Contains(rulesOf(err), tt.want) {
				t.Fatalf("rules %v (%v), want %s", rulesOf(err), err, tt.want)
			}
		})
	}
}

// TestDecodeAccepts checks inputs a strict decoder must still accept.
func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		check func(t *testing.T, e *event.Event)
	}{
		{"unknown fields are skipped", ev(varint(99, 1), str(100, "x"), attr("ext", str(3, "v"), varint(50, 1))), func(t *testing.T, e *event.Event) {
			if v, _ := e.Extension("ext"); v.Text() != "v" {
				t.Errorf("ext = %v", v)
			}
		}},
		{"extensions sorted whatever the wire order", ev(attr("zz", varint(2, 1)), attr("aa", varint(1, 1)), attr("mm", str(4, "\x00"))), func(t *testing.T, e *event.Event) {
			var names []string
			for _, x := range e.Extensions() {
				names = append(names, x.Name)
			}
			if !slices.Equal(names, []string{"aa", "mm", "zz"}) {
				t.Errorf("names %v", names)
			}
		}},
		{"negative integer", ev(attr("n", varint(2, uint64(1<<64-5)))), func(t *testing.T, e *event.Event) {
			if v, _ := e.Extension("n"); v.Kind() != event.KindInteger || v.Int() != -5 {
				t.Errorf("n = %v", v)
			}
		}},
		{"timestamp text in UTC", ev(attr("time", msg(7, varint(1, 1764151200), varint(2, 5000)))), func(t *testing.T, e *event.Event) {
			if e.Time() != "2025-11-26T10:00:00.000005Z" {
				t.Errorf("time %q", e.Time())
			}
		}},
		{"epoch timestamp extension", ev(attr("ts", msg(7))), func(t *testing.T, e *event.Event) {
			if v, _ := e.Extension("ts"); v.Kind() != event.KindTimestamp || v.Text() != "1970-01-01T00:00:00Z" {
				t.Errorf("ts = %v", v)
			}
		}},
		{"sdk-go JSON in binary_data is text", ev(attr("datacontenttype", str(3, "application/json")), str(6, `{"a":1}`)), func(t *testing.T, e *event.Event) {
			if e.IsBinaryData() || string(e.Data()) != `{"a":1}` {
				t.Errorf("binary %v data %q", e.IsBinaryData(), e.Data())
			}
		}},
		{"Java JSON in text_data is text", ev(attr("datacontenttype", str(3, "application/json")), str(7, `{"a":1}`)), func(t *testing.T, e *event.Event) {
			if e.IsBinaryData() || string(e.Data()) != `{"a":1}` {
				t.Errorf("binary %v data %q", e.IsBinaryData(), e.Data())
			}
		}},
		{"text/plain binary_data is text", ev(attr("datacontenttype", str(3, "Text/Plain; charset=utf-8")), str(6, "hi")), func(t *testing.T, e *event.Event) {
			if e.IsBinaryData() {
				t.Error("binary")
			}
		}},
		{"binary_data without content type stays binary", ev(str(6, "hi")), func(t *testing.T, e *event.Event) {
			if !e.IsBinaryData() {
				t.Error("not binary")
			}
		}},
		{"JSON content type but not UTF-8 stays binary", ev(attr("datacontenttype", str(3, "application/json")), str(6, "\xff")), func(t *testing.T, e *event.Event) {
			if !e.IsBinaryData() {
				t.Error("not binary")
			}
		}},
		{"image binary_data stays binary", ev(attr("datacontenttype", str(3, "image/png")), str(6, "\x89PNG")), func(t *testing.T, e *event.Event) {
			if !e.IsBinaryData() {
				t.Error("not binary")
			}
		}},
		{"proto_data gets application/protobuf", ev(msg(8, str(1, "type.example.com/x"), str(2, "\x08\x01"))), func(t *testing.T, e *event.Event) {
			if !e.IsBinaryData() || string(e.Data()) != "\x08\x01" || e.DataContentType() != "application/protobuf" {
				t.Errorf("data %q ct %q", e.Data(), e.DataContentType())
			}
		}},
		{"empty binary_data is empty data", ev(str(6, "")), func(t *testing.T, e *event.Event) {
			if !e.HasData() || len(e.Data()) != 0 {
				t.Errorf("has %v data %q", e.HasData(), e.Data())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e event.Event
			if err := protoformat.Decode(tt.in, &e); err != nil {
				t.Fatal(err)
			}
			tt.check(t, &e)
		})
	}
}

// TestBatchPointers checks that batch violations name the event.
func TestBatchPointers(t *testing.T) {
	ok := msg(1, required())
	bad := msg(1, ev(attr("subject", str(3, ""))))
	events, err := protoformat.DecodeBatch(slices.Concat(ok, bad), nil)
	ve, isVE := errors.AsType[*event.ValidationError](err)
	if !isVE || len(events) != 2 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	if p := ve.Violations[0].Pointer; p != "/1/subject" {
		t.Errorf("pointer %q, want /1/subject", p)
	}
	if _, err := protoformat.DecodeBatch(varint(1, 3), nil); !errors.Is(err, protoformat.ErrSyntax) {
		t.Errorf("events as varint: %v", err)
	}
}

// TestRoundTrip encodes every valid 1.0 event of the shared corpus and
// decodes it back.
func TestRoundTrip(t *testing.T) {
	for _, c := range validCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			b, err := protoformat.Append(nil, &c.event)
			if err != nil {
				t.Fatal(err)
			}
			var back event.Event
			if err := protoformat.Decode(b, &back); err != nil {
				t.Fatal(err)
			}
			want := normalized(&c.event)
			if !back.Equal(&want) {
				t.Fatalf("round trip changed the event:\n got  %+v\n want %+v", back, want)
			}
			again, err := protoformat.Append(nil, &back)
			first, _ := protoformat.Append(nil, &want)
			if err != nil || string(again) != string(first) {
				t.Fatalf("encoding not stable (%v)", err)
			}
		})
	}
}

// TestEncodeRefuses checks that invalid events are not written.
func TestEncodeRefuses(t *testing.T) {
	var e event.Event
	e.SetID("1")
	if _, err := protoformat.Append(nil, &e); !errors.Is(err, event.ErrInvalid) {
		t.Errorf("invalid event: %v", err)
	}
	e.SetSource("/s")
	e.SetSpecVersion("1.0")
	e.SetType("t")
	e.SetTime("0000-01-01T00:00:00Z")
	if out, err := protoformat.Append([]byte("keep"), &e); err == nil || string(out) != "keep" {
		t.Errorf("year 0: %q, %v", out, err)
	}
	if _, err := protoformat.AppendBatch(nil, []event.Event{e}); err == nil {
		t.Error("batch with year 0 accepted")
	}
}

type corpusEvent struct {
	name  string
	json  []byte
	event event.Event
}

// validCorpus returns the valid single 1.0 events of the shared corpus.
func validCorpus(t testing.TB) []corpusEvent {
	t.Helper()
	cases, err := corpusCases()
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusEvent
	for _, c := range cases {
		if !c.Valid || c.Batch {
			continue
		}
		var e event.Event
		if err := jsonformat.Decode(c.Data, &e); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		out = append(out, corpusEvent{name: c.Name, json: c.Data, event: e})
	}
	if len(out) < 50 {
		t.Fatalf("only %d corpus events", len(out))
	}
	return out
}

// normalized returns e as the protobuf format gives it back: time and
// Timestamp extensions in UTC, and binary data with a JSON or text content
// type as text (the decoder's reading of binary_data, which is how sdk-go
// sends JSON).
func normalized(e *event.Event) event.Event {
	n := e.Clone()
	if e.IsBinaryData() && (event.IsJSONMediaType(e.DataContentType()) || strings.HasPrefix(e.DataContentType(), "text/")) && utf8.Valid(e.Data()) {
		n.SetData(n.Data())
	}
	if e.Has(event.AttrTime) {
		n.SetTime(utc(e.Time()))
	}
	for _, x := range e.Extensions() {
		if x.Value.Kind() == event.KindTimestamp {
			n.SetExtension(x.Name, event.Timestamp(utc(x.Value.Text())))
		}
	}
	return n
}
