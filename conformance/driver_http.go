package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/openevents/openevents/event/binding"
)

// replyLimit bounds the response body the driver reads.
const replyLimit = 4 << 20

// errNotApplicable marks a check that does not apply to what the provider
// answered (a binary-mode wire check on a structured reply): the case is
// reported as not tested rather than passed or failed.
var errNotApplicable = errors.New("not applicable")

// driver speaks one binding to one provider. Each binding the suite
// tests has one; a case names its binding and the suite hands it to that
// binding's driver.
type driver interface {
	// reachable checks, with one connection, that the provider is there
	// at all, so that its absence is one clear error rather than a
	// failure of every requirement.
	reachable(ctx context.Context, timeout time.Duration) error
	// replies sends one plain valid event and returns "" when the
	// provider answers it with an event, or, when it does not, a line
	// saying so and how to enable the echo cases; and the attributes
	// the provider added to the event it echoed.
	replies(ctx context.Context) (string, []string)
	// check runs one case: nil when the provider conforms, an
	// errNotApplicable error when its answer leaves the case unjudgeable,
	// otherwise the violation.
	check(ctx context.Context, c *Case) error
}

// httpDriver speaks the HTTP binding to one target URL. It sends requests
// exactly as a case writes them, so it can send what no encoder would.
type httpDriver struct {
	target string
	header http.Header
	client *http.Client
	// added are the attributes the provider puts on every event it
	// echoes (learnt by replies before the cases run): the echo cases
	// disregard them where the request had none, unless a case is about
	// their absence.
	added []string
}

func newHTTPDriver(t *HTTPTarget) *httpDriver {
	client := t.Client
	if client == nil {
		tr := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			MaxIdleConnsPerHost:   64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
			TLSClientConfig:       t.TLS,
		}
		client = &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &httpDriver{target: t.URL, header: t.Header, client: client}
}

func (d *httpDriver) reachable(ctx context.Context, timeout time.Duration) error {
	u, err := url.Parse(d.target) // validated already
	if err != nil {
		return err
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("conformance: cannot reach the provider at %s: %w", d.target, err)
	}
	return conn.Close()
}

// probe is the event replies sends: the required attributes alone,
// valid under every profile, so that anything else in the reply is the
// provider's own.
var probe = Request{Headers: [][2]string{
	{"ce-specversion", "1.0"}, {"ce-id", "probe-reply-1"}, {"ce-source", "/conformance"},
	{"ce-type", "org.example.probe"},
}}

func (d *httpDriver) replies(ctx context.Context) (string, []string) {
	resp, err := d.do(ctx, &probe)
	if err != nil {
		return "", nil // the echo cases will meet the same trouble and say so
	}
	if resp.status/100 != 2 {
		return "", nil // a provider that refuses a valid event fails on its own
	}
	got, err := readReply(resp)
	if err != nil {
		return fmt.Sprintf("the provider answered a plain valid event with status %d and no event, so it does not reply to events; the echo cases need a provider that answers each event with itself (as `ce listen --http ADDR --reply` does). Make it echo to run them, or leave them out with --label-filter '!echo'", resp.status), nil
	}
	sent := map[string]bool{}
	for _, h := range probe.Headers {
		sent[strings.TrimPrefix(strings.ToLower(h[0]), "ce-")] = true
	}
	var added []string
	for name := range sortedMap(got.attrs) {
		if !sent[name] {
			added = append(added, name)
		}
	}
	d.added = added
	return "", added
}

func (d *httpDriver) check(ctx context.Context, c *Case) error {
	resp, err := d.do(ctx, &c.Request)
	if err != nil {
		return err
	}
	return judge(c, resp, d.added)
}

