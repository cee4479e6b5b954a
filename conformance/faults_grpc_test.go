package conformance

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/protoformat"
	"github.com/openevents/openevents/spec"
)

// grpcFault is one seeded violation of the faulty gRPC provider, and the
// requirement whose case must then FAIL.
type grpcFault struct {
	name string
	want string
}

// grpcFaults are the switches of the faulty gRPC provider: each is a bug
// gRPC providers or protobuf codecs have had.
var grpcFaults = []grpcFault{
	{"ok-for-invalid", "CORE-ATTR-ID-1"},                // accepts an event that fails validation
	{"unavailable-for-invalid", "GRPC-ERROR-1"},         // refuses it, with a retryable code
	{"ok-for-malformed", "GRPC-ERROR-2"},                // takes bytes that are not protobuf
	{"no-bad-request", "GRPC-ERROR-3"},                  // INVALID_ARGUMENT without the broken rules
	{"drop-extensions", "PROTO-ATTR-2"},                 // passes on only the attributes it knows
	{"text-as-binary", "PROTO-DATA-4"},                  // writes text into binary_data (as sdk-go does)
	{"binary-as-base64-text", "PROTO-DATA-6"},           // writes bytes as Base64 text
	{"proto-as-binary", "PROTO-DATA-1"},                 // unpacks proto_data into binary_data
	{"timestamp-as-string", "PROTO-ATTR-3"},             // time as ce_string
	{"integer-as-string", "PROTO-TYPE-1"},               // every extension as ce_string
	{"time-to-seconds", "PROTO-ATTR-3"},                 // a timestamp without its fraction
	{"required-in-map", "PROTO-ATTR-1"},                 // id, source, ... as map entries
	{"read-metadata", "GRPC-META-1"},                    // ce- metadata taken as attributes
	{"ack-all", "GRPC-ACK-3"},                           // a batch acknowledged as wholly accepted
	{"ack-sequence-zero", "GRPC-ACK-2"},                 // acknowledgements without their sequence
	{"batch-first-only", "PROTO-BATCH-2"},               // reads one event of a batch
	{"malformed-batch-acked", "GRPC-ERROR-4"},           // a malformed batch acknowledged as empty
	{"size-invalid-argument", "GRPC-SIZE-2"},            // a message too large refused as invalid
	{"drop-over-32k", "CORE-SIZE-2"},                    // OK, but larger events are not passed on
	{"refuse-binary-text", "GRPC-FORMAT-1"},             // JSON in binary_data refused
	{"accept-control-characters", "CORE-TYPE-STRING-1"}, // skips the string checks
}

// faultyGRPC is a gRPC provider of both services written over raw bytes,
// so that each fault can change exactly one thing on the wire. Without a
// fault it is a correct broker: it validates each event with protoformat
// and passes every accepted one to its Subscribe streams.
type faultyGRPC struct {
	fault string
	// codec, when set, replaces protoformat: it reads one CloudEvent
	// message and returns the message to pass on (a peer's protobuf
	// format, driver_grpc_test.go); only is then the one service served.
	codec func([]byte) ([]byte, error)
	only  string

	mu   sync.Mutex
	subs map[chan []byte]bool // each subscriber's queue of CloudEvent messages
}

// grpcLimit is the faulty provider's message limit (gRPC's default).
const grpcLimit = 4 << 20

// startFaultyGRPC serves the faulty provider on 127.0.0.1 and returns its
// address.
func startFaultyGRPC(t *testing.T, fault string) string {
	t.Helper()
	return serveGRPC(t, &faultyGRPC{fault: fault, subs: map[chan []byte]bool{}})
}

// serveGRPC serves p on 127.0.0.1 and returns its address.
func serveGRPC(t *testing.T, p *faultyGRPC) string {
	t.Helper()
	fault := p.fault
	limit := grpcLimit
	if fault == "size-invalid-argument" {
		limit = 2 * grpcLimit // reads larger messages, to refuse them itself
	}
	gs := grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{}), grpc.MaxRecvMsgSize(limit), grpc.UnknownServiceHandler(p.handle))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = gs.Serve(ln); close(done) }()
	t.Cleanup(func() {
		gs.Stop()
		<-done
	})
	return ln.Addr().String()
}

