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
// server, by [Server.GRPCOptions]) a received message is copied into a
// pooled buffer that the frame holds until release, or until it receives
// again; sent bytes are copied into a buffer gRPC owns. Under gRPC's standard proto codec the frame still works:
// google.protobuf.Empty has no fields, so unmarshalling any message into
// it keeps every field, byte for byte, as unknown fields, and marshalling
// writes them back unchanged.
type frame struct {
	emptypb.Empty
	raw  []byte
	fast bool // raw holds the message (set, or received through codec)
	// buf is the pooled buffer raw lives in, owned by the frame until
	// release; nil when raw is the caller's (set) or empty.
	buf  *[]byte
	pool *framePool
}

// bytes returns the encoded message; it stays valid until the frame is
// received into again or released.
func (f *frame) bytes() []byte {
	if f.fast {
		return f.raw
	}
	return f.ProtoReflect().GetUnknown()
}

// set makes the frame send b. The frame keeps b until it is sent.
func (f *frame) set(b []byte) {
	f.release()
	f.raw, f.fast = b, true
	f.ProtoReflect().SetUnknown(protoreflect.RawFields(b))
}

// release gives the frame's received bytes back to their pool; bytes and
// every slice of them must not be used after it. The frame stays usable.
func (f *frame) release() {
	if f.buf != nil {
		f.pool.put(f.buf)
		f.buf, f.pool = nil, nil
	}
	f.raw = nil
}

// codec is gRPC's proto codec with a fast path for frames: it takes their
// bytes as they are. Its name is "proto", so peers see the standard
// content type (application/grpc+proto) and nothing changes on the wire.
type codec struct {
	pool  mem.BufferPool // for the messages gRPC sends
	recv  *framePool     // for the frames it receives
	proto encoding.CodecV2
}

func newCodec(pool mem.BufferPool) *codec {
	return &codec{pool: pool, recv: new(framePool), proto: encoding.GetCodecV2("proto")}
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
		// gRPC frees data when Unmarshal returns, and a message arrives
		// in many buffers (one per HTTP/2 DATA frame): copy it into one.
		f.release()
		f.fast = true
		n := data.Len()
		if n == 0 {
			return nil
		}
		f.buf, f.pool = c.recv.get(n), c.recv
		f.raw = *f.buf
		data.CopyTo(f.raw)
		return nil
	}
	return c.proto.Unmarshal(data, v)
}
