package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/spec"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// The gRPC sender role: the suite hosts openevents.v1.EventService and
// io.cloudevents.v1.CloudEventService on SenderTarget.Listen, asks the
// sender for the events of the gRPC sender cases, and judges each event
// that arrives, by Publish of either service or in a batch of
// EventService's Stream, against the producer rules of the core and of
// the protobuf format (spec/conformance-contract.md, "gRPC sender").

// EnvSenderBinding names the binding a sender program is asked to use
// (set to "grpc" for a gRPC sender, beside EnvSenderTarget, which then
// holds the host:port of the suite's gRPC server).
const EnvSenderBinding = "CE_CONFORMANCE_BINDING"

// grpcSenderMsgLimit bounds a message the suite's gRPC server takes: 4
// MiB, gRPC's default and OpenEvents' receiver default (GRPC-SIZE-1); the
// sender cases' events are a few hundred bytes.
const grpcSenderMsgLimit = 4 << 20

// usesGRPC reports whether the sender is tested over gRPC.
func (s *SenderTarget) usesGRPC() bool {
	return s.SendGRPC != nil || s.Binding == BindingGRPC
}

// validateGRPCSender checks the gRPC part of a sender target: the
// binding named, and no MQTT target in the sender role beside it.
func (cfg *Config) validateGRPCSender() error {
	s := cfg.Sender
	if s == nil {
		return nil
	}
	switch s.Binding {
	case "", BindingHTTP, BindingGRPC:
	default:
		return fmt.Errorf("conformance: sender binding %q: want %q or %q (an MQTT sender is chosen by an MQTT target in the sender role)", s.Binding, BindingHTTP, BindingGRPC)
	}
	switch {
	case s.SendGRPC != nil && s.Binding == BindingHTTP:
		return errors.New("conformance: SenderTarget.SendGRPC is a gRPC sender, but Binding says http")
	case s.Binding == BindingGRPC && (s.Send != nil || s.SendMQTT != nil):
		return errors.New("conformance: a gRPC sender runs as Command or in-process with SenderTarget.SendGRPC, not Send or SendMQTT")
	case s.usesGRPC() && cfg.MQTT != nil && cfg.MQTT.Role == RoleSender:
		return errors.New("conformance: the sender is tested over gRPC and over MQTT (an MQTT target in the sender role): choose one")
	}
	return nil
}

// testedSenderBinding is the binding the sender of cfg is tested over:
// gRPC for a gRPC sender, otherwise as senderBinding says.
func (cfg *Config) testedSenderBinding() string {
	if cfg.Sender != nil && cfg.Sender.usesGRPC() {
		return BindingGRPC
	}
	return cfg.senderBinding()
}

// validateGRPCSender checks a gRPC sender case: its grpc member, when
// present, holds only the checks of an event the sender delivered
// (requiredFields, members, dataField, typeUrl) and the service its rules
// need; the event to ask for is Send, in the JSON format.
func (c *Case) validateGRPCSender(cat *spec.Catalog) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Mode != ModeStructured {
		bad("a gRPC sender case is in structured mode, the only mode of gRPC")
	}
	g := c.GRPC
	if g == nil {
		g = &GRPCMessage{}
	}
	if g.Method != "" || g.Event != nil || g.EventBase64 != "" || g.Metadata != nil || g.Batches != nil ||
		g.Status != "" || g.UntestedStatus != "" || g.BadRequest || g.Acks != nil {
		bad("a gRPC sender case sends nothing itself: its grpc member holds only service, requiredFields, members, dataField and typeUrl")
	}
	switch g.Service {
	case "", GRPCServiceOpenEvents:
	default:
		bad("grpc.service %q: want \"\" (either service) or openevents", g.Service)
	}
	for _, id := range c.Requirements {
		if r, ok := cat.Lookup(id); ok && r.Doc == spec.DocGRPC && g.Service != GRPCServiceOpenEvents {
			bad("requirement %s is a rule of OpenEvents' gRPC binding, which binds only openevents.v1.EventService: set grpc.service to openevents", id)
		}
	}
	for name, m := range g.Members {
		if !slices.Contains(protoMembers[1:], m) {
			bad("grpc.members %s: %q is not a CloudEventAttributeValue member", name, m)
		}
	}
	if g.DataField != "" && !slices.Contains([]string{dataBinary, dataText, dataProto}, g.DataField) {
		bad("grpc.dataField %q: want binary, text or proto", g.DataField)
	}
	return errors.Join(errs...)
}