func (p *faultyGRPC) handle(_ any, ss grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(ss)
	svc, name, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	if svc != eventServiceName && svc != cloudEventServiceName || p.only != "" && svc != p.only {
		return status.Error(codes.Unimplemented, "no such service")
	}
	switch name {
	case "Publish":
		var req rawMsg
		if err := ss.RecvMsg(&req); err != nil {
			return err
		}
		var ev []byte
		_ = walkProto(req, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
			if num == 1 && typ == protowire.BytesType {
				ev = v
			}
			return nil
		})
		md, _ := metadata.FromIncomingContext(ss.Context())
		if err := p.accept(ss.Context(), ev, md, len(req)); err != nil {
			return err
		}
		return ss.SendMsg(new(rawMsg))
	case "Stream":
		if svc != eventServiceName {
			break
		}
		return p.stream(ss)
	case "Subscribe":
		var req rawMsg
		if err := ss.RecvMsg(&req); err != nil {
			return err
		}
		ch := make(chan []byte, 64)
		p.mu.Lock()
		p.subs[ch] = true
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			delete(p.subs, ch)
			p.mu.Unlock()
		}()
		for {
			select {
			case ev := <-ch:
				msg := ev
				if svc == eventServiceName {
					msg = protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), ev)
				}
				m := rawMsg(msg)
				if err := ss.SendMsg(&m); err != nil {
					return err
				}
			case <-ss.Context().Done():
				return nil
			}
		}
	}
	return status.Errorf(codes.Unimplemented, "no method %s", method)
}

// accept decodes, validates and passes on one CloudEvent message; the
// error is the call's status.
func (p *faultyGRPC) accept(ctx context.Context, b []byte, md metadata.MD, size int) error {
	if p.fault == "size-invalid-argument" && size > grpcLimit {
		return status.Error(codes.InvalidArgument, "message too large")
	}
	if p.codec != nil {
		out, err := p.codec(b)
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		p.publish(out)
		return nil
	}
	var e event.Event
	err := protoformat.Decode(b, &e)
	if p.fault == "refuse-binary-text" && binaryField(b) && utf8.Valid(e.Data()) && !e.IsBinaryData() {
		err = errors.New("binary_data must hold bytes")
	}
	if ve, ok := errors.AsType[*event.ValidationError](err); ok && onlyStringRules(ve) && p.fault == "accept-control-characters" {
		return nil // OK, as if the strings had been checked
	}
	switch {
	case err == nil:
	case errors.Is(err, protoformat.ErrSyntax) && p.fault == "ok-for-malformed":
		return nil
	case errors.Is(err, protoformat.ErrSyntax):
		return status.Error(codes.InvalidArgument, err.Error())
	case p.fault == "ok-for-invalid":
		return nil
	case p.fault == "hang-on-invalid":
		<-ctx.Done() // no answer until the client gives up
		return ctx.Err()
	case p.fault == "unavailable-for-invalid":
		return status.Error(codes.Unavailable, err.Error())
	case p.fault == "no-bad-request":
		return status.Error(codes.InvalidArgument, err.Error())
	default:
		st := status.New(codes.InvalidArgument, err.Error())
		br := &errdetails.BadRequest{}
		if ve, ok := errors.AsType[*event.ValidationError](err); ok {
			for _, v := range ve.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: "/" + v.Attribute, Reason: v.Rule, Description: v.Message})
			}
		}
		if len(br.FieldViolations) == 0 {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: "/", Reason: "CORE-ATTR-ID-1", Description: err.Error()})
		}
		if d, derr := st.WithDetails(br); derr == nil {
			st = d
		}
		return st.Err()
	}
	if p.fault == "read-metadata" {
		for k, vs := range md {
			if name, ok := strings.CutPrefix(k, "ce-"); ok && len(vs) > 0 && !e.Has(name) {
				e.SetExtension(name, event.String(vs[0]))
			}
		}
	}
	if p.fault == "drop-over-32k" && len(b) > 32<<10 {
		return nil
	}
	p.publish(p.encode(&e))
	return nil
}

