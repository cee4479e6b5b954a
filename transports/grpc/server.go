package grpc

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
)

// aliasing decodes events in place: handlers see them only until Handle
// returns, and the frame they point into lives at least that long.
var aliasing = protoformat.Options{Alias: true}

// decoding is aliasing with the server's limit on attributes per event.
func (s *Server) decoding() protoformat.Options {
	o := aliasing
	o.MaxAttributes = s.cfg.maxAttrs
	return o
}

// errDraining is the status new and unfinished calls get once Drain has
// begun.
var errDraining = status.Error(codes.Unavailable, "cegrpc: server is draining")

// Server serves openevents.v1.EventService and the de-facto
// io.cloudevents.v1.CloudEventService on a *grpc.Server, handing every
// received event to a [binding.Handler] and acknowledging it only after
// the handler returned nil. It also fans events out to subscribers
// ([Server.Publish]). A Server is safe for concurrent use.
type Server struct {
	h      binding.Handler
	cfg    *config
	events eventPool // what Stream batches decode into
	errs   sync.Pool // *[]error: outcomes of a batch for a binding.BatchHandler

	mu       sync.Mutex
	gs       *grpc.Server // the server of Serve, nil with Register alone
	subs     map[*subscriber]struct{}
	active   int
	idle     chan struct{} // closed when active drops to 0 while draining
	draining chan struct{}
	drainOne sync.Once
}

// NewServer returns a Server that hands received events to h. Options
// WithTLS, WithKeepAlive, WithMaxMessageBytes, WithMaxConcurrentStreams,
// WithMaxConnectionIdle and WithMinPingInterval shape
// [Server.GRPCOptions]; WithStreamIdleTimeout bounds idle calls and
// WithSubscriberQueue sizes subscriber queues. It returns an error naming
// the option when one is out of range.
func NewServer(h binding.Handler, opts ...ServerOption) (*Server, error) {
	if h == nil {
		return nil, configError("NewServer needs a handler")
	}
	cfg, err := newServerConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Server{h: h, cfg: cfg, subs: make(map[*subscriber]struct{}), draining: make(chan struct{})}, nil
}

// GRPCOptions returns the grpc.ServerOptions the Server's options ask for,
// to pass to grpc.NewServer: the codec and buffer pool, message size
// limits, TLS credentials, the concurrent stream limit, and keepalive (the
// server's pings, the connection idle limit and the enforcement of the
// client ping rate), which is on even without WithKeepAlive. Options
// passed to grpc.NewServer after these override them.
func (s *Server) GRPCOptions() []grpc.ServerOption { return s.cfg.server() }

// Register registers both services on r, usually a *grpc.Server.
//
// The service descriptions are written here rather than taken from the
// generated code, which this package does not link (see message.go), so a
// program can import it beside sdk-go's protobuf format. One consequence:
// gRPC server reflection, which reads the global protobuf registry,
// describes the two services only in a binary that also imports the
// generated packages under proto/gen.
func (s *Server) Register(r grpc.ServiceRegistrar) {
	r.RegisterService(&grpc.ServiceDesc{
		ServiceName: eventServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			{MethodName: "Publish", Handler: s.unaryPublish(eventServicePublish)},
		},
		Streams: []grpc.StreamDesc{
			{StreamName: "Stream", Handler: s.stream, ServerStreams: true, ClientStreams: true},
			{StreamName: "Subscribe", Handler: s.subscribe, ServerStreams: true},
		},
		Metadata: eventServiceFile,
	}, s)
	r.RegisterService(&grpc.ServiceDesc{
		ServiceName: cloudEventServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{
			// PublishRequest has the event as field 1 in both services,
			// and both answer with an empty message.
			{MethodName: "Publish", Handler: s.unaryPublish(cloudEventServicePublish)},
		},
		Streams: []grpc.StreamDesc{
			{StreamName: "Subscribe", Handler: s.subscribeCloudEvents, ServerStreams: true},
		},
		Metadata: cloudEventServiceFile,
	}, s)
}

// enter counts a call in; it fails once Drain has begun.
func (s *Server) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.draining:
		return errDraining
	default:
	}
	s.active++
	return nil
}

