package conformance

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
)

// BindingGRPC is the binding of the gRPC cases: OpenEvents'
// openevents.v1.EventService and the de-facto
// io.cloudevents.v1.CloudEventService (spec/grpc-binding.md).
const BindingGRPC = "grpc"

// GRPCService names the service a gRPC target is tested through.
type GRPCService string

// The services a GRPCTarget can name.
const (
	// GRPCServiceAuto tests openevents.v1.EventService when the provider
	// offers it, otherwise io.cloudevents.v1.CloudEventService; the zero
	// value means the same.
	GRPCServiceAuto GRPCService = "auto"
	// GRPCServiceOpenEvents tests openevents.v1.EventService: the
	// provider claims OpenEvents' gRPC binding, whose rules (catalog
	// document grpc) then apply besides the core and protobuf ones.
	GRPCServiceOpenEvents GRPCService = "openevents"
	// GRPCServiceCloudEvents tests the de-facto
	// io.cloudevents.v1.CloudEventService, which no CloudEvents document
	// specifies: only the core and protobuf-format rules apply.
	GRPCServiceCloudEvents GRPCService = "cloudevents"
)

// The full names of the two services.
const (
	eventServiceName      = "openevents.v1.EventService"
	cloudEventServiceName = "io.cloudevents.v1.CloudEventService"
)

// GRPCTarget is a provider reached over gRPC. The suite publishes events
// with Publish (and, on EventService, batches with Stream) and reads what
// the provider passes on with Subscribe: the relay cases need a provider
// that delivers every event it accepted to its Subscribe streams, as a
// broker does (spec/conformance-contract.md, "gRPC").
type GRPCTarget struct {
	// Addr is the provider's host:port.
	Addr string
	// TLS, when set, is used for the connection (nil: plaintext).
	TLS *tls.Config
	// Service chooses the service the cases use (default
	// GRPCServiceAuto). The suite finds out which services the provider
	// offers without gRPC reflection: it calls each one's Publish with
	// a request that holds no event, which a provider of the service
	// refuses as invalid and one without it answers UNIMPLEMENTED.
	Service GRPCService

	// tested is the full name of the service the run chose, for reports.
	tested string
}

func (t *GRPCTarget) validate() error {
	_, port, err := net.SplitHostPort(t.Addr)
	if err != nil || port == "" || strings.Contains(t.Addr, "://") {
		return fmt.Errorf("conformance: gRPC address %q is not host:port", t.Addr)
	}
	switch t.Service {
	case "":
		t.Service = GRPCServiceAuto
	case GRPCServiceAuto, GRPCServiceOpenEvents, GRPCServiceCloudEvents:
	default:
		return fmt.Errorf("conformance: gRPC service %q: want %s, %s or %s", t.Service, GRPCServiceAuto, GRPCServiceOpenEvents, GRPCServiceCloudEvents)
	}
	return nil
}

// rawMsg is a protobuf message as bytes; rawCodec passes it through gRPC
// untouched, under the name of gRPC's proto codec, so the content type on
// the wire is the standard application/grpc+proto.
type rawMsg []byte