// stream serves a Stream call: one acknowledgement per batch.
func (p *faultyGRPC) stream(ss grpc.ServerStream) error {
	for {
		var req rawMsg
		if err := ss.RecvMsg(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		var events [][]byte
		var seq uint64
		err := walkProto(req, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
			switch {
			case num == 1 && typ == protowire.BytesType:
				events = append(events, v)
			case num == 2 && typ == protowire.VarintType:
				seq = x
			}
			return nil
		})
		if err != nil && p.fault != "malformed-batch-acked" {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		if p.fault == "batch-first-only" && len(events) > 1 {
			events = events[:1]
		}
		var ack []byte
		if p.fault != "ack-sequence-zero" {
			ack = protowire.AppendVarint(protowire.AppendTag(ack, 1, protowire.VarintType), seq)
		}
		accepted := 0
		var failures []byte
		for i, ev := range events {
			err := p.accept(ss.Context(), ev, nil, len(ev))
			if err == nil || p.fault == "ack-all" {
				accepted++
				continue
			}
			f := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), uint64(i))
			f = protowire.AppendVarint(protowire.AppendTag(f, 2, protowire.VarintType), uint64(status.Code(err)))
			failures = protowire.AppendBytes(protowire.AppendTag(failures, 3, protowire.BytesType), f)
		}
		if accepted > 0 {
			ack = protowire.AppendVarint(protowire.AppendTag(ack, 2, protowire.VarintType), uint64(accepted))
		}
		m := rawMsg(append(ack, failures...))
		if err := ss.SendMsg(&m); err != nil {
			return err
		}
	}
}

func (p *faultyGRPC) publish(ev []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ch := range p.subs {
		select {
		case ch <- ev:
		case <-time.After(5 * time.Second): // a subscriber that stopped reading
		}
	}
}

// encode writes e as a CloudEvent message, with the fault's change.
func (p *faultyGRPC) encode(e *event.Event) []byte {
	var pe ProtoEvent
	for name, v := range e.Attributes {
		switch name {
		case "id":
			pe.ID = v.Text()
		case "source":
			pe.Source = v.Text()
		case "specversion":
			pe.SpecVersion = v.Text()
		case "type":
			pe.Type = v.Text()
		default:
			if p.fault == "drop-extensions" && !event.IsCoreAttribute(name) {
				continue
			}
			pe.Attributes = append(pe.Attributes, p.attribute(name, v))
		}
	}
	if p.fault == "required-in-map" {
		for _, kv := range [][2]string{{"id", pe.ID}, {"source", pe.Source}, {"specversion", pe.SpecVersion}, {"type", pe.Type}} {
			pe.Attributes = append(pe.Attributes, ProtoAttribute{Name: kv[0], String: &kv[1]})
		}
		pe.ID, pe.Source, pe.SpecVersion, pe.Type = "", "", "", ""
	}
	if e.HasData() {
		d := e.Data()
		switch {
		case e.DataContentType() == protoformat.ProtobufMediaType && p.fault != "proto-as-binary":
			pe.ProtoData = &ProtoData{TypeURL: e.DataSchema(), Value: base64.StdEncoding.EncodeToString(d)}
		case e.IsBinaryData() && p.fault == "binary-as-base64-text":
			s := base64.StdEncoding.EncodeToString(d)
			pe.TextData = &s
		case e.IsBinaryData() || p.fault == "text-as-binary" || e.DataContentType() == protoformat.ProtobufMediaType:
			s := base64.StdEncoding.EncodeToString(d)
			pe.BinaryData = &s
		default:
			s := string(d)
			pe.TextData = &s
		}
	}
	b, err := pe.encode(nil)
	if err != nil {
		panic(err) // the event was valid: a bug of this test
	}
	return b
}