// response is what the driver saw.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends the case's request and reads the whole answer.
func (d *httpDriver) do(ctx context.Context, r *Request) (*response, error) {
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	target, noAuth, err := d.placeToken(r) // webhook.go
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for name, vs := range d.header {
		if noAuth && http.CanonicalHeaderKey(name) == "Authorization" {
			continue
		}
		req.Header[name] = append(req.Header[name], vs...)
	}
	for _, h := range r.Headers {
		// Assigning the map keeps the name as written; Header.Add would
		// canonicalise it and hide HTTP-HEADER-NAME-2 cases.
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("no answer from %s: %w", d.target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, replyLimit))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// judge applies the case's verdict rule to resp; nil means the provider
// conforms. An errNotApplicable error means the case could not be judged.
func judge(c *Case, resp *response, added []string) error {
	rule, err := parseStatus(c.Expect.Status)
	if err != nil {
		return err
	}
	if why := unjudged(c, resp); why != "" {
		return fmt.Errorf("%w: %s", errNotApplicable, why)
	}
	if !rule.match(resp.status) {
		if c.Mode == ModeBatch && resp.status == http.StatusUnsupportedMediaType && rule.match(http.StatusOK) {
			// Batched mode is optional: a sender uses it only when the
			// receiver asked for it (HTTP-BATCH-1). 415 says the
			// receiver has not.
			return fmt.Errorf("%w: the provider does not take batches (415); batched mode is optional, so its rules are not tested", errNotApplicable)
		}
		return fmt.Errorf("status %d, want %s%s", resp.status, c.Expect.Status, bodyHint(resp))
	}
	errs := judgeHeaders(c, resp, "response")
	if c.Role == RoleEcho {
		// A reply the case cannot judge must not hide a failure found
		// already: errors.Is would find errNotApplicable in the join.
		if err := judgeEvent(c, resp, "reply", added); !errors.Is(err, errNotApplicable) || len(errs) == 0 {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// judgeHeaders checks the header rules of a case (Expect.Headers and
// HeaderContains) on a message; what names it in errors.
func judgeHeaders(c *Case, resp *response, what string) []error {
	var errs []error
	for name, want := range sortedMap(c.Expect.Headers) {
		if got := resp.header.Values(name); len(got) != 1 || !slices.Contains(want, got[0]) {
			errs = append(errs, fmt.Errorf("%s header %s is %q, want one of %q", what, name, got, want))
		}
	}
	for name, want := range sortedMap(c.Expect.HeaderContains) {
		got := strings.Join(resp.header.Values(name), ", ")
		if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
			errs = append(errs, fmt.Errorf("%s header %s is %q, want it to contain %q", what, name, got, want))
		}
	}
	return append(errs, judgeHeaderRules(c, resp, what)...)
}

// bodyHint quotes the start of a refusal's body, which often names the
// rule the provider applied.
func bodyHint(resp *response) string {
	if len(resp.body) == 0 {
		return ""
	}
	b := resp.body
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf(" (body: %q)", strings.TrimSpace(string(b)))
}

// judgeEvent checks an event message the provider produced (what: "reply"
// for an echo, "message" for a sender) against the case's expectations:
// its wire form first, then its content; unexpected attributes named in
// added are disregarded (see compareEvent).
func judgeEvent(c *Case, resp *response, what string, added []string) error {
	if c.Expect.ReplyEncoded && len(resp.header.Values("Ce-Specversion")) > 0 {
		// Before decoding, which would fail on the first raw character
		// with a less precise message.
		if err := checkEncoded(resp.header, what); err != nil {
			return err
		}
	}
	if (c.Expect.ReplyHeaders != nil || c.Expect.ReplyPresumeEncoded) && !c.Expect.ReplyEncoded && len(resp.header.Values("Ce-Specversion")) > 0 {
		// A case about how values are encoded (hex case, the bytes of a
		// character, no second round) presumes that they are: a provider
		// that does not encode at all breaks the rules that say so, and
		// is failed by their cases, not this one. Checked before
		// decoding, which fails on a raw byte that is not UTF-8.
		if name, v, ok := unencoded(resp.header); ok {
			return fmt.Errorf("%w: %s header %s %q is not percent-encoded at all; this case checks how values are encoded, and the cases of HTTP-HEADER-VALUE-9, -10 and -11 judge whether they are", errNotApplicable, what, name, v)
		}
	}
	got, err := readReply(resp)
	if err != nil {
		return err
	}
	if m := c.Expect.ReplyMode; m != "" && (m == ModeBinary) != got.binary {
		return fmt.Errorf("%w: the %s came in %s mode; this check needs a %s-mode %s, since a same-mode echo cannot tell decoding from its absence", errNotApplicable, what, got.mode(), m, what)
	}
	if c.Expect.ReplyHeaders != nil || c.Expect.ReplyEncoded || c.Expect.ReplyAbsent != nil || c.Expect.ReplyPresumeEncoded {
		if !got.binary {
			return fmt.Errorf("%w: the %s came in structured mode; this case checks binary-mode headers", errNotApplicable, what)
		}
		for _, name := range c.Expect.ReplyAbsent {
			if v := resp.header.Values(name); len(v) > 0 {
				return fmt.Errorf("the binary-mode %s carries %s: %q, which it must not", what, name, v)
			}
		}
		for name, want := range sortedMap(c.Expect.ReplyHeaders) {
			if v := resp.header.Values(name); len(v) != 1 || v[0] != want {
				return fmt.Errorf("%s header %s is %q, want %q", what, name, v, want)
			}
		}
	}
	return compareEvent(c.Expect.Event, got, what, added)
}

// observed is a reply event as the driver decoded it, without validating:
// the point is to see what the provider made of the request.
type observed struct {
	binary bool
	attrs  map[string]string
	kinds  map[string]jsonKind
	data   []byte // nil: no data
}

func (o *observed) mode() Mode {
	if o.binary {
		return ModeBinary
	}
	return ModeStructured
}

// readReply decodes the event an echo provider answered with: a
// structured application/cloudevents+json body or a binary-mode message.
func readReply(resp *response) (*observed, error) {
	ct := resp.header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case strings.EqualFold(mt, "application/cloudevents+json"):
		return readStructuredReply(resp.body)
	case strings.HasPrefix(strings.ToLower(mt), "application/cloudevents"):
		return nil, fmt.Errorf("the reply has Content-Type %q; one JSON event was expected", ct)
	}
	o := &observed{binary: true, attrs: map[string]string{}, kinds: map[string]jsonKind{}}
	for name, vs := range resp.header {
		lower := strings.ToLower(name)
		attr, ok := strings.CutPrefix(lower, "ce-")
		if !ok {
			continue
		}
		if len(vs) != 1 {
			return nil, fmt.Errorf("reply header %s appears %d times", name, len(vs))
		}
		v, err := binding.DecodeHeaderValue(vs[0])
		if err != nil {
			return nil, fmt.Errorf("reply header %s: %q cannot be decoded: %w", name, vs[0], err)
		}
		o.attrs[attr] = v
		o.kinds[attr] = kindUnknown
	}
	if len(o.attrs) == 0 {
		return nil, fmt.Errorf("no reply event: status %d, Content-Type %q, no ce- headers", resp.status, ct)
	}
	if ct != "" {
		o.attrs["datacontenttype"] = ct
		o.kinds["datacontenttype"] = kindUnknown
	}
	if len(resp.body) > 0 {
		o.data = resp.body
	}
	return o, nil
}

func readStructuredReply(body []byte) (*observed, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, fmt.Errorf("the structured reply is not a JSON object: %w", err)
	}
	o := &observed{attrs: map[string]string{}, kinds: map[string]jsonKind{}}
	for name, v := range members {
		if name == "data" || name == "data_base64" || string(v) == "null" {
			continue
		}
		s, k, err := attrValue(v)
		if err != nil {
			return nil, fmt.Errorf("reply attribute %s: %w", name, err)
		}
		o.attrs[name] = s
		o.kinds[name] = k
	}
	if b64, ok := members["data_base64"]; ok {
		var s string
		if err := json.Unmarshal(b64, &s); err != nil {
			return nil, fmt.Errorf("reply data_base64: %w", err)
		}
		d, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("reply data_base64: %w", err)
		}
		o.data = d
	}
	if raw, ok := members["data"]; ok {
		o.data = raw
		ct, hasCT := o.attrs["datacontenttype"]
		if hasCT && !isJSONType(ct) && len(raw) > 0 && raw[0] == '"' {
			// JSON-DATA-8: a non-JSON payload travels as a JSON string.
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("reply data: %w", err)
			}
			o.data = []byte(s)
		}
	}
	return o, nil
}