type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*rawMsg)
	if !ok {
		return nil, fmt.Errorf("conformance: cannot send %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*m)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*rawMsg)
	if !ok {
		return fmt.Errorf("conformance: cannot receive into %T", v)
	}
	*m = data.Materialize()
	return nil
}

// grpcRecvLimit bounds a message the driver receives (gRPC's default, 4
// MiB, would refuse a relayed event that a provider may rightly pass on).
const grpcRecvLimit = 16 << 20

// grpcDriver speaks gRPC to one provider: unary Publish and Stream calls
// per case, and one Subscribe call shared by the relay cases, which find
// their event in it by id.
type grpcDriver struct {
	t       *GRPCTarget
	timeout time.Duration
	conn    *grpc.ClientConn
	service string // the full name of the service under test

	ctx    context.Context // the driver's life: the Subscribe call
	cancel context.CancelFunc
	subWG  sync.WaitGroup

	mu      sync.Mutex
	waiting map[string]chan *protoObserved
	subErr  error // why the Subscribe call ended
	// undecodable is the last thing Subscribe delivered that is not a
	// CloudEvent message: a case whose event does not come out says so.
	undecodable error

	subOnce sync.Once
	subWhy  string   // non-empty: the relay cases cannot be judged
	added   []string // attributes the provider adds to every event
}

func newGRPCDriver(t *GRPCTarget, timeout time.Duration) (*grpcDriver, error) {
	creds := insecure.NewCredentials()
	if t.TLS != nil {
		creds = credentials.NewTLS(t.TLS)
	}
	conn, err := grpc.NewClient(t.Addr,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{}), grpc.MaxCallRecvMsgSize(grpcRecvLimit)))
	if err != nil {
		return nil, fmt.Errorf("conformance: gRPC target %q: %w", t.Addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &grpcDriver{t: t, timeout: timeout, conn: conn, ctx: ctx, cancel: cancel, waiting: map[string]chan *protoObserved{}}, nil
}

// close ends the Subscribe call and the connection.
func (d *grpcDriver) close() {
	d.cancel()
	d.subWG.Wait()
	_ = d.conn.Close()
}

// reachable connects and picks the service to test (GRPCTarget.Service).
func (d *grpcDriver) reachable(ctx context.Context, timeout time.Duration) error {
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", d.t.Addr)
	if err != nil {
		return fmt.Errorf("conformance: cannot reach the gRPC provider at %s: %w", d.t.Addr, err)
	}
	_ = conn.Close()
	try := []string{eventServiceName, cloudEventServiceName}
	switch d.t.Service {
	case GRPCServiceOpenEvents:
		try = try[:1]
	case GRPCServiceCloudEvents:
		try = try[1:]
	}
	for _, svc := range try {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		var resp rawMsg
		err := d.conn.Invoke(pctx, "/"+svc+"/Publish", new(rawMsg), &resp)
		cancel()
		switch status.Code(err) {
		case codes.Unimplemented:
			continue
		case codes.Unavailable, codes.DeadlineExceeded:
			if d.conn.GetState() == connectivity.Ready {
				break // the provider answered, with a code of its own
			}
			return fmt.Errorf("conformance: the gRPC provider at %s does not answer (%w); TLS must match the provider's (--tls, --tls-ca)", d.t.Addr, err)
		}
		d.service = svc
		d.t.tested = svc
		return nil
	}
	return fmt.Errorf("conformance: the gRPC provider at %s answers UNIMPLEMENTED for %s: it does not offer the service (--grpc-service chooses between openevents.v1.EventService and io.cloudevents.v1.CloudEventService)", d.t.Addr, strings.Join(try, " and "))
}

// replies is not asked of a gRPC provider: the relay cases learn what it
// adds with their own probe (subscribe).
func (d *grpcDriver) replies(context.Context) (string, []string) { return "", nil }

// describe names the target and the service tested, for reports.
func (t *GRPCTarget) describe() string {
	svc := t.tested
	if svc == "" {
		svc = "--grpc-service " + string(t.Service)
	}
	return fmt.Sprintf("gRPC %s (%s)", t.Addr, svc)
}

func (d *grpcDriver) check(ctx context.Context, c *Case) error {
	g := c.GRPC
	if g.Service == GRPCServiceOpenEvents && d.service != eventServiceName {
		if g.Method == "stream" && !strings.HasPrefix(c.Requirements[0], "GRPC-") {
			return fmt.Errorf("%w: the case sends batches with openevents.v1.EventService's Stream method, and the provider is tested through %s, which has none (--grpc-service openevents tests a provider that offers EventService)", errNotApplicable, d.service)
		}
		return fmt.Errorf("%w: the provider is tested through %s, which no CloudEvents document specifies; this rule binds openevents.v1.EventService (OpenEvents' gRPC binding), so it is not tested (--grpc-service openevents tests a provider that offers it)", errNotApplicable, d.service)
	}
	switch {
	case g.Method == "stream":
		return d.checkStream(ctx, c)
	case c.Role == RoleRelay:
		return d.checkRelay(ctx, c)
	}
	err := d.publish(ctx, g)
	if ctx.Err() != nil {
		return noAnswer("Publish", err)
	}
	return judgeCode(g, err, "Publish")
}

// noAnswer is the failure of a call the provider did not answer within
// the request timeout: a status the suite's own deadline made up must
// not pass for the provider's (an invalid event "not accepted").
func noAnswer(call string, err error) error {
	return fmt.Errorf("no answer to %s within the request timeout (--request-timeout): %w", call, err)
}

// publish sends the case's event with Publish.
func (d *grpcDriver) publish(ctx context.Context, g *GRPCMessage) error {
	var ev []byte
	if g.Event != nil {
		var err error
		if ev, err = g.Event.encode(nil); err != nil {
			return err
		}
	} else {
		ev, _ = base64.StdEncoding.DecodeString(g.EventBase64) // validated on load
	}
	return d.publishBytes(ctx, ev, g.Metadata)
}

// publishBytes sends a PublishRequest (of either service: the event is
// field 1 of both) holding the CloudEvent message ev.
func (d *grpcDriver) publishBytes(ctx context.Context, ev []byte, md [][2]string) error {
	req := protowire.AppendTag(nil, 1, protowire.BytesType)
	req = protowire.AppendBytes(req, ev)
	for _, kv := range md {
		ctx = metadata.AppendToOutgoingContext(ctx, kv[0], kv[1])
	}
	m, resp := rawMsg(req), rawMsg(nil)
	return d.conn.Invoke(ctx, "/"+d.service+"/Publish", &m, &resp)
}

// judgeCode applies the case's status rule to the outcome of a call.
func judgeCode(g *GRPCMessage, err error, call string) error {
	st, _ := status.FromError(err)
	if g.UntestedStatus != "" {
		if r, _ := parseCodes(g.UntestedStatus); r.match(st.Code()) {
			return fmt.Errorf("%w: %s answered %s: %s", errNotApplicable, call, codeName(st.Code()), g.UntestedNote)
		}
	}
	r, _ := parseCodes(g.Status) // validated on load
	if c := st.Code(); (c == codes.DeadlineExceeded || c == codes.Canceled) && !slices.Contains(r.codes, c) {
		// The call's deadline passed (the provider's copy of it may
		// expire first and end the call): that is no verdict on the
		// event, so it must not pass for a refusal.
		return noAnswer(call, err)
	}
	if !r.match(st.Code()) {
		return fmt.Errorf("%s answered %s, want %s%s", call, codeName(st.Code()), g.Status, statusHint(st))
	}
	if g.BadRequest && st.Code() == codes.InvalidArgument {
		return judgeBadRequest(st)
	}
	return nil
}

func statusHint(st *status.Status) string {
	if st.Message() == "" || st.Code() == codes.OK {
		return ""
	}
	m := st.Message()
	if len(m) > 200 {
		m = m[:200] + "…"
	}
	return fmt.Sprintf(" (message: %q)", m)
}

// requirementID is the shape of a requirement ID, for a BadRequest
// violation's reason.
var requirementID = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$`)

// judgeBadRequest checks the details of an INVALID_ARGUMENT for an
// invalid event (GRPC-ERROR-3).
func judgeBadRequest(st *status.Status) error {
	var found bool
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		found = true
		if len(br.GetFieldViolations()) == 0 {
			return errors.New("the INVALID_ARGUMENT status carries a google.rpc.BadRequest without field violations")
		}
		for _, v := range br.GetFieldViolations() {
			if !requirementID.MatchString(v.GetReason()) {
				return fmt.Errorf("the BadRequest violation of %q has the reason %q, want a requirement ID", v.GetField(), v.GetReason())
			}
		}
	}
	if !found {
		return fmt.Errorf("the INVALID_ARGUMENT status carries no google.rpc.BadRequest detail naming the broken rules (message: %q)", st.Message())
	}
	return nil
}

var streamDesc = grpc.StreamDesc{StreamName: "Stream", ServerStreams: true, ClientStreams: true}

// checkStream sends the case's batches on one Stream call, then reads the
// acknowledgements until the call ends.
func (d *grpcDriver) checkStream(ctx context.Context, c *Case) error {
	g := c.GRPC
	for _, kv := range g.Metadata {
		ctx = metadata.AppendToOutgoingContext(ctx, kv[0], kv[1])
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs, err := d.conn.NewStream(ctx, &streamDesc, "/"+eventServiceName+"/Stream")
	if err != nil {
		return judgeCode(g, err, "Stream")
	}
	for i, b := range g.Batches {
		var req []byte
		if b.RawBase64 != "" {
			req, _ = base64.StdEncoding.DecodeString(b.RawBase64)
		} else {
			for j := range b.Events {
				ev, err := b.Events[j].encode(nil)
				if err != nil {
					return err
				}
				req = protowire.AppendTag(req, 1, protowire.BytesType)
				req = protowire.AppendBytes(req, ev)
			}
			req = protowire.AppendTag(req, 2, protowire.VarintType)
			req = protowire.AppendVarint(req, uint64(i+1))
		}
		m := rawMsg(req)
		if err := cs.SendMsg(&m); err != nil {
			break // the call ended; RecvMsg tells how
		}
	}
	_ = cs.CloseSend()
	var acks []GRPCAck
	var end error
	for {
		var m rawMsg
		if err := cs.RecvMsg(&m); err != nil {
			if !errors.Is(err, io.EOF) {
				end = err
			}
			break
		}
		a, err := parseAck(m)
		if err != nil {
			return err
		}
		acks = append(acks, a)
	}
	if ctx.Err() != nil {
		return noAnswer("the Stream call", end)
	}
	if err := judgeCode(g, end, "the Stream call"); err != nil {
		if len(acks) > 0 {
			err = fmt.Errorf("%w, after %d acknowledgements %s", err, len(acks), ackString(acks))
		}
		return err
	}
	if g.Acks == nil && status.Code(end) != codes.OK {
		return nil
	}
	if ackString(acks) != ackString(g.Acks) {
		return fmt.Errorf("the acknowledgements are %s, want %s", ackString(acks), ackString(g.Acks))
	}
	return nil
}

// parseAck reads a StreamResponse.
func parseAck(m []byte) (GRPCAck, error) {
	var a GRPCAck
	err := walkProto(m, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			a.Sequence = x
		case num == 2 && typ == protowire.VarintType:
			a.Accepted = uint32(x)
		case num == 3 && typ == protowire.BytesType:
			var f GRPCFailure
			if err := walkProto(v, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
				switch {
				case num == 1 && typ == protowire.VarintType:
					f.Index = uint32(x)
				case num == 2 && typ == protowire.VarintType:
					f.Code = codeName(codes.Code(uint32(x)))
				}
				return nil
			}); err != nil {
				return err
			}
			if f.Code == "" {
				f.Code = codeName(codes.OK)
			}
			a.Failures = append(a.Failures, f)
		}
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("a StreamResponse is not protobuf: %w", err)
	}
	return a, nil
}

// ackString writes acknowledgements in one stable form, failures sorted
// by index, for comparing and for messages.
func ackString(acks []GRPCAck) string {
	var b strings.Builder
	b.WriteString("[")
	for i, a := range acks {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{sequence %d, accepted %d", a.Sequence, a.Accepted)
		fs := slices.Clone(a.Failures)
		slices.SortFunc(fs, func(x, y GRPCFailure) int { return int(x.Index) - int(y.Index) })
		for _, f := range fs {
			fmt.Fprintf(&b, ", failed #%d %s", f.Index, f.Code)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	return b.String()
}

// checkRelay publishes the case's event and judges the event that comes
// out of the shared Subscribe call.
func (d *grpcDriver) checkRelay(ctx context.Context, c *Case) error {
	if why := d.subscribe(); why != "" {
		return fmt.Errorf("%w: %s", errNotApplicable, why)
	}
	g := c.GRPC
	ch := d.wait(g.Event.ID)
	defer d.unwait(g.Event.ID)
	if err := d.publish(ctx, g); status.Code(err) != codes.OK {
		if c := status.Code(err); ctx.Err() != nil || c == codes.DeadlineExceeded || c == codes.Canceled {
			return noAnswer("Publish", err)
		}
		st, _ := status.FromError(err)
		return fmt.Errorf("the provider answered Publish with %s for a valid event, which therefore did not pass%s", codeName(st.Code()), statusHint(st))
	}
	select {
	case o := <-ch:
		return d.judgeRelayed(c, o)
	case <-ctx.Done():
		d.mu.Lock()
		subErr, bad := d.subErr, d.undecodable
		d.mu.Unlock()
		if subErr != nil {
			return fmt.Errorf("%w: the Subscribe call ended (%w) before the event %q came out", errNotApplicable, subErr, g.Event.ID)
		}
		if bad != nil {
			return fmt.Errorf("the event %q was accepted (OK) but did not come out of Subscribe within %s; Subscribe delivered something that is not a CloudEvent message: %w", g.Event.ID, d.timeout, bad)
		}
		return fmt.Errorf("the event %q was accepted (OK) but did not come out of Subscribe within %s", g.Event.ID, d.timeout)
	}
}

// judgeRelayed checks the event that came out.
func (d *grpcDriver) judgeRelayed(c *Case, o *protoObserved) error {
	g := c.GRPC
	var diffs []string
	if g.RequiredFields {
		for _, name := range []string{"id", "source", "specversion", "type"} {
			if m, ok := o.members[name]; ok {
				diffs = append(diffs, fmt.Sprintf("the required attribute %s is in the attributes map (%s), not in its own field", name, m))
			} else if !o.inFields[name] {
				diffs = append(diffs, fmt.Sprintf("the required attribute %s is missing from its field", name))
			}
		}
	}
	for name, want := range sortedMap(g.Members) {
		switch got, ok := o.members[name]; {
		case !ok && o.inFields[name]:
			diffs = append(diffs, fmt.Sprintf("attribute %s is in a field of its own, want an attributes-map entry with %s", name, want))
		case ok && got != want:
			diffs = append(diffs, fmt.Sprintf("attribute %s has the value member %s, want %s", name, got, want))
		}
	}
	if g.DataField != "" && o.dataField != g.DataField {
		got := o.dataField + "_data"
		if o.dataField == "" {
			got = "no data field"
		}
		diffs = append(diffs, fmt.Sprintf("the data is in %s, want %s_data", got, g.DataField))
	}
	if g.TypeURL != "" && o.dataField == dataProto && o.typeURL != g.TypeURL {
		diffs = append(diffs, fmt.Sprintf("the proto_data type URL is %q, want %q", o.typeURL, g.TypeURL))
	}
	if len(o.repeated) > 0 {
		diffs = append(diffs, fmt.Sprintf("attributes given more than once: %s", strings.Join(o.repeated, ", ")))
	}
	err := compareEvent(c.Expect.Event, &o.observed, "relayed", d.added)
	if len(diffs) == 0 {
		return err
	}
	if err != nil {
		diffs = append(diffs, err.Error())
	}
	return fmt.Errorf("the relayed event differs: %s", strings.Join(diffs, "; "))
}

// wait registers a case waiting for the event id on the Subscribe call.
func (d *grpcDriver) wait(id string) chan *protoObserved {
	ch := make(chan *protoObserved, 1)
	d.mu.Lock()
	d.waiting[id] = ch
	d.mu.Unlock()
	return ch
}

func (d *grpcDriver) unwait(id string) {
	d.mu.Lock()
	delete(d.waiting, id)
	d.mu.Unlock()
}

// deliver hands an event that came out to the case waiting for its id;
// others (events of receiver cases, another client's) are ignored.
func (d *grpcDriver) deliver(o *protoObserved) {
	id := o.attrs["id"]
	d.mu.Lock()
	ch := d.waiting[id]
	delete(d.waiting, id)
	d.mu.Unlock()
	if ch != nil {
		select {
		case ch <- o:
		default: // a probe that came out after another one
		}
	}
}

// subscribe opens the shared Subscribe call once and checks, with probe
// events, that the provider delivers what it accepts; it returns "" when
// it does, otherwise why the relay cases cannot be judged.
func (d *grpcDriver) subscribe() string {
	d.subOnce.Do(func() { d.subWhy = d.startSubscription() })
	return d.subWhy
}

var subscribeDesc = grpc.StreamDesc{StreamName: "Subscribe", ServerStreams: true}

// probeAttrs are the attributes of the probe events: the required ones
// alone, so anything else that comes out is the provider's own.
var probeAttrs = []string{"id", "source", "specversion", "type"}

func (d *grpcDriver) startSubscription() string {
	cs, err := d.conn.NewStream(d.ctx, &subscribeDesc, "/"+d.service+"/Subscribe")
	if err == nil {
		// An empty SubscribeRequest or SubscriptionRequest: no filter.
		err = cs.SendMsg(new(rawMsg))
	}
	if err == nil {
		err = cs.CloseSend()
	}
	if err != nil {
		return fmt.Sprintf("the Subscribe call of %s could not start (%v); the relay cases read events from it", d.service, err)
	}
	ended := make(chan struct{})
	d.subWG.Go(func() {
		defer close(ended)
		for {
			var m rawMsg
			if err := cs.RecvMsg(&m); err != nil {
				d.mu.Lock()
				d.subErr = err
				d.mu.Unlock()
				return
			}
			d.received(m)
		}
	})

	// Subscribe gives no sign that the subscription is in place, so
	// probes are published until one comes out.
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	arrived := make(chan *protoObserved, 1)
	tick := time.NewTicker(d.timeout / 20)
	defer tick.Stop()
	for n := 1; ; n++ {
		id := fmt.Sprintf("conformance-grpc-probe-%d-%d", time.Now().UnixNano(), n)
		d.mu.Lock()
		d.waiting[id] = arrived // every probe: the first to come out will do
		d.mu.Unlock()
		p := &ProtoEvent{ID: id, Source: "/conformance", SpecVersion: "1.0", Type: "org.example.probe"}
		ev, _ := p.encode(nil)
		err := d.publishBytes(ctx, ev, nil)
		if c := status.Code(err); c != codes.OK && ctx.Err() == nil {
			st, _ := status.FromError(err)
			return fmt.Sprintf("Publish answered %s for a plain valid event%s, so the relay cases cannot be judged", codeName(c), statusHint(st))
		}
		select {
		case o := <-arrived:
			d.mu.Lock()
			for k, ch := range d.waiting {
				if ch == arrived {
					delete(d.waiting, k)
				}
			}
			d.mu.Unlock()
			for name := range sortedMap(o.attrs) {
				if !slices.Contains(probeAttrs, name) {
					d.added = append(d.added, name)
				}
			}
			return ""
		case <-ended:
			d.mu.Lock()
			err := d.subErr
			d.mu.Unlock()
			if status.Code(err) == codes.Unimplemented {
				return fmt.Sprintf("the provider does not offer %s's Subscribe (UNIMPLEMENTED); the relay cases read the events it passes on from Subscribe", d.service)
			}
			return fmt.Sprintf("the Subscribe call of %s ended (%v) before a probe event came out; the relay cases read the events the provider passes on from Subscribe", d.service, err)
		case <-ctx.Done():
			return fmt.Sprintf("the provider accepted probe events but delivered none of them to a Subscribe call within %s; the relay cases need a provider that passes every event it accepts to its Subscribe streams (a broker, or a function that forwards to them)", d.timeout)
		case <-tick.C:
		}
	}
}

// received decodes what the Subscribe call delivered: a
// SubscribeResponse of events (EventService) or one CloudEvent
// (CloudEventService).
func (d *grpcDriver) received(m []byte) {
	one := func(b []byte) {
		o, err := decodeProtoEvent(b)
		if err != nil {
			d.mu.Lock()
			d.undecodable = err
			d.mu.Unlock()
			return
		}
		d.deliver(o)
	}
	if d.service == cloudEventServiceName {
		one(m)
		return
	}
	err := walkProto(m, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == 1 && typ == protowire.BytesType {
			one(v)
		}
		return nil
	})
	if err != nil {
		d.mu.Lock()
		d.undecodable = fmt.Errorf("a SubscribeResponse is not protobuf: %w", err)
		d.mu.Unlock()
	}
}