// grpcArrival is one event a gRPC sender delivered, and how.
type grpcArrival struct {
	service string // the full name of the service called
	method  string // Publish or Stream
	md      metadata.MD
	event   *protoObserved
}

// grpcSenderSink is the suite's server in the gRPC sender role: it keeps
// every event that arrives, up to limit, and answers OK (or, in a Stream,
// an acknowledgement that counts it) without judging: the cases judge.
type grpcSenderSink struct {
	limit int

	mu  sync.Mutex
	got []*grpcArrival
	// undecodable is the first message that was not a CloudEvent
	// message, for the cases whose event did not arrive.
	undecodable error
}

// errTooMany refuses events beyond those the sender was asked for plus
// senderExtra, so a sender in a loop cannot grow the suite's memory.
var errTooMany = status.Error(codes.ResourceExhausted, "conformance: more events than were asked for")

// add keeps the CloudEvent message ev, delivered through service and
// method with metadata md.
func (s *grpcSenderSink) add(service, method string, md metadata.MD, ev []byte) error {
	o, err := decodeProtoEvent(ev)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.undecodable == nil {
			s.undecodable = fmt.Errorf("%s %s: %w", service, method, err)
		}
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if len(s.got) >= s.limit {
		return errTooMany
	}
	s.got = append(s.got, &grpcArrival{service: service, method: method, md: md, event: o})
	return nil
}

// publish is the Publish method of either service: the request's field
// 1 is the event in both, and both responses are empty messages.
func (s *grpcSenderSink) publish(service string) grpc.MethodHandler {
	return func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		var req rawMsg
		if err := dec(&req); err != nil {
			return nil, err
		}
		var ev []byte
		found := false
		if err := walkProto(req, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
			if num == 1 && typ == protowire.BytesType {
				ev, found = v, true
			}
			return nil
		}); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "conformance: the PublishRequest is not protobuf: %v", err)
		}
		if !found {
			return nil, status.Error(codes.InvalidArgument, "conformance: the PublishRequest holds no event (field 1)")
		}
		md, _ := metadata.FromIncomingContext(ctx)
		if err := s.add(service, "Publish", md, ev); err != nil {
			return nil, err
		}
		return new(rawMsg), nil
	}
}

// stream is EventService's Stream: each StreamRequest's events are kept
// and acknowledged with one StreamResponse, its sequence repeated.
func (s *grpcSenderSink) stream(_ any, ss grpc.ServerStream) error {
	md, _ := metadata.FromIncomingContext(ss.Context())
	for {
		var req rawMsg
		if err := ss.RecvMsg(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var seq uint64
		var accepted uint32
		var failures []byte
		index := uint64(0)
		err := walkProto(req, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
			switch {
			case num == 1 && typ == protowire.BytesType:
				if err := s.add(eventServiceName, "Stream", md, v); err != nil {
					st, _ := status.FromError(err)
					var f []byte
					f = protowire.AppendTag(f, 1, protowire.VarintType)
					f = protowire.AppendVarint(f, index)
					f = protowire.AppendTag(f, 2, protowire.VarintType)
					f = protowire.AppendVarint(f, uint64(st.Code()))
					failures = protowire.AppendTag(failures, 3, protowire.BytesType)
					failures = protowire.AppendBytes(failures, f)
				} else {
					accepted++
				}
				index++
			case num == 2 && typ == protowire.VarintType:
				seq = x
			}
			return nil
		})
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "conformance: a StreamRequest is not protobuf: %v", err)
		}
		var resp []byte
		resp = protowire.AppendTag(resp, 1, protowire.VarintType)
		resp = protowire.AppendVarint(resp, seq)
		resp = protowire.AppendTag(resp, 2, protowire.VarintType)
		resp = protowire.AppendVarint(resp, uint64(accepted))
		resp = append(resp, failures...)
		m := rawMsg(resp)
		if err := ss.SendMsg(&m); err != nil {
			return err
		}
	}
}