// isJSONType reports whether a media type is JSON: application/json or a
// +json suffix, compared without regard to case.
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// compareEvent reports every difference between the expected event and
// the one the provider produced. An unexpected attribute named in added
// (one the provider puts on every event, a time or a default
// datacontenttype) is not a difference, unless the case wants it absent:
// it is reported once, as a note of the run, and must not fail every case
// under rules it has nothing to do with.
func compareEvent(want *ExpectedEvent, got *observed, what string, added []string) error {
	var diffs []string
	for name, raw := range sortedMap(want.Attributes) {
		diffs = appendAttrDiff(diffs, name, raw, got, false)
	}
	for name, raw := range sortedMap(want.Optional) {
		diffs = appendAttrDiff(diffs, name, raw, got, true)
	}
	for name, v := range sortedMap(got.attrs) {
		_, a := want.Attributes[name]
		_, b := want.Optional[name]
		switch {
		case a || b || want.Partial:
		case slices.Contains(want.Absent, name):
			diffs = append(diffs, fmt.Sprintf("attribute %s=%q is present, want none", name, v))
		case slices.Contains(added, name):
		default:
			diffs = append(diffs, fmt.Sprintf("unexpected attribute %s=%q", name, v))
		}
	}
	if d := compareData(want, got.data); d != "" {
		diffs = append(diffs, d)
	}
	if len(diffs) == 0 {
		return nil
	}
	return fmt.Errorf("the %s event (%s mode) differs: %s", what, got.mode(), strings.Join(diffs, "; "))
}