func (s *Server) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// Serve serves both services on ln with a *grpc.Server of its own, built
// with [Server.GRPCOptions], until [Server.Shutdown]; it then returns nil.
// It is the same lifecycle as cehttp's and cemqtt's receivers. Users who
// run their own *grpc.Server call [Server.Register] instead. Serve after
// Shutdown closes ln and returns nil at once; a second Serve is an error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	select {
	case <-s.draining:
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	default:
	}
	if s.gs != nil {
		s.mu.Unlock()
		return errors.New("cegrpc: Serve called twice on one Server")
	}
	gs := grpc.NewServer(s.GRPCOptions()...)
	s.Register(gs)
	s.gs = gs
	s.mu.Unlock()
	return gs.Serve(ln)
}

// Shutdown stops the Server gracefully and, for a Server started with
// [Server.Serve], its *grpc.Server too: first [Server.Drain] (no new
// calls; calls in progress finish and their events are acknowledged),
// then grpc's GracefulStop. When ctx ends first, the remaining
// connections are closed at once and ctx's error is returned. With
// [Server.Register] alone, Shutdown drains, and stopping the *grpc.Server
// is left to its owner.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.Drain(ctx)
	s.mu.Lock()
	gs := s.gs
	s.mu.Unlock()
	if gs == nil {
		return err
	}
	if err != nil {
		gs.Stop()
		return err
	}
	stopped := make(chan struct{})
	go func() {
		gs.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		gs.Stop()
		<-stopped
		return ctx.Err()
	}
}

// Drain stops the Server gracefully: new calls fail with UNAVAILABLE,
// Stream calls end after acknowledging the batch in hand, Subscribe calls
// end with OK, and unary calls in progress finish. Drain returns when no
// call is left, or ctx's error when ctx ends first. Call it before
// grpc.Server.GracefulStop, which then has nothing left to wait for.
func (s *Server) Drain(ctx context.Context) error {
	s.drainOne.Do(func() { close(s.draining) })
	s.mu.Lock()
	if s.active == 0 {
		s.mu.Unlock()
		return nil
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unaryPublish returns the handler of EventService.Publish and
// CloudEventService.Publish (method is the full method name), running the
// server's unary interceptor, if any, around the work.
func (s *Server) unaryPublish(method string) grpc.MethodHandler {
	return func(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		in := new(frame)
		// The request's buffer goes back to the pool once the call is
		// answered; an interceptor must not keep the request past it.
		defer in.release()
		if err := dec(in); err != nil {
			return nil, err
		}
		if interceptor == nil {
			return s.publish(ctx, in)
		}
		info := &grpc.UnaryServerInfo{Server: s, FullMethod: method}
		return interceptor(ctx, in, info, func(ctx context.Context, _ any) (any, error) {
			return s.publish(ctx, in)
		})
	}
}

// publish decodes the event of a PublishRequest and hands it to the
// handler.
func (s *Server) publish(ctx context.Context, in *frame) (any, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	raw, err := eventField(in.bytes())
	if err != nil {
		s.refused(ctx, err)
		return nil, statusOf(err).Err()
	}
	var e event.Event
	if err := s.decoding().Decode(raw, &e); err != nil {
		s.refused(ctx, err)
		return nil, statusOf(err).Err()
	}
	if err := binding.Call(ctx, s.h, &e); err != nil {
		s.failed(ctx, err)
		return nil, statusOf(err).Err()
	}
	return new(frame), nil
}

// eventField returns the last field 1 of a PublishRequest: the event.
func eventField(b []byte) ([]byte, error) {
	var ev []byte
	found := false
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 || num > protowire.MaxValidNumber {
			return nil, &protoformat.SyntaxError{Offset: int64(pos), Rule: "PROTO-ATTR-1", Msg: "malformed PublishRequest"}
		}
		pos += n
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b[pos:])
			if m < 0 {
				return nil, &protoformat.SyntaxError{Offset: int64(pos), Rule: "PROTO-ATTR-1", Msg: "truncated event in PublishRequest"}
			}
			ev, found = v, true
			pos += m
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b[pos:])
		if m < 0 {
			return nil, &protoformat.SyntaxError{Offset: int64(pos), Rule: "PROTO-ATTR-1", Msg: "malformed PublishRequest"}
		}
		pos += m
	}
	if !found {
		return nil, &protoformat.SyntaxError{Rule: "PROTO-ATTR-1", Msg: "PublishRequest holds no event"}
	}
	return ev, nil
}

