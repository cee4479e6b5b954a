package grpc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
	openeventsv1 "github.com/openevents/openevents/proto/gen/openevents/v1"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// rawH2 is a hand-driven HTTP/2 client connection, for peers that break
// the rules gRPC clients keep (too many streams, too many pings).
type rawH2 struct {
	c  net.Conn
	fr *http2.Framer
}

func dialRaw(t *testing.T, h *harness) *rawH2 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := h.lis.DialContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// Every read and write of a test is bounded.
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return &rawH2{c: c, fr: fr}
}

// next reads the next frame that is not a SETTINGS or WINDOW_UPDATE
// frame, acknowledging the server's SETTINGS.
func (r *rawH2) next(t *testing.T) http2.Frame {
	t.Helper()
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading a frame: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := r.fr.WriteSettingsAck(); err != nil {
					t.Fatal(err)
				}
			}
		case *http2.WindowUpdateFrame:
		default:
			return f
		}
	}
}

// openStream sends the HEADERS of a gRPC call to method on stream id.
func (r *rawH2) openStream(t *testing.T, id uint32, method string) {
	t.Helper()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "http"}, {":path", method}, {":authority", "bufnet"},
		{"content-type", "application/grpc"}, {"te", "trailers"},
	} {
		if err := enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
}

// TestMaxConcurrentStreamsRefused opens one stream more than the default
// limit on one connection, ignoring the server's SETTINGS as an attacker
// would: the extra stream gets RST_STREAM REFUSED_STREAM and never
// reaches a handler, and the streams within the limit are left alone.
func TestMaxConcurrentStreamsRefused(t *testing.T) {
	var entered atomic.Int32
	srv, err := cegrpc.NewServer(&recorder{})
	if err != nil {
		t.Fatal(err)
	}
	opts := append(srv.GRPCOptions(), grpc.ChainStreamInterceptor(
		func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			entered.Add(1)
			return h(srv, ss)
		}))
	h := serve(t, srv, opts)
	r := dialRaw(t, h)
	const limit = cegrpc.DefaultMaxConcurrentStreams
	for i := range uint32(limit + 1) {
		r.openStream(t, 2*i+1, openeventsv1.EventService_Stream_FullMethodName)
	}
	const extra = 2*limit + 1
	for {
		f := r.next(t)
		rst, ok := f.(*http2.RSTStreamFrame)
		if !ok {
			continue
		}
		if rst.StreamID != extra {
			t.Fatalf("stream %d within the limit was reset: %v", rst.StreamID, rst.ErrCode)
		}
		if rst.ErrCode != http2.ErrCodeRefusedStream {
			t.Fatalf("stream %d: RST_STREAM %v, want REFUSED_STREAM", rst.StreamID, rst.ErrCode)
		}
		break
	}
	// The refusal comes after the first 100 streams were accepted; their
	// handlers start in their own goroutines.
	deadline := time.Now().Add(5 * time.Second)
	for entered.Load() < limit && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := entered.Load(); n != limit {
		t.Fatalf("%d handlers started, want %d", n, limit)
	}
}