func appendAttrDiff(diffs []string, name string, raw json.RawMessage, got *observed, optional bool) []string {
	wantS, wantK, _ := attrValue(raw) // validated when the case was loaded
	gotS, ok := got.attrs[name]
	switch {
	case !ok && optional:
	case !ok:
		diffs = append(diffs, fmt.Sprintf("attribute %s is missing, want %q", name, wantS))
	case name == "datacontenttype" && optional:
		// A datacontenttype the provider made explicit (the event had
		// none): the media type it names is what counts, and a charset of
		// UTF-8 on JSON, which JSON text always is (RFC 8259 section 8.1),
		// changes nothing.
		if !sameMediaTypeMade(gotS, wantS) {
			diffs = append(diffs, fmt.Sprintf("attribute %s is %q, want %q", name, gotS, wantS))
		}
	case name == "datacontenttype":
		// A media type: its type, subtype and parameter names compare
		// without regard to case (RFC 2045 section 5.1, which 1.0.2
		// relies on; CORE-ATTR-DATACONTENTTYPE-6 on main), in either
		// reply mode, so a provider that writes them in another case is
		// not failed for it.
		if !sameMediaType(gotS, wantS) {
			diffs = append(diffs, fmt.Sprintf("attribute %s is %q, want %q", name, gotS, wantS))
		}
	case name == "time" && sameInstant(gotS, wantS):
		// A Timestamp may be held as a native value and written again
		// (CORE-TYPE-8): any RFC 3339 form of the same instant is the
		// same attribute, and a lost fraction is a different instant.
	case gotS != wantS:
		diffs = append(diffs, fmt.Sprintf("attribute %s is %q, want %q", name, gotS, wantS))
	case got.kinds[name] != kindUnknown && got.kinds[name] != wantK:
		diffs = append(diffs, fmt.Sprintf("attribute %s is a %s, want a %s", name, got.kinds[name], wantK))
	}
	return diffs
}

// sameInstant reports whether a and b are RFC 3339 timestamps of the same
// instant. RFC 3339 (section 5.6) allows a lower-case t and z, which Go's
// parser does not take, so they are upper-cased first.
func sameInstant(a, b string) bool {
	ta, errA := time.Parse(time.RFC3339Nano, strings.ToUpper(a))
	tb, errB := time.Parse(time.RFC3339Nano, strings.ToUpper(b))
	return errA == nil && errB == nil && ta.Equal(tb)
}

