package conformance

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/openevents/openevents/spec"
)

//go:embed testdata/*.json
var caseFiles embed.FS

// Role is the part a provider plays in a case.
type Role string

// The roles of this slice of the suite.
const (
	// RoleReceiver: the provider takes deliveries; the verdict is the HTTP
	// status (and, for a handshake, response headers).
	RoleReceiver Role = "receiver"
	// RoleEcho: the provider answers each event with a reply event equal
	// to it, which shows what it decoded.
	RoleEcho Role = "echo"
	// RoleSender: the provider sends the event the case asks for (see
	// SenderTarget) to a receiver the suite hosts; the verdict is the
	// message that arrives.
	RoleSender Role = "sender"
	// RoleRelay: the provider passes events on (a broker, a bridge, a
	// forwarding function); the verdict is the event that comes out.
	RoleRelay Role = "relay"
)

// Mode is the content mode of a case's request, or "webhook" for the
// abuse-protection handshake, which carries no event.
type Mode string

// The modes a case can name.
const (
	ModeBinary     Mode = "binary"
	ModeStructured Mode = "structured"
	ModeBatch      Mode = "batch"
	ModeWebhook    Mode = "webhook"
)

// The protocol bindings a case can speak.
const (
	BindingHTTP = "http"
	BindingMQTT = "mqtt"
)

// Case is one conformance check, as data: the requirements it checks, whom
// it tests, the request to send and the rule that judges the answer. Cases
// live in testdata/*.json (one array per file) and are loaded by Cases.
type Case struct {
	// Name is a short sentence, unique across the suite.
	Name string `json:"name"`
	// Requirements are catalog IDs (spec package) the case checks. All of
	// them have the same level class (see Class); the case's level is taken
	// from the catalog, never written here.
	Requirements []string `json:"requirements"`
	Role         Role     `json:"role"`
	Binding      string   `json:"binding"`
	Mode         Mode     `json:"mode"`
	// Request is what an HTTP case sends; MQTT what an MQTT case
	// publishes.
	Request Request      `json:"request"`
	MQTT    *MQTTMessage `json:"mqtt"`
	// GRPC is what a gRPC case sends and the gRPC part of its verdict
	// rule (driver_grpc.go).
	GRPC *GRPCMessage `json:"grpc"`
	// Send is the event a sender case asks the provider to send, in the
	// JSON event format; its id is unique among the sender cases, so the
	// message that carries it can be told apart.
	Send json.RawMessage `json:"send"`
	// Answer, for a sender case, is what the suite's receiver answers the
	// first message carrying the case's event (default 204); such a case
	// runs in a sender run of its own (sender_webhook.go).
	Answer *Answer `json:"answer"`
	Expect Rule    `json:"expect"`
	// After names a case this one presumes: when that case did not pass
	// (or did not run), this one is NOT-TESTED rather than judged, so a
	// provider that lacks an optional feature (batched mode) is not
	// failed again for every detail of it.
	After string `json:"after"`
}

// Request is the HTTP request a case sends.
type Request struct {
	// Method defaults to POST.
	Method string `json:"method"`
	// Headers are name/value pairs sent as written: order, repetitions
	// and the case of names are kept.
	Headers [][2]string `json:"headers"`
	// Query and Token are the web-hook cases' request controls (see
	// webhook.go): a query added to the target URL, and where the run's
	// bearer token goes.
	Query string `json:"query"`
	Token string `json:"token"`
	Payload
}

// Payload is the bytes a case sends: an HTTP body, an MQTT payload.
type Payload struct {
	// Body is the payload as text; BodyJSON a JSON value sent compactly;
	// BodyBase64 the payload as Base64, for bytes that are not UTF-8. At
	// most one is set.
	Body       string          `json:"body"`
	BodyJSON   json.RawMessage `json:"bodyJSON"`
	BodyBase64 string          `json:"bodyBase64"`
	// PadTo, when set, makes the payload exactly that many bytes long: it
	// holds padMark once, which is replaced by as many 'x' as it takes
	// (for the size-limit cases, whose bodies are too long to write out).
	PadTo int `json:"padTo"`
}

// padMark is the place of the padding in a body with Request.PadTo.
const padMark = "{{pad}}"