// TestMaxConcurrentStreamsQueued checks the polite side: a gRPC client
// at the limit (here set to 3) waits for a free stream instead of opening
// one, and gets it once a call ends.
func TestMaxConcurrentStreamsQueued(t *testing.T) {
	h := start(t, &recorder{}, cegrpc.WithMaxConcurrentStreams(3))
	cc := h.conn(t)
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var first context.CancelFunc
	for i := range 3 {
		sctx, scancel := context.WithCancel(ctx)
		t.Cleanup(scancel)
		if i == 0 {
			first = scancel
		}
		cs, err := cc.NewStream(sctx, desc, openeventsv1.EventService_Stream_FullMethodName)
		if err != nil {
			t.Fatal(err)
		}
		// A header round trip proves the server took the stream.
		if err := cs.SendMsg(streamRequest(t, uint64(i+1))); err != nil {
			t.Fatal(err)
		}
		if err := cs.RecvMsg(new(openeventsv1.StreamResponse)); err != nil {
			t.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer wcancel()
	if _, err := cc.NewStream(wctx, desc, openeventsv1.EventService_Stream_FullMethodName); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("fourth stream at the limit: %v, want it to wait until its deadline", err)
	}
	first()
	cs, err := cc.NewStream(ctx, desc, openeventsv1.EventService_Stream_FullMethodName)
	if err != nil {
		t.Fatalf("fourth stream after one ended: %v", err)
	}
	if err := cs.SendMsg(streamRequest(t, 1)); err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(new(openeventsv1.StreamResponse)); err != nil {
		t.Fatalf("fourth stream after one ended: %v", err)
	}
}

// TestPingFlood pings an idle connection back to back: with the default
// policy the server sends GOAWAY ENHANCE_YOUR_CALM "too_many_pings";
// with WithMinPingInterval(0) it answers every ping.
func TestPingFlood(t *testing.T) {
	const pings = 10
	flood := func(t *testing.T, h *harness) (acks int, away *http2.GoAwayFrame) {
		r := dialRaw(t, h)
		for i := range pings {
			if err := r.fr.WritePing(false, [8]byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		for acks < pings {
			switch f := r.next(t).(type) {
			case *http2.PingFrame:
				if f.IsAck() {
					acks++
				}
			case *http2.GoAwayFrame:
				return acks, f
			}
		}
		return acks, nil
	}
	t.Run("default", func(t *testing.T) {
		acks, away := flood(t, start(t, &recorder{}))
		if away == nil {
			t.Fatalf("%d pings in a row were all answered, want GOAWAY", pings)
		}
		if away.ErrCode != http2.ErrCodeEnhanceYourCalm || string(away.DebugData()) != "too_many_pings" {
			t.Fatalf("GOAWAY %v %q, want ENHANCE_YOUR_CALM too_many_pings", away.ErrCode, away.DebugData())
		}
		if acks >= pings {
			t.Fatalf("%d pings answered before GOAWAY", acks)
		}
	})
	t.Run("allowed", func(t *testing.T) {
		acks, away := flood(t, start(t, &recorder{}, cegrpc.WithMinPingInterval(0)))
		if away != nil || acks != pings {
			t.Fatalf("%d of %d pings answered, GOAWAY %v", acks, pings, away)
		}
	})
}

// TestMaxConnectionIdle checks that a connection without calls is closed
// with GOAWAY once the idle limit has passed, and not before.
func TestMaxConnectionIdle(t *testing.T) {
	const idle = 200 * time.Millisecond
	h := start(t, &recorder{}, cegrpc.WithMaxConnectionIdle(idle))
	began := time.Now()
	r := dialRaw(t, h)
	for {
		away, ok := r.next(t).(*http2.GoAwayFrame)
		if !ok {
			continue
		}
		if away.ErrCode != http2.ErrCodeNo {
			t.Fatalf("GOAWAY %v %q, want NO_ERROR", away.ErrCode, away.DebugData())
		}
		break
	}
	if waited := time.Since(began); waited < idle {
		t.Fatalf("GOAWAY after %v, before the idle limit of %v", waited, idle)
	}
}

// streamRequest returns a StreamRequest with one valid event, as a
// message the standard proto codec sends unchanged.
func streamRequest(t *testing.T, seq uint64) *emptypb.Empty {
	t.Helper()
	b, err := protoformat.AppendBatch(nil, []event.Event{*newEvent("1", "t", "")})
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, 2<<3, byte(seq)) // field 2, varint; seq < 128
	m := new(emptypb.Empty)
	m.ProtoReflect().SetUnknown(b)
	return m
}

// TestStreamIdleTimeout checks that a Stream call that sends nothing for
// the idle timeout ends with DEADLINE_EXCEEDED naming the option, that the
// clock does not run while the handler works, and that a Subscribe call
// that never sends its request ends the same way.
func TestStreamIdleTimeout(t *testing.T) {
	const idle = 150 * time.Millisecond
	slow := binding.HandlerFunc(func(ctx context.Context, _ *event.Event) error {
		// Longer than the idle timeout: the client is not idle while the
		// server works.
		select {
		case <-time.After(3 * idle):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	h := start(t, slow, cegrpc.WithStreamIdleTimeout(idle))
	cc := h.conn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	check := func(err error, began time.Time, what string) {
		t.Helper()
		st := status.Convert(err)
		if st.Code() != codes.DeadlineExceeded || !strings.Contains(st.Message(), "WithStreamIdleTimeout") ||
			!strings.Contains(st.Message(), what) || !strings.Contains(st.Message(), idle.String()) {
			t.Fatalf("idle call ended with %v, want DEADLINE_EXCEEDED naming %s, %v and WithStreamIdleTimeout", err, what, idle)
		}
		// The server's clock starts when it has sent the ack, a little
		// before the client reads it.
		if waited := time.Since(began); waited < idle*9/10 {
			t.Fatalf("idle call ended after %v, before the timeout of %v", waited, idle)
		}
	}

	cs, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, openeventsv1.EventService_Stream_FullMethodName)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(streamRequest(t, 1)); err != nil {
		t.Fatal(err)
	}
	var ack openeventsv1.StreamResponse
	if err := cs.RecvMsg(&ack); err != nil {
		t.Fatalf("a batch whose handler outlasts the idle timeout: %v", err)
	}
	if ack.GetAccepted() != 1 {
		t.Fatalf("ack %v, want one accepted event", &ack)
	}
	began := time.Now()
	err = cs.RecvMsg(&ack)
	check(err, began, "batch")

	began = time.Now()
	ss, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, openeventsv1.EventService_Subscribe_FullMethodName)
	if err != nil {
		t.Fatal(err)
	}
	err = ss.RecvMsg(new(emptypb.Empty))
	check(err, began, "request")
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the client's own deadline passed")
	}
}

func TestLimitOptions(t *testing.T) {
	for name, o := range map[string]cegrpc.ServerOption{
		"WithMaxConcurrentStreams": cegrpc.WithMaxConcurrentStreams(0),
		"WithStreamIdleTimeout":    cegrpc.WithStreamIdleTimeout(-time.Second),
		"WithMaxConnectionIdle":    cegrpc.WithMaxConnectionIdle(-time.Second),
		"WithMinPingInterval":      cegrpc.WithMinPingInterval(-time.Second),
	} {
		_, err := cegrpc.NewServer(&recorder{}, o)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s out of range: error %v, want one naming the option", name, err)
		}
	}
}

// serve runs srv on a grpc.Server built with opts, on an in-memory
// listener.
func serve(t *testing.T, srv *cegrpc.Server, opts []grpc.ServerOption) *harness {
	t.Helper()
	h := &harness{srv: srv, gs: grpc.NewServer(opts...)}
	h.lis = bufconn.Listen(1 << 20)
	srv.Register(h.gs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = h.gs.Serve(h.lis)
	}()
	t.Cleanup(func() {
		h.gs.Stop()
		<-served
	})
	return h
}