// register adds both services to srv. Subscribe is not offered: a sender
// does not subscribe, and gRPC answers UNIMPLEMENTED for it.
func (s *grpcSenderSink) register(srv *grpc.Server) {
	handlerType := (*any)(nil)
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: eventServiceName,
		HandlerType: handlerType,
		Methods:     []grpc.MethodDesc{{MethodName: "Publish", Handler: s.publish(eventServiceName)}},
		Streams:     []grpc.StreamDesc{{StreamName: "Stream", Handler: s.stream, ServerStreams: true, ClientStreams: true}},
	}, s)
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: cloudEventServiceName,
		HandlerType: handlerType,
		Methods:     []grpc.MethodDesc{{MethodName: "Publish", Handler: s.publish(cloudEventServiceName)}},
	}, s)
}

// runGRPCSenderCases asks the gRPC sender for the events of the gRPC
// sender cases idx, in one run, and judges what arrived. A sender that
// fails as a whole (a command that cannot start or exits non-zero, an
// in-process sender that returns an error) is an error, as over HTTP.
func runGRPCSenderCases(ctx context.Context, cfg Config, cases []Case, idx []int, outcomes []outcome) error {
	events := make([]json.RawMessage, len(idx))
	for j, i := range idx {
		events[j] = cases[i].Send
	}
	file, err := json.Marshal(events)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Sender.Listen)
	if err != nil {
		return fmt.Errorf("conformance: the gRPC sender role's server: %w", err)
	}
	sink := &grpcSenderSink{limit: len(idx) + senderExtra}
	srv := grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{}), grpc.MaxRecvMsgSize(grpcSenderMsgLimit))
	sink.register(srv)
	served := make(chan struct{})
	go func() { _ = srv.Serve(ln); close(served) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		// The sender has its answers, so every event it sent is in the
		// sink; calls still open (a Stream the sender did not close)
		// get a request timeout to end before they are cut.
		done := make(chan struct{})
		go func() { srv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(cfg.RequestTimeout):
			srv.Stop()
			<-done
		}
		<-served
	}
	defer stop()
	target := ln.Addr().String()

	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, time.Duration(len(idx)+2)*cfg.RequestTimeout)
	defer cancel()
	if s := cfg.Sender; s.SendGRPC != nil {
		err = s.SendGRPC(sctx, target, file)
	} else {
		err = runSenderCommand(sctx, s, ModeStructured, file, EnvSenderTarget+"="+target, EnvSenderBinding+"="+BindingGRPC)
	}
	if err != nil {
		return fmt.Errorf("conformance: the sender failed (gRPC): %w", err)
	}
	stop()
	per := time.Since(start).Seconds() / float64(len(idx))
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, i := range idx {
		c := &cases[i]
		id := sendID(c)
		var a *grpcArrival
		for _, g := range sink.got {
			if g.event.attrs["id"] == id {
				a = g
				break
			}
		}
		outcomes[i].err = judgeSentGRPC(c, a, sink.undecodable)
		outcomes[i].seconds = per
	}
	return nil
}