func sameMediaType(a, b string) bool {
	ma, pa, errA := mime.ParseMediaType(a)
	mb, pb, errB := mime.ParseMediaType(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return ma == mb && reflect.DeepEqual(pa, pb)
}

// sameMediaTypeMade reports whether got, a media type a provider made
// explicit, names the type of want: the same type and subtype, and no
// parameter but those of want and a charset of UTF-8.
func sameMediaTypeMade(got, want string) bool {
	mg, pg, errG := mime.ParseMediaType(got)
	mw, pw, errW := mime.ParseMediaType(want)
	if errG != nil || errW != nil || mg != mw {
		return false
	}
	for k, v := range pg {
		if w, ok := pw[k]; ok && w == v || k == "charset" && strings.EqualFold(v, "utf-8") {
			continue
		}
		return false
	}
	for k, w := range pw {
		if pg[k] != w {
			return false
		}
	}
	return true
}

func compareData(want *ExpectedEvent, got []byte) string {
	switch {
	case want.DataSize > 0:
		if len(got) != want.DataSize || strings.Trim(string(got), "x") != "" {
			return fmt.Sprintf("data is %s, want %d bytes of 'x'", quoteData(got), want.DataSize)
		}
	case want.Data != nil:
		if !bytes.Equal(got, []byte(*want.Data)) {
			return fmt.Sprintf("data is %s, want %q", quoteData(got), *want.Data)
		}
	case want.DataBase64 != nil:
		w, _ := base64.StdEncoding.DecodeString(*want.DataBase64) // validated on load
		if !bytes.Equal(got, w) {
			return fmt.Sprintf("data is %s, want the bytes %q", quoteData(got), w)
		}
	case len(want.DataJSON) > 0:
		var a, b any
		if got == nil {
			return "data is missing, want the JSON value " + string(want.DataJSON)
		}
		if err := json.Unmarshal(got, &a); err != nil {
			return fmt.Sprintf("data %s is not JSON, want the JSON value %s", quoteData(got), want.DataJSON)
		}
		_ = json.Unmarshal(want.DataJSON, &b) // validated on load
		if !reflect.DeepEqual(a, b) {
			return fmt.Sprintf("data is the JSON value %s, want %s", got, want.DataJSON)
		}
	default:
		if got != nil {
			return fmt.Sprintf("data is %s, want no data", quoteData(got))
		}
	}
	return ""
}

func quoteData(b []byte) string {
	if b == nil {
		return "missing"
	}
	if len(b) > 120 {
		return fmt.Sprintf("%q… (%d bytes)", b[:120], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// sortedMap yields a map's entries in key order, so messages are stable.
func sortedMap[V any](m map[string]V) func(func(string, V) bool) {
	return func(yield func(string, V) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// checkEncoded reports a ce- header value that a producer did not
// percent-encode: a character outside U+0021-U+007E (HTTP-HEADER-VALUE-11,
// which covers space, HTTP-HEADER-VALUE-9), a raw '"' (HTTP-HEADER-VALUE-9)
// or a '%' that starts no escape (HTTP-HEADER-VALUE-10).
func checkEncoded(h http.Header, what string) error {
	for name, vs := range sortedMap(h) {
		if !strings.HasPrefix(strings.ToLower(name), "ce-") {
			continue
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				b := v[i]
				switch {
				case b < 0x21 || b > 0x7e:
					return fmt.Errorf("%s header %s: %q has the byte 0x%02X at %d, which must be percent-encoded", what, name, v, b, i)
				case b == '"':
					return fmt.Errorf("%s header %s: %q has a raw '\"' at %d, which must be percent-encoded", what, name, v, i)
				case b == '%' && (i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2])):
					return fmt.Errorf("%s header %s: %q has a raw '%%' at %d, which must be percent-encoded", what, name, v, i)
				}
			}
		}
	}
	return nil
}

// unencoded returns a ce- header whose value was plainly not
// percent-encoded by its producer: after one pair of surrounding double
// quotes is set aside, it holds a byte outside U+0021-U+007E or a raw
// '"'. A '%' without two hex digits does not count: that is a malformed
// encoding, which the case itself judges.
func unencoded(h http.Header) (string, string, bool) {
	for name, vs := range sortedMap(h) {
		if !strings.HasPrefix(strings.ToLower(name), "ce-") {
			continue
		}
		for _, v := range vs {
			inner := v
			if len(inner) >= 2 && inner[0] == '"' && inner[len(inner)-1] == '"' {
				inner = inner[1 : len(inner)-1]
			}
			for i := 0; i < len(inner); i++ {
				if b := inner[i]; b < 0x21 || b > 0x7e || b == '"' {
					return name, v, true
				}
			}
		}
	}
	return "", "", false
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}
