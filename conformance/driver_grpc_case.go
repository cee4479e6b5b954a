package conformance

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/openevents/openevents/spec"
)

// The gRPC part of a case (Case.GRPC): what it sends and how its answer
// is judged, and the checks of a case file's gRPC members.

// GRPCMessage is what a gRPC case sends and the gRPC-specific part of its
// verdict rule; the event a relay case must see come out is
// Case.Expect.Event.
type GRPCMessage struct {
	// Service is "" when the case applies through either service, or
	// "openevents" when it needs openevents.v1.EventService (the Stream
	// method, and every rule of OpenEvents' gRPC binding).
	Service GRPCService `json:"service"`
	// Method is "publish" (the default) or "stream".
	Method string `json:"method"`
	// Event is the event Publish sends; EventBase64, instead, the bytes
	// of the CloudEvent message as they are (malformed on purpose).
	Event       *ProtoEvent `json:"event"`
	EventBase64 string      `json:"eventBase64"`
	// Metadata are gRPC metadata entries sent with the call.
	Metadata [][2]string `json:"metadata"`
	// Batches are the StreamRequests a stream case sends, with sequences
	// 1, 2, ...
	Batches []GRPCBatch `json:"batches"`

	// Status is the acceptable status codes of Publish (or of the end of
	// a Stream call), by their gRPC names separated by '|', or "!OK" for
	// any code but OK. A relay case expects OK.
	Status string `json:"status"`
	// UntestedStatus is a status that leaves the case undecided (OK for
	// a message over 4 MiB: the provider's limit is larger), and
	// UntestedNote why.
	UntestedStatus string `json:"untestedStatus"`
	UntestedNote   string `json:"untestedNote"`
	// BadRequest requires an INVALID_ARGUMENT status to carry a
	// google.rpc.BadRequest detail whose violations name requirement IDs.
	BadRequest bool `json:"badRequest"`
	// Acks are the acknowledgements a stream case expects, in order.
	Acks []GRPCAck `json:"acks"`

	// RequiredFields requires the relayed event's id, source,
	// specversion and type in fields 1 to 4 and not in the attributes
	// map (PROTO-ATTR-1).
	RequiredFields bool `json:"requiredFields"`
	// Members maps attributes of the relayed event to the value member
	// they must use (ce_string, ce_timestamp, ...).
	Members map[string]string `json:"members"`
	// DataField is the data field the relayed event must use: binary,
	// text or proto; TypeURL the type URL its proto_data must have.
	DataField string `json:"dataField"`
	TypeURL   string `json:"typeUrl"`
}

// GRPCBatch is one StreamRequest: its events, or RawBase64, the bytes of
// the whole message as they are.
type GRPCBatch struct {
	Events    []ProtoEvent `json:"events"`
	RawBase64 string       `json:"rawBase64"`
}

// GRPCAck is an expected StreamResponse.
type GRPCAck struct {
	Sequence uint64        `json:"sequence"`
	Accepted uint32        `json:"accepted"`
	Failures []GRPCFailure `json:"failures"`
}

// GRPCFailure is an expected EventStatus: the event's index in its batch
// and the code by its gRPC name.
type GRPCFailure struct {
	Index uint32 `json:"index"`
	Code  string `json:"code"`
}

// grpcCodeNames are the gRPC status codes by their canonical names.
var grpcCodeNames = [...]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if int(c) < len(grpcCodeNames) {
		return grpcCodeNames[c]
	}
	return fmt.Sprintf("code %d", c)
}

// codeRule is a parsed GRPCMessage.Status.
type codeRule struct {
	notOK bool
	codes []codes.Code
}

func parseCodes(s string) (codeRule, error) {
	if s == "!OK" {
		return codeRule{notOK: true}, nil
	}
	var r codeRule
	for alt := range strings.SplitSeq(s, "|") {
		i := slices.Index(grpcCodeNames[:], alt)
		if i < 0 {
			return r, fmt.Errorf("grpc status %q: %q is not a gRPC code name (OK, INVALID_ARGUMENT, ...) and the rule is not !OK", s, alt)
		}
		r.codes = append(r.codes, codes.Code(i))
	}
	return r, nil
}

