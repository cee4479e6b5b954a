package conformance

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/openevents/openevents/spec"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// A grpcSenderFault is a gRPC sender with one seeded violation: the
// reference gRPC sender with each event it publishes rewritten on the
// way out (event), or with metadata added to its calls (md); the
// requirement want must then FAIL.
type grpcSenderFault struct {
	name, want string
	event      func(fields []protoField) []protoField
	md         []string
}

// protoField is one field of a CloudEvent message, as it was on the wire.
type protoField struct {
	num protowire.Number
	typ protowire.Type
	v   []byte
	x   uint64
}

var grpcSenderFaults = []grpcSenderFault{
	{name: "sender-text-in-binary-data", want: "PROTO-DATA-4", event: func(fs []protoField) []protoField {
		return renumber(fs, fieldTextData, fieldBinaryData)
	}},
	{name: "sender-binary-in-text-data", want: "PROTO-DATA-6", event: func(fs []protoField) []protoField {
		return renumber(fs, fieldBinaryData, fieldTextData)
	}},
	// proto_data unpacked into binary_data: the message's bytes, no Any.
	{name: "sender-proto-as-binary", want: "PROTO-DATA-1", event: func(fs []protoField) []protoField {
		for i := range fs {
			if fs[i].num == fieldProtoData {
				var value []byte
				_ = walkProto(fs[i].v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
					if num == 2 {
						value = v
					}
					return nil
				})
				fs[i] = protoField{num: fieldBinaryData, typ: protowire.BytesType, v: value}
			}
		}
		return fs
	}},
	// The type URL of the Any left out (only the bytes are packed).
	{name: "sender-no-type-url", want: "PROTO-DATA-3", event: func(fs []protoField) []protoField {
		for i := range fs {
			if fs[i].num == fieldProtoData {
				var anyMsg []byte
				_ = walkProto(fs[i].v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
					if num == 2 {
						anyMsg = protowire.AppendTag(anyMsg, 2, protowire.BytesType)
						anyMsg = protowire.AppendBytes(anyMsg, v)
					}
					return nil
				})
				fs[i].v = anyMsg
			}
		}
		return fs
	}},
	// time written as its RFC 3339 string in ce_string.
	{name: "sender-time-as-string", want: "PROTO-ATTR-3", event: func(fs []protoField) []protoField {
		return retype(fs, "time", 3)
	}},
	{name: "sender-time-as-string-type", want: "PROTO-TYPE-1", event: func(fs []protoField) []protoField {
		return retype(fs, "time", 3)
	}},
	// An Integer extension written as its canonical string.
	{name: "sender-integer-as-string", want: "PROTO-ATTR-3", event: func(fs []protoField) []protoField {
		return retype(fs, "count", 3)
	}},
	// Extensions (every map entry that is no optional attribute) left
	// out.
	{name: "sender-drops-extension", want: "PROTO-ATTR-2", event: func(fs []protoField) []protoField {
		out := fs[:0]
		for _, f := range fs {
			if f.num == fieldAttributes {
				name, _, _, _ := decodeProtoEntry(f.v)
				switch name {
				case "datacontenttype", "dataschema", "subject", "time":
				default:
					continue
				}
			}
			out = append(out, f)
		}
		return out
	}},
	// source set to "", which proto3 leaves off the wire.
	{name: "sender-empty-source", want: "CORE-ATTR-1", event: func(fs []protoField) []protoField {
		return dropField(fs, fieldSource)
	}},
	// type in the attributes map instead of field 4.
	{name: "sender-type-in-map", want: "PROTO-ATTR-1", event: func(fs []protoField) []protoField {
		for i := range fs {
			if fs[i].num == fieldType {
				fs[i] = protoField{num: fieldAttributes, typ: protowire.BytesType, v: mapEntry("type", 3, fs[i].v)}
			}
		}
		return fs
	}},
	{name: "sender-specversion-patch", want: "CORE-ATTR-SPECVERSION-3", event: func(fs []protoField) []protoField {
		for i := range fs {
			if fs[i].num == fieldSpecVersion {
				fs[i].v = []byte("1.0.2")
			}
		}
		return fs
	}},
	// datacontenttype left out whatever the data.
	{name: "sender-text-untyped", want: "PROTO-DATA-5", event: func(fs []protoField) []protoField {
		return dropEntry(fs, "datacontenttype")
	}},
	{name: "sender-binary-untyped", want: "PROTO-DATA-7", event: func(fs []protoField) []protoField {
		return dropEntry(fs, "datacontenttype")
	}},
	// The attributes copied into ce- metadata, as an HTTP habit.
	{name: "sender-ce-metadata", want: "GRPC-META-1", md: []string{"ce-id", "copied", "ce-subject", "copied"}},
}

// renumber moves the field from into the field to, bytes unchanged.
func renumber(fs []protoField, from, to protowire.Number) []protoField {
	for i := range fs {
		if fs[i].num == from {
			fs[i].num = to
		}
	}
	return fs
}