// Rule is the verdict rule of a case.
type Rule struct {
	// Status lists the acceptable statuses, separated by '|': a code
	// ("415") or a class ("2xx").
	Status string `json:"status"`
	// Headers maps response header names to the values accepted, exactly
	// (one of them, the header given once).
	Headers map[string][]string `json:"headers"`
	// HeaderContains maps response header names to a substring their
	// value must contain, compared without regard to case.
	HeaderContains map[string]string `json:"headerContains"`
	// Event is the reply event an echo case expects.
	Event *ExpectedEvent `json:"event"`
	// ReplyHeaders maps headers of a binary-mode reply (ce- headers,
	// Content-Type) to their exact wire value; it checks how the provider
	// encodes. A case with it is not tested when the reply comes in
	// structured mode.
	ReplyHeaders map[string]string `json:"replyHeaders"`
	// ReplyEncoded checks that every ce- header value of a binary-mode
	// reply is percent-encoded as a producer must: only characters
	// U+0021-U+007E other than '"', and '%' only to start an escape
	// (HTTP-HEADER-VALUE-9, HTTP-HEADER-VALUE-10, HTTP-HEADER-VALUE-11).
	ReplyEncoded bool `json:"replyEncoded"`
	// ReplyPresumeEncoded judges a binary-mode reply only when its
	// producer percent-encodes at all (no raw byte outside U+0021-U+007E
	// and no raw '"'); otherwise the case is not tested, since the rules
	// that require encoding have cases of their own and a case about how
	// values are encoded would pass vacuously. ReplyHeaders implies it
	// unless ReplyEncoded is set.
	ReplyPresumeEncoded bool `json:"replyPresumeEncoded"`
	// ReplyAbsent lists headers a binary-mode reply must not carry (e.g.
	// ce-datacontenttype, which binary mode carries as Content-Type). A
	// case with it is not tested when the reply comes in structured mode.
	ReplyAbsent []string `json:"replyAbsent"`
	// ReplyMode, when set ("binary" or "structured"), is the only reply
	// mode in which the case's check means something: a same-mode echo
	// cannot tell a symmetric codec bug (no decoding in, no encoding out)
	// from correct behaviour, so such a check asks for the other mode and
	// is not tested when the reply comes in this one.
	ReplyMode Mode `json:"replyMode"`
	// MQTT checks how an MQTT message the provider published carries its
	// event (see MQTTExpect).
	MQTT *MQTTExpect `json:"mqtt"`
	// IfStatus, IfHeaders and IfBody limit the responses the case judges,
	// and HeaderMatches and HeaderRefuse check header values by regular
	// expression; see webhook.go.
	IfStatus      string            `json:"ifStatus"`
	IfHeaders     []string          `json:"ifHeaders"`
	IfBody        string            `json:"ifBody"`
	HeaderMatches map[string]string `json:"headerMatches"`
	HeaderRefuse  map[string]string `json:"headerRefuse"`
	// Method and Payload check a sender's message as a web-hook delivery
	// (sender cases): the request method, and a body that is not empty
	// and, for a JSON media type, is JSON (see webhook.go).
	Method  string `json:"method"`
	Payload bool   `json:"payload"`
	// Webhook names a web-hook check of a sender's delivery against what
	// its run showed: the handshake, the origin, the access token (see
	// sender_webhook.go).
	Webhook string `json:"webhook"`
	// NoBatch, for a sender case, fails a sender that sends the event in
	// a batch it was not asked for (HTTP-BATCH-1, JSON-BATCH-2).
	NoBatch bool `json:"noBatch"`
	// NoAttributeMetadata checks that a gRPC sender's call carried no
	// attribute in its gRPC metadata, no ce- or ce_ key (GRPC-META-1;
	// gRPC sender cases, driver_grpc_sender.go).
	NoAttributeMetadata bool `json:"noAttributeMetadata"`
}