// judgeSentGRPC checks the event a gRPC sender delivered for case c (nil:
// none carried its id; undecodable, when set, is a message that was not
// a CloudEvent message at all).
func judgeSentGRPC(c *Case, a *grpcArrival, undecodable error) error {
	if a == nil {
		msg := fmt.Sprintf("no event carried the id %q: the sender did not send it (an SDK that refuses to build an event says so in the sender's output)", sendID(c))
		if undecodable != nil {
			msg += fmt.Sprintf("; the sender delivered something that is not a CloudEvent message: %v", undecodable)
		}
		return fmt.Errorf("%w: %s", errNotApplicable, msg)
	}
	g := c.GRPC
	if g == nil {
		g = &GRPCMessage{}
	}
	if g.Service == GRPCServiceOpenEvents && a.service != eventServiceName {
		return fmt.Errorf("%w: the sender used %s, which no CloudEvents document specifies; this rule binds openevents.v1.EventService (OpenEvents' gRPC binding), so it is not tested", errNotApplicable, a.service)
	}
	o := a.event
	// diffs break the case's rules; undecided names what the event
	// arrived without, which leaves a placement rule nothing to judge
	// (its absence is the business of the rules that require it).
	var diffs, undecided []string
	if g.RequiredFields {
		// PROTO-ATTR-1: fields 1 to 4, not the attributes map.
		for _, name := range probeAttrs {
			if m, ok := o.members[name]; ok {
				diffs = append(diffs, fmt.Sprintf("the required attribute %s is in the attributes map (%s), not in its own field", name, m))
			} else if !o.inFields[name] {
				undecided = append(undecided, name)
			}
		}
	}
	for name, want := range sortedMap(g.Members) {
		// PROTO-ATTR-3, PROTO-TYPE-1: the member says the type.
		switch got, ok := o.members[name]; {
		case !ok && o.inFields[name]:
			diffs = append(diffs, fmt.Sprintf("attribute %s is in a field of its own, want an attributes-map entry with %s", name, want))
		case !ok:
			undecided = append(undecided, name)
		case got != want:
			diffs = append(diffs, fmt.Sprintf("attribute %s has the value member %s, want %s", name, got, want))
		}
	}
	if g.DataField != "" {
		// PROTO-DATA-1, PROTO-DATA-4, PROTO-DATA-6.
		switch {
		case o.dataFields == 0:
			undecided = append(undecided, "data")
		case o.dataFields > 1:
			diffs = append(diffs, fmt.Sprintf("%d data fields are set, want %s_data alone", o.dataFields, g.DataField))
		case o.dataField != g.DataField:
			diffs = append(diffs, fmt.Sprintf("the data is in %s_data, want %s_data", o.dataField, g.DataField))
		}
	}
	if g.TypeURL != "" && o.dataField == dataProto && o.typeURL != g.TypeURL {
		diffs = append(diffs, fmt.Sprintf("the proto_data type URL is %q, want %q", o.typeURL, g.TypeURL))
	}
	if len(o.repeated) > 0 {
		diffs = append(diffs, fmt.Sprintf("attributes given more than once: %s", strings.Join(o.repeated, ", ")))
	}
	if c.Expect.NoAttributeMetadata {
		// GRPC-META-1: the message is the event; ce- (or ce_) metadata
		// would be attributes carried beside it.
		var keys []string
		for k := range sortedMap(a.md) {
			if lk := strings.ToLower(k); strings.HasPrefix(lk, "ce-") || strings.HasPrefix(lk, "ce_") {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			diffs = append(diffs, fmt.Sprintf("the %s call carried attributes in its gRPC metadata: %s", a.method, strings.Join(keys, ", ")))
		}
	}
	want := c.Expect.Event
	if slices.Contains(undecided, "data") {
		// The data the case asked for did not arrive at all: no data
		// field rule can say anything about it.
		w := *want
		w.Data, w.DataJSON, w.DataBase64, w.DataSize = nil, nil, nil, 0
		want = &w
	}
	err := compareEvent(want, &o.observed, "sent", nil)
	if len(diffs) == 0 && err == nil && len(undecided) > 0 {
		return fmt.Errorf("%w: the event %q arrived without %s, which the case's rule is about", errNotApplicable, sendID(c), strings.Join(undecided, ", "))
	}
	if len(diffs) == 0 {
		return err
	}
	if err != nil {
		diffs = append(diffs, err.Error())
	}
	return fmt.Errorf("the event sent with %s %s differs: %s", a.service, a.method, strings.Join(diffs, "; "))
}

// ReferenceSendGRPC is the embedded reference sender over gRPC, for
// SenderTarget.SendGRPC: OpenEvents' gRPC client (transports/grpc)
// publishing each event of the JSON array events to the
// openevents.v1.EventService at target (host:port), one Publish call
// each, in order. It returns the first event that failed, by id.
func ReferenceSendGRPC(ctx context.Context, target string, events []byte) error {
	return referenceSendGRPC(ctx, target, events, false)
}

// ReferenceStreamGRPC is ReferenceSendGRPC sending all the events as one
// batch on EventService's Stream instead.
func ReferenceStreamGRPC(ctx context.Context, target string, events []byte) error {
	return referenceSendGRPC(ctx, target, events, true)
}

// referenceSendGRPC is the reference gRPC sender with extra client
// options (the faulty senders of the tests rewrite messages with an
// interceptor).
func referenceSendGRPC(ctx context.Context, target string, events []byte, stream bool, opts ...cegrpc.ClientOption) error {
	es, err := jsonformat.DecodeBatch(events, nil)
	if err != nil {
		return fmt.Errorf("the events to send: %w", err)
	}
	c, err := cegrpc.NewClient(target, opts...)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close(context.Background()) }()
	if stream {
		return c.SendBatch(ctx, es)
	}
	for i := range es {
		if err := c.Publish(ctx, &es[i]); err != nil {
			return fmt.Errorf("event %s: %w", es[i].ID(), err)
		}
	}
	return nil
}