// attribute returns the map entry of one attribute, with the fault's
// change of member.
func (p *faultyGRPC) attribute(name string, v event.Value) ProtoAttribute {
	a := ProtoAttribute{Name: name}
	s := string(v.AppendText(nil))
	switch k := v.Kind(); {
	case k == event.KindTimestamp && p.fault == "timestamp-as-string",
		(k == event.KindInteger || k == event.KindURIRef) && p.fault == "integer-as-string":
		a.String = &s
	case k == event.KindTimestamp && p.fault == "time-to-seconds":
		if t, err := v.Time(); err == nil {
			s = t.Truncate(time.Second).UTC().Format(time.RFC3339)
		}
		a.Timestamp = &s
	case k == event.KindTimestamp:
		a.Timestamp = &s
	case k == event.KindBoolean:
		b := v.Bool()
		a.Boolean = &b
	case k == event.KindInteger:
		i := v.Int()
		a.Integer = &i
	case k == event.KindBinary:
		b := base64.StdEncoding.EncodeToString(v.Bytes())
		a.Bytes = &b
	case k == event.KindURI:
		a.URI = &s
	case k == event.KindURIRef:
		a.URIRef = &s
	default:
		a.String = &s
	}
	return a
}

// binaryField reports whether a CloudEvent message sets binary_data.
func binaryField(b []byte) bool {
	o, err := decodeProtoEvent(b)
	return err == nil && o.dataField == dataBinary
}

// onlyStringRules reports whether every violation is of a String rule.
func onlyStringRules(ve *event.ValidationError) bool {
	for _, v := range ve.Violations {
		if !strings.HasPrefix(v.Rule, "CORE-TYPE-STRING-") {
			return false
		}
	}
	return true
}

// TestGRPCNoAnswer: a provider that never answers an invalid event has
// not refused it: the suite's own deadline must not pass for a refusal,
// so the case FAILs with "no answer" rather than PASS.
func TestGRPCNoAnswer(t *testing.T) {
	addr := startFaultyGRPC(t, "hang-on-invalid")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		GRPC:           &GRPCTarget{Addr: addr},
		Focus:          []string{`\[CORE-ATTR-ID-1\] a protobuf event without id`},
		RequestTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range res.Requirements {
		if rr.ID == "CORE-ATTR-ID-1" && (rr.Verdict != Fail || !strings.Contains(rr.Message, "no answer")) {
			t.Errorf("CORE-ATTR-ID-1: %s %s; want FAIL for no answer", rr.Verdict, rr.Message)
		}
	}
}

// TestGRPCFaults: the faulty provider without a fault passes every gRPC
// case through either service, and each fault is reported as a failure
// of its requirement (a mutation score of 100%).
func TestGRPCFaults(t *testing.T) {
	res := runGRPC(t, startFaultyGRPC(t, ""), GRPCServiceAuto, Profile{Spec: spec.Profile102})
	for _, c := range res.Cases {
		if c.Binding == BindingGRPC && c.Role != RoleSender && c.Verdict != Pass {
			t.Errorf("no fault: %s: %s %s", c.Name, c.Verdict, c.Message)
		}
	}
	seen := map[string]bool{}
	for _, f := range grpcFaults {
		if seen[f.name] {
			t.Errorf("fault %s is defined twice", f.name)
		}
		seen[f.name] = true
		t.Run(f.name, func(t *testing.T) {
			if _, ok := spec.Default().Lookup(f.want); !ok {
				t.Fatalf("fault %s wants %s, which is not in the catalog", f.name, f.want)
			}
			res := runGRPC(t, startFaultyGRPC(t, f.name), GRPCServiceAuto, Profile{Spec: spec.Profile102})
			wantCaught(t, res, f.name, f.want)
		})
	}
}