// ExpectedEvent is the event a reply must equal.
type ExpectedEvent struct {
	// Attributes are every attribute of the reply, with JSON strings,
	// numbers and booleans for the String-like, Integer and Boolean types.
	// The reply must carry exactly these (unless Partial).
	Attributes map[string]json.RawMessage `json:"attributes"`
	// Absent lists attributes the event must not have, even one the
	// provider adds to every event it echoes (the run's notes name those;
	// other cases disregard them).
	Absent []string `json:"absent"`
	// Partial compares only the attributes listed: others may be present.
	// Sender cases use it, since a producer may add attributes of its own
	// (a time, say) without breaking a rule.
	Partial bool `json:"partial"`
	// Optional attributes may be absent from the reply; when present they
	// must have the given value (e.g. a datacontenttype a binding may make
	// explicit, CORE-ATTR-DATACONTENTTYPE-4).
	Optional map[string]json.RawMessage `json:"optional"`
	// At most one of Data (bytes as text), DataJSON (a JSON value, compared
	// as JSON) and DataBase64 is set; none means the reply has no data.
	Data       *string         `json:"data"`
	DataJSON   json.RawMessage `json:"dataJSON"`
	DataBase64 *string         `json:"dataBase64"`
	// DataSize, instead of the others, is the length of data made of
	// 'x' alone (the payload of a padded case).
	DataSize int `json:"dataSize"`
}

// Class is the level class of a requirement: what a violation means for
// the verdict.
type Class string

// The three classes; only a MUST failure fails a run.
const (
	ClassMust   Class = "MUST"   // MUST, MUST NOT, REQUIRED
	ClassShould Class = "SHOULD" // SHOULD, SHOULD NOT, RECOMMENDED
	ClassMay    Class = "MAY"    // MAY, OPTIONAL
)

// ClassOf returns the class of a catalog level.
func ClassOf(l spec.Level) Class {
	switch {
	case l.IsMust():
		return ClassMust
	case l.IsShould():
		return ClassShould
	default:
		return ClassMay
	}
}

// Class returns the level class of the case's requirements, looked up in
// cat. Validate has checked that they agree.
func (c *Case) Class(cat *spec.Catalog) Class {
	r, _ := cat.Lookup(c.Requirements[0])
	return ClassOf(r.Level)
}

// outside returns why the case is outside profile p (see
// Profile.outside), or "" when p holds the provider to it. Validate has
// checked that the case's requirements share a scope, so the first
// decides.
func (c *Case) outside(cat *spec.Catalog, p Profile) string {
	r, _ := cat.Lookup(c.Requirements[0])
	return p.outside(r)
}

// Title is the text of the case's Ginkgo It: its requirement IDs, then its
// name, so --focus can select by either.
func (c *Case) Title() string {
	return "[" + strings.Join(c.Requirements, " ") + "] " + c.Name
}

// body returns the payload.
func (r *Payload) body() ([]byte, error) {
	b, err := r.rawBody()
	if err != nil || r.PadTo == 0 {
		return b, err
	}
	if bytes.Count(b, []byte(padMark)) != 1 {
		return nil, fmt.Errorf("padTo %d: the body must hold %s exactly once", r.PadTo, padMark)
	}
	n := r.PadTo - (len(b) - len(padMark))
	if n < 0 {
		return nil, fmt.Errorf("padTo %d: the body is already %d bytes without %s", r.PadTo, len(b)-len(padMark), padMark)
	}
	return bytes.Replace(b, []byte(padMark), bytes.Repeat([]byte{'x'}, n), 1), nil
}

// rawBody returns the payload as written in the case.
func (r *Payload) rawBody() ([]byte, error) {
	switch {
	case r.BodyBase64 != "":
		return base64.StdEncoding.DecodeString(r.BodyBase64)
	case len(r.BodyJSON) > 0:
		var b bytes.Buffer
		if err := json.Compact(&b, r.BodyJSON); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	default:
		return []byte(r.Body), nil
	}
}

// Cases returns the embedded cases, validated against cat, in file and
// then array order.
func Cases(cat *spec.Catalog) ([]Case, error) {
	return loadCases(caseFiles, cat)
}