func (r codeRule) match(c codes.Code) bool {
	if r.notOK {
		return c != codes.OK
	}
	return slices.Contains(r.codes, c)
}

// validateGRPC checks the gRPC part of a case.
func (c *Case) validateGRPC(cat *spec.Catalog) error {
	g := c.GRPC
	if g == nil {
		return errors.New("a gRPC case needs a grpc message")
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, id := range c.Requirements {
		if r, ok := cat.Lookup(id); ok && r.Doc == spec.DocGRPC && g.Service != GRPCServiceOpenEvents {
			bad("requirement %s is a rule of OpenEvents' gRPC binding, which binds only openevents.v1.EventService: set grpc.service to openevents", id)
		}
	}
	switch g.Service {
	case "", GRPCServiceOpenEvents:
	default:
		bad("grpc.service %q: want \"\" (either service) or openevents", g.Service)
	}
	if c.Role != RoleReceiver && c.Role != RoleRelay {
		bad("a gRPC case plays the receiver or the relay role, not %q", c.Role)
	}
	switch g.Method {
	case "", "publish":
		if (g.Event == nil) == (g.EventBase64 == "") {
			bad("a publish case needs exactly one of grpc.event and grpc.eventBase64")
		}
		if g.Batches != nil || g.Acks != nil {
			bad("only a stream case has batches and acks")
		}
		if c.Mode != ModeStructured {
			bad("a publish case is in structured mode, the only mode of gRPC")
		}
	case "stream":
		if g.Service != GRPCServiceOpenEvents || c.Role != RoleReceiver || len(g.Batches) == 0 || g.Event != nil || g.EventBase64 != "" {
			bad("a stream case needs grpc.service openevents, the receiver role, batches and no event")
		}
		if c.Mode != ModeBatch {
			bad("a stream case is in batch mode")
		}
	default:
		bad("grpc.method %q: want publish or stream", g.Method)
	}
	if g.Event != nil {
		if err := g.Event.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if g.EventBase64 != "" {
		if _, err := base64.StdEncoding.DecodeString(g.EventBase64); err != nil {
			bad("grpc.eventBase64: %w", err)
		}
	}
	for i := range g.Batches {
		b := &g.Batches[i]
		if b.RawBase64 != "" {
			if _, err := base64.StdEncoding.DecodeString(b.RawBase64); err != nil || b.Events != nil {
				bad("batch %d: rawBase64 must be Base64 and come without events", i)
			}
		}
		for j := range b.Events {
			if err := b.Events[j].validate(); err != nil {
				bad("batch %d event %d: %w", i, j, err)
			}
		}
	}
	switch c.Role {
	case RoleRelay:
		if g.Status != "" || g.Event == nil || g.Event.ID == "" {
			bad("a relay case sends grpc.event with an id (to find it on Subscribe) and expects OK, so it has no grpc.status")
		}
	case RoleReceiver:
		if _, err := parseCodes(g.Status); err != nil {
			errs = append(errs, err)
		}
		if g.RequiredFields || g.Members != nil || g.DataField != "" || g.TypeURL != "" {
			bad("requiredFields, members, dataField and typeUrl judge a relayed event: relay cases only")
		}
	}
	if g.UntestedStatus != "" {
		if _, err := parseCodes(g.UntestedStatus); err != nil || g.UntestedNote == "" {
			bad("grpc.untestedStatus needs a gRPC code name and an untestedNote")
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
	for _, a := range g.Acks {
		for _, f := range a.Failures {
			if _, err := parseCodes(f.Code); err != nil || f.Code == "!OK" {
				bad("ack failure code %q: want a gRPC code name", f.Code)
			}
		}
	}
	return errors.Join(errs...)
}