func dropField(fs []protoField, num protowire.Number) []protoField {
	out := fs[:0]
	for _, f := range fs {
		if f.num != num {
			out = append(out, f)
		}
	}
	return out
}

func dropEntry(fs []protoField, name string) []protoField {
	out := fs[:0]
	for _, f := range fs {
		if n, _, _, _ := decodeProtoEntry(f.v); f.num == fieldAttributes && n == name {
			continue
		}
		out = append(out, f)
	}
	return out
}

// retype rewrites the attributes-map entry name with the value
// member num (3: ce_string) holding the value's canonical string.
func retype(fs []protoField, name string, num protowire.Number) []protoField {
	for i := range fs {
		if fs[i].num != fieldAttributes {
			continue
		}
		if n, _, value, err := decodeProtoEntry(fs[i].v); err == nil && n == name {
			fs[i].v = mapEntry(name, num, []byte(value))
		}
	}
	return fs
}

// mapEntry is an attributes-map entry whose value sets the
// length-delimited member num to v.
func mapEntry(name string, num protowire.Number, v []byte) []byte {
	val := protowire.AppendTag(nil, num, protowire.BytesType)
	val = protowire.AppendBytes(val, v)
	e := protowire.AppendTag(nil, 1, protowire.BytesType)
	e = protowire.AppendString(e, name)
	e = protowire.AppendTag(e, 2, protowire.BytesType)
	return protowire.AppendBytes(e, val)
}

// rewriteEvent applies f to the fields of the CloudEvent message ev.
func rewriteEvent(ev []byte, f func([]protoField) []protoField) []byte {
	var fs []protoField
	if err := walkProto(ev, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		fs = append(fs, protoField{num, typ, v, x})
		return nil
	}); err != nil {
		return ev
	}
	var out []byte
	for _, fl := range f(fs) {
		out = protowire.AppendTag(out, fl.num, fl.typ)
		switch fl.typ {
		case protowire.BytesType:
			out = protowire.AppendBytes(out, fl.v)
		default:
			out = protowire.AppendVarint(out, fl.x)
		}
	}
	return out
}

// send returns the faulty sender: the reference gRPC sender (Publish)
// behind an interceptor that applies the fault to each call.
func (f grpcSenderFault) send() func(ctx context.Context, target string, events []byte) error {
	intercept := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if len(f.md) > 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, f.md...)
		}
		msg, ok := req.(proto.Message)
		if f.event == nil || !ok {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		b, err := proto.Marshal(msg)
		if err != nil {
			return err
		}
		var out []byte
		_ = walkProto(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
			if num == 1 {
				v = rewriteEvent(v, f.event)
			}
			out = protowire.AppendTag(out, num, protowire.BytesType)
			out = protowire.AppendBytes(out, v)
			return nil
		})
		m := rawMsg(out)
		return invoker(ctx, method, &m, new(rawMsg), cc, append(opts, grpc.ForceCodecV2(rawCodec{}))...)
	}
	return func(ctx context.Context, target string, events []byte) error {
		return referenceSendGRPC(ctx, target, events, false, cegrpc.WithDialOptions(grpc.WithUnaryInterceptor(intercept)))
	}
}

// runGRPCSender runs the gRPC sender cases against send.
func runGRPCSender(t *testing.T, send func(ctx context.Context, target string, events []byte) error) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		Sender:         &SenderTarget{SendGRPC: send},
		Profile:        Profile{Spec: spec.Profile102},
		LabelFilter:    "grpc && sender",
		Timeout:        2 * time.Minute,
		RequestTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// TestGRPCSenderFaults: each faulty gRPC sender is reported as a failure
// of its requirement (a mutation score of 100%), and the interceptor
// without a fault passes every gRPC sender case (so the faults, not the
// rewriting, are what is caught).
func TestGRPCSenderFaults(t *testing.T) {
	res := runGRPCSender(t, grpcSenderFault{name: "none", event: func(fs []protoField) []protoField { return fs }}.send())
	n := 0
	for _, c := range res.Cases {
		if c.Binding == BindingGRPC && c.Role == RoleSender {
			n++
			if c.Verdict != Pass {
				t.Errorf("no fault: %s: %s %s", c.Name, c.Verdict, c.Message)
			}
		}
	}
	if n == 0 {
		t.Fatal("no gRPC sender case ran")
	}
	seen := map[string]bool{}
	for _, f := range grpcSenderFaults {
		if seen[f.name] {
			t.Errorf("fault %s is defined twice", f.name)
		}
		seen[f.name] = true
		t.Run(f.name, func(t *testing.T) {
			if _, ok := spec.Default().Lookup(f.want); !ok {
				t.Fatalf("fault %s wants %s, which is not in the catalog", f.name, f.want)
			}
			res := runGRPCSender(t, f.send())
			wantCaught(t, res, f.name, f.want)
		})
	}
}
