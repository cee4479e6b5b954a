package grpc

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"
)

// A frame carries an already-encoded protobuf message through gRPC, so
// that the hand-written encoders and decoders of package protoformat do
// the work on the hot path instead of generated structs.
//
// With this package's codec (installed by the client itself and, on the
// server, by [Server.GRPCOptions]) the bytes are copied in and out of a
// reused buffer. Under gRPC's standard proto codec the frame still works:
// google.protobuf.Empty has no fields, so unmarshalling any message into
// it keeps every field, byte for byte, as unknown fields, and marshalling
// writes them back unchanged.
type frame struct {
	emptypb.Empty
	raw  []byte
	fast bool // raw holds the message (set, or received through codec)
}

// bytes returns the encoded message; it stays valid until the frame is
// received into again.
func (f *frame) bytes() []byte {
	if f.fast {
		return f.raw
	}
	return f.ProtoReflect().GetUnknown()
}

// set makes the frame send b. The frame keeps b until it is sent.
func (f *frame) set(b []byte) {
	f.raw, f.fast = b, true
	f.ProtoReflect().SetUnknown(protoreflect.RawFields(b))
}

// codec is gRPC's proto codec with a fast path for frames: it takes their
// bytes as they are. Its name is "proto", so peers see the standard
// content type (application/grpc+proto) and nothing changes on the wire.
type codec struct {
	pool  mem.BufferPool
	proto encoding.CodecV2
}

func newCodec(pool mem.BufferPool) *codec {
	return &codec{pool: pool, proto: encoding.GetCodecV2("proto")}
}

func (c *codec) Name() string { return "proto" }

func (c *codec) Marshal(v any) (mem.BufferSlice, error) {
	if f, ok := v.(*frame); ok {
		// gRPC may write the buffer after SendMsg returns, so it gets a
		// copy it owns; the caller may reuse f at once.
		return mem.BufferSlice{mem.Copy(f.bytes(), c.pool)}, nil
	}
	return c.proto.Marshal(v)
}

func (c *codec) Unmarshal(data mem.BufferSlice, v any) error {
	if f, ok := v.(*frame); ok {
		f.raw = f.raw[:0]
		for _, b := range data {
			f.raw = append(f.raw, b.ReadOnlyData()...)
		}
		f.fast = true
		return nil
	}
	return c.proto.Unmarshal(data, v)
}