// refused reports a message refused before the handler to the hooks.
func (s *Server) refused(ctx context.Context, err error) {
	if s.cfg.refuse == nil && s.cfg.onError == nil {
		return
	}
	from := peerOf(ctx)
	if s.cfg.refuse != nil {
		s.cfg.refuse(from, err)
	}
	if s.cfg.onError != nil {
		s.cfg.onError(from, err)
	}
}

// failed reports a handler's failure to the error hook.
func (s *Server) failed(ctx context.Context, err error) {
	if s.cfg.onError != nil {
		s.cfg.onError(peerOf(ctx), err)
	}
}

// peerOf returns the client's address, or "unknown peer".
func peerOf(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return "unknown peer"
}

// inBatch is one received Stream batch, recycled between the receiving
// goroutine and the handling one. Between batches it holds no buffer: the
// frame's bytes and the decoded events go back to their pools once the
// batch is acknowledged.
type inBatch struct {
	f   frame
	err error
}

// stream serves EventService.Stream: batches in, one acknowledgement per
// batch out, in order. A goroutine receives the next batch while the
// handler works through the current one. The call ends with
// DEADLINE_EXCEEDED when the client sends no batch within the stream idle
// timeout.
func (s *Server) stream(_ any, ss grpc.ServerStream) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	ctx := ss.Context()
	full := make(chan *inBatch, 1)
	free := make(chan *inBatch, 2)
	free <- new(inBatch)
	free <- new(inBatch)
	done := make(chan struct{})
	defer close(done)
	// The receiver stops when RecvMsg fails, which it does once this
	// handler has returned and gRPC has ended the call.
	go func() {
		for {
			var b *inBatch
			select {
			case b = <-free:
			case <-done:
				return
			}
			b.err = ss.RecvMsg(&b.f)
			select {
			case full <- b:
			case <-done:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	idle := newIdleTimer(s.cfg.streamIdle)
	defer idle.stop()
	// One acknowledgement, its encoding and the frame that sends it serve
	// every batch of the call; SendMsg copies the bytes. Between batches
	// they keep only a small buffer (see ackKeep).
	var (
		ack streamResponse
		buf []byte
		out frame
	)
	for {
		var b *inBatch
		select {
		case b = <-full:
		case <-s.draining:
			return errDraining
		case <-idle.start():
			return idleError(s.cfg.streamIdle, "batch")
		}
		idle.stop()
		if errors.Is(b.err, io.EOF) {
			return nil
		}
		if b.err != nil {
			return b.err
		}
		err := s.handleBatch(ctx, b, &ack)
		b.f.release()
		if err != nil {
			return statusOf(err).Err()
		}
		buf = ack.append(buf[:0])
		out.set(buf)
		err = ss.SendMsg(&out)
		out.set(nil)
		ack.reset(0)
		if cap(buf) > ackKeep {
			buf = nil
		}
		if err != nil {
			return err
		}
		free <- b
	}
}

// ackKeep is the largest acknowledgement buffer a Stream call keeps
// between batches: enough for one without failures, which is the usual
// case; the texts of failures can make one much larger.
const ackKeep = 1 << 10

// handleBatch decodes one StreamRequest and runs the handler on each valid
// event, collecting per-event statuses in ack. A malformed request is an
// error for the whole call.
func (s *Server) handleBatch(ctx context.Context, b *inBatch, ack *streamResponse) error {
	raw := b.f.bytes()
	seq, err := sequenceOf(raw)
	if err != nil {
		return err
	}
	// The frame is not received into again before the batch is handled,
	// and handlers may not keep events past Handle: alias its bytes.
	pooled := s.events.get()
	defer s.events.put(pooled)
	events, derr := s.decoding().DecodeBatch(raw, *pooled)
	*pooled = events
	var bad map[int][]event.Violation
	if derr != nil {
		s.refused(ctx, derr)
		if errors.Is(derr, protoformat.ErrSyntax) {
			return derr
		}
		bad = byEvent(violationsOf(derr))
	}
	ack.reset(seq)
	if bh, ok := s.h.(binding.BatchHandler); ok {
		s.handleBatchAtOnce(ctx, bh, events, bad, ack)
		return nil
	}
	for i := range events {
		if vs, ok := bad[i]; ok {
			ack.invalid(i, vs)
			continue
		}
		if err := binding.Call(ctx, s.h, &events[i]); err != nil {
			s.failed(ctx, err)
			ack.failures = append(ack.failures, eventStatus{
				index: uint32(i), code: int32(codeOf(err)), message: err.Error(), rules: rulesOf(err),
			})
			continue
		}
		ack.accepted++
	}
	return nil
}

// handleBatchAtOnce hands the valid events of a batch to a BatchHandler
// in one call and collects its outcomes in ack, as handleBatch does one
// by one.
func (s *Server) handleBatchAtOnce(ctx context.Context, bh binding.BatchHandler, events []event.Event, bad map[int][]event.Violation, ack *streamResponse) {
	p, _ := s.errs.Get().(*[]error)
	if p == nil {
		p = new([]error)
	}
	errs := append((*p)[:0], make([]error, len(events))...)
	for i := range bad {
		errs[i] = errInvalidInBatch
	}
	func() {
		defer func() {
			if v := recover(); v != nil { // HandleBatch broke its contract: fail what it did not settle
				perr := &binding.PanicError{Value: v, Stack: debug.Stack()}
				for i := range errs {
					if errs[i] == nil {
						errs[i] = perr
					}
				}
			}
		}()
		bh.HandleBatch(ctx, events, errs)
	}()
	for i, err := range errs {
		switch vs, invalid := bad[i]; {
		case invalid:
			ack.invalid(i, vs)
		case err != nil:
			s.failed(ctx, err)
			ack.failures = append(ack.failures, eventStatus{
				index: uint32(i), code: int32(codeOf(err)), message: err.Error(), rules: rulesOf(err),
			})
		default:
			ack.accepted++
		}
	}
	clear(errs)
	*p = errs
	s.errs.Put(p)
}

// errInvalidInBatch marks, for a BatchHandler, the events of a batch the
// server refused as invalid; it never reaches a client.
var errInvalidInBatch = errors.New("cegrpc: invalid event, refused by the server")

// invalid records a batch event refused for its violations.
func (r *streamResponse) invalid(i int, vs []event.Violation) {
	verr := &event.ValidationError{Violations: vs}
	r.failures = append(r.failures, eventStatus{
		index: uint32(i), code: int32(codes.InvalidArgument), message: verr.Error(), rules: verr.Rules(),
	})
}

// byEvent groups batch violations by the event index their pointer starts
// with ("/3/subject").
func byEvent(vs []event.Violation) map[int][]event.Violation {
	out := make(map[int][]event.Violation)
	for _, v := range vs {
		p := v.Pointer
		i, n := 0, 1
		for n < len(p) && p[n] >= '0' && p[n] <= '9' {
			i = i*10 + int(p[n]-'0')
			n++
		}
		out[i] = append(out[i], v)
	}
	return out
}

// sequenceOf returns field 2 (sequence) of a StreamRequest.
func sequenceOf(b []byte) (uint64, error) {
	var seq uint64
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 || num > protowire.MaxValidNumber {
			return 0, &protoformat.SyntaxError{Offset: int64(pos), Rule: "PROTO-BATCH-2", Msg: "malformed StreamRequest"}
		}
		pos += n
		if num == 2 && typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(b[pos:])
			if m < 0 {
				return 0, &protoformat.SyntaxError{Offset: int64(pos), Rule: "PROTO-BATCH-2", Msg: "malformed sequence"}
			}
			seq = v
			pos += m
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b[pos:])
		if m < 0 {
			return 0, &protoformat.SyntaxError{Offset: int64(pos), Rule: "PROTO-BATCH-2", Msg: "malformed StreamRequest"}
		}
		pos += m
	}
	return seq, nil
}