func loadCases(fsys fs.FS, cat *spec.Catalog) ([]Case, error) {
	names, err := fs.Glob(fsys, "testdata/*.json")
	if err != nil {
		return nil, err
	}
	var all []Case
	var errs []error
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var cs []Case
		if err := dec.Decode(&cs); err != nil {
			errs = append(errs, fmt.Errorf("conformance: %s: %w", path.Base(name), err))
			continue
		}
		all = append(all, cs...)
	}
	seen := make(map[string]bool)
	ids := make(map[string]string)
	for i := range all {
		if c := &all[i]; c.Role == RoleSender {
			if other, dup := ids[sendID(c)]; dup {
				errs = append(errs, fmt.Errorf("conformance: case %q: the id %q of its event is used by %q too", c.Name, sendID(c), other))
			}
			ids[sendID(c)] = c.Name
		}
		c := &all[i]
		if err := c.validate(cat); err != nil {
			errs = append(errs, fmt.Errorf("conformance: case %q: %w", c.Name, err))
		}
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("conformance: case %q: name used twice", c.Name))
		}
		seen[c.Name] = true
	}
	for i := range all {
		if a := all[i].After; a != "" && (!seen[a] || a == all[i].Name) {
			errs = append(errs, fmt.Errorf("conformance: case %q: after %q: no such other case", all[i].Name, a))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return all, nil
}

// validate checks a case against the catalog and its own rules.
func (c *Case) validate(cat *spec.Catalog) error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if len(c.Requirements) == 0 {
		errs = append(errs, errors.New("cites no requirement"))
	}
	var class Class
	var first spec.Requirement
	for i, id := range c.Requirements {
		r, ok := cat.Lookup(id)
		if !ok {
			errs = append(errs, fmt.Errorf("requirement %s is not in the catalog", id))
			continue
		}
		if r.Check != spec.CheckWire {
			errs = append(errs, fmt.Errorf("requirement %s cannot be checked over the wire (check %q)", id, r.Check))
		}
		if i == 0 {
			class, first = ClassOf(r.Level), r
			continue
		}
		if ClassOf(r.Level) != class {
			errs = append(errs, fmt.Errorf("requirement %s is %s but %s is %s: split the case", id, r.Level, c.Requirements[0], class))
		}
		if !sameScope(first, r) {
			errs = append(errs, fmt.Errorf("requirement %s and %s belong to different profiles (text, extension or 0.3 claim): split the case", id, first.ID))
		}
	}
	switch c.Binding {
	case BindingHTTP:
		if c.MQTT != nil || c.Expect.MQTT != nil {
			errs = append(errs, errors.New("an HTTP case has no mqtt message"))
		}
		errs = append(errs, c.validateHTTPRelay()...) // driver_relay_http.go
	case BindingMQTT:
		if err := c.validateMQTT(); err != nil {
			errs = append(errs, err)
		}
	case BindingGRPC:
		validate := c.validateGRPC
		if c.Role == RoleSender {
			validate = c.validateGRPCSender // driver_grpc_sender.go
		}
		if err := validate(cat); err != nil {
			errs = append(errs, err)
		}
	default:
		errs = append(errs, fmt.Errorf("binding %q: want %q or %q", c.Binding, BindingHTTP, BindingMQTT))
	}
	if !slices.Contains([]Mode{ModeBinary, ModeStructured, ModeBatch, ModeWebhook}, c.Mode) {
		errs = append(errs, fmt.Errorf("unknown mode %q", c.Mode))
	}
	switch c.Role {
	case RoleReceiver:
		if c.Expect.Event != nil || c.Expect.ReplyHeaders != nil || c.Expect.ReplyEncoded || c.Expect.ReplyAbsent != nil || c.Expect.ReplyMode != "" || c.Expect.ReplyPresumeEncoded {
			errs = append(errs, errors.New("a receiver case expects no reply event"))
		}
	case RoleEcho:
		if c.Expect.Event == nil && !c.expectsNoEvent() {
			errs = append(errs, errors.New("an echo case needs expect.event"))
		} else if c.Expect.Event != nil {
			if err := c.Expect.Event.validate(); err != nil {
				errs = append(errs, err)
			}
		}
	case RoleRelay:
		if c.Expect.Event == nil {
			errs = append(errs, errors.New("a relay case needs expect.event, the event that must come out"))
		} else if err := c.Expect.Event.validate(); err != nil {
			errs = append(errs, err)
		}
	case RoleSender:
		if c.Expect.Event == nil || !c.Expect.Event.Partial {
			errs = append(errs, errors.New("a sender case needs expect.event with partial: true (a producer may add attributes)"))
		} else if err := c.Expect.Event.validate(); err != nil {
			errs = append(errs, err)
		}
		var e map[string]json.RawMessage
		if err := json.Unmarshal(c.Send, &e); err != nil {
			errs = append(errs, fmt.Errorf("send: not a JSON object: %w", err))
		} else if id, _, err := attrValue(e["id"]); err != nil || id == "" {
			errs = append(errs, errors.New("send: the event needs a string id"))
		}
		if c.Mode != ModeBinary && c.Mode != ModeStructured {
			errs = append(errs, fmt.Errorf("a sender case asks for binary or structured mode, not %q", c.Mode))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown role %q", c.Role))
	}
	if c.Role != RoleSender && c.Send != nil {
		errs = append(errs, errors.New("only a sender case has send"))
	}
	if m := c.Expect.ReplyMode; m != "" && m != ModeBinary && m != ModeStructured {
		errs = append(errs, fmt.Errorf("expect.replyMode %q: want binary or structured", m))
	}
	if _, err := parseStatus(c.Expect.Status); err != nil && c.Role != RoleSender && c.Role != RoleRelay && c.Binding != BindingMQTT && c.Binding != BindingGRPC {
		errs = append(errs, err)
	}
	set := 0
	for _, ok := range []bool{c.Request.Body != "", len(c.Request.BodyJSON) > 0, c.Request.BodyBase64 != ""} {
		if ok {
			set++
		}
	}
	if set > 1 {
		errs = append(errs, errors.New("request sets more than one of body, bodyJSON, bodyBase64"))
	}
	if _, err := c.Request.body(); err != nil {
		errs = append(errs, fmt.Errorf("request body: %w", err))
	}
	errs = append(errs, c.validateWebhook()...)
	return errors.Join(errs...)
}

func (x *ExpectedEvent) validate() error {
	set := 0
	for _, ok := range []bool{x.Data != nil, len(x.DataJSON) > 0, x.DataBase64 != nil, x.DataSize > 0} {
		if ok {
			set++
		}
	}
	if set > 1 {
		return errors.New("expect.event sets more than one of data, dataJSON, dataBase64, dataSize")
	}
	for name, v := range x.Attributes {
		if _, _, err := attrValue(v); err != nil {
			return fmt.Errorf("expect.event attribute %s: %w", name, err)
		}
	}
	for name, v := range x.Optional {
		if _, _, err := attrValue(v); err != nil {
			return fmt.Errorf("expect.event optional attribute %s: %w", name, err)
		}
	}
	if x.DataBase64 != nil {
		if _, err := base64.StdEncoding.DecodeString(*x.DataBase64); err != nil {
			return fmt.Errorf("expect.event dataBase64: %w", err)
		}
	}
	return nil
}

// jsonKind is the JSON type an attribute value was written with.
type jsonKind uint8

const (
	kindUnknown jsonKind = iota // a binary-mode header: every value is text
	kindString
	kindNumber
	kindBool
)

func (k jsonKind) String() string {
	switch k {
	case kindString:
		return "JSON string"
	case kindNumber:
		return "JSON number"
	case kindBool:
		return "JSON boolean"
	}
	return "header text"
}

// attrValue returns the canonical string form of a JSON attribute value
// and its JSON kind (CORE-TYPE-3: every type has a canonical string).
func attrValue(v json.RawMessage) (string, jsonKind, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", kindUnknown, errors.New("empty value")
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", kindUnknown, err
		}
		return s, kindString, nil
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return "", kindUnknown, err
		}
		return strconv.FormatBool(b), kindBool, nil
	default:
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return "", kindUnknown, fmt.Errorf("want a JSON string, number or boolean: %w", err)
		}
		return n.String(), kindNumber, nil
	}
}

// statusRule is a parsed Expect.Status.
type statusRule []string

func parseStatus(s string) (statusRule, error) {
	if s == "" {
		return nil, errors.New("expect.status is empty")
	}
	var r statusRule
	for alt := range strings.SplitSeq(s, "|") {
		ok := len(alt) == 3 && alt[0] >= '1' && alt[0] <= '5'
		if ok && alt[1:] != "xx" {
			_, err := strconv.Atoi(alt)
			ok = err == nil
		}
		if !ok {
			return nil, fmt.Errorf("expect.status %q: %q is neither a status code nor a class like 2xx", s, alt)
		}
		r = append(r, alt)
	}
	return r, nil
}

func (r statusRule) match(code int) bool {
	c := strconv.Itoa(code)
	for _, alt := range r {
		if alt == c || (alt[1:] == "xx" && alt[0] == c[0]) {
			return true
		}
	}
	return false
}
