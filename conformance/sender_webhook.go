package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// EnvSenderToken is the sender contract's access token: a sender that
// delivers web-hook style sends it with every delivery, in the
// Authorization header as a Bearer token or in the access_token query
// parameter (WEBHOOK-AUTH-1). A Send function reads it with SenderToken.
const EnvSenderToken = "CE_CONFORMANCE_TOKEN"

// senderQuery is the query of the URL the suite gives a sender: a
// parameter of its own, so that a token added to the query must be joined
// to it with '&' (WEBHOOK-AUTH-8).
const senderQuery = "conformance=sender"

// The web-hook checks a sender case can name in Rule.Webhook; each applies
// only when the sender did what the rule is about (ran the handshake, sent
// the token) and is NOT-TESTED otherwise.
const (
	webhookHandshakeTarget = "handshake-target" // WEBHOOK-VALIDATION-1
	webhookHandshakeOrigin = "handshake-origin" // WEBHOOK-VALIDATION-2
	webhookOrigin          = "origin"           // WEBHOOK-VALIDATION-3, WEBHOOK-DELIVERY-5
	webhookToken           = "token"            // WEBHOOK-AUTH-1
	webhookTokenBearer     = "token-bearer"     // WEBHOOK-AUTH-5
	webhookTokenQuery      = "token-query"      // WEBHOOK-AUTH-6
	webhookTokenJoined     = "token-joined"     // WEBHOOK-AUTH-8
	webhookTokenNoStore    = "token-no-store"   // WEBHOOK-AUTH-9
	webhookRetryAfter      = "retry-after"      // WEBHOOK-RESPONSE-12, with an Answer of 429 and Retry-After
	webhookNoRedirect      = "no-redirect"      // WEBHOOK-RESPONSE-3, with an Answer of 3xx and Location
)

var webhookChecks = []string{webhookHandshakeTarget, webhookHandshakeOrigin, webhookOrigin, webhookToken, webhookTokenBearer, webhookTokenQuery, webhookTokenJoined, webhookTokenNoStore, webhookRetryAfter, webhookNoRedirect}

// senderLog is what one sender run showed beyond its deliveries: the
// handshakes it ran, and the target and token it was given.
type senderLog struct {
	target     string // the request URI the sender was given: path and query
	token      string
	handshakes []sent // OPTIONS requests, granted
	all        []sent // every other request, in order of arrival
}

// Answer is what the suite's receiver answers a sender's first message
// carrying a case's event, instead of 204: a 429 with Retry-After, a 307
// with Location. A sender may give up on an event so answered, so such a
// case runs in a sender run of its own, whose failure is not an error.
type Answer struct {
	// Status is the answer's status, 300 to 599.
	Status int `json:"status"`
	// Headers are name/value pairs of the answer.
	Headers [][2]string `json:"headers"`
}

// header returns the value of the answer's header name.
func (a *Answer) header(name string) string {
	for _, h := range a.Headers {
		if strings.EqualFold(h[0], name) {
			return h[1]
		}
	}
	return ""
}

// answerFirst returns the Answer of the case whose event m carries, the
// first time that event arrives; nil otherwise.
func answerFirst(cases []*Case, m *sent, done map[string]bool) *Answer {
	id := messageID(m)
	for _, c := range cases {
		if c.Answer != nil && sendID(c) == id && !done[id] {
			done[id] = true
			return c.Answer
		}
	}
	return nil
}

// write sends the answer and records it on m.
func (a *Answer) write(w http.ResponseWriter, m *sent) {
	for _, h := range a.Headers {
		w.Header().Add(h[0], h[1])
	}
	m.answer, m.answeredAt = a, time.Now()
	w.WriteHeader(a.Status)
}

// runAnsweredSenderCase runs a sender case with an Answer in a sender run
// of its own: the sender may fail on the event so answered, and what it
// sent before and after is judged all the same.
func runAnsweredSenderCase(ctx context.Context, cfg Config, c *Case) outcome {
	start := time.Now()
	msgs, err := senderRun(ctx, cfg.Sender, c.Mode, []*Case{c}, cfg.RequestTimeout)
	o := outcome{seconds: time.Since(start).Seconds()}
	if msgs == nil {
		o.err = fmt.Errorf("conformance: %w", err)
		return o
	}
	o.err = judgeSent(c, msgs[0])
	return o
}

// validateAnswer checks a case's Answer against its check.
func (c *Case) validateAnswer() []error {
	a := c.Answer
	if a == nil {
		if c.Expect.Webhook == webhookRetryAfter || c.Expect.Webhook == webhookNoRedirect {
			return []error{fmt.Errorf("expect.webhook %s needs an answer", c.Expect.Webhook)}
		}
		return nil
	}
	var errs []error
	if c.Role != RoleSender || c.Binding != BindingHTTP {
		errs = append(errs, errors.New("only an HTTP sender case has an answer"))
	}
	if a.Status < 300 || a.Status > 599 {
		errs = append(errs, fmt.Errorf("answer.status %d: want 300 to 599", a.Status))
	}
	switch c.Expect.Webhook {
	case webhookRetryAfter:
		if _, err := strconv.Atoi(a.header("Retry-After")); err != nil {
			errs = append(errs, errors.New("the retry-after check needs an answer with Retry-After in seconds"))
		}
	case webhookNoRedirect:
		if a.Status/100 != 3 || !strings.HasPrefix(a.header("Location"), "/") {
			errs = append(errs, errors.New("the no-redirect check needs a 3xx answer with a Location path on the suite's receiver"))
		}
	}
	return errs
}

type senderTokenKey struct{}

// SenderToken returns the access token of a sender run, for a
// SenderTarget.Send function: the one the suite gives a sender command as
// EnvSenderToken. It is "" outside a sender run.
func SenderToken(ctx context.Context) string {
	s, _ := ctx.Value(senderTokenKey{}).(string)
	return s
}

// newSenderToken returns a fresh token for one sender run.
func newSenderToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return "ce-conformance-" + hex.EncodeToString(b)
}

// grantHandshake answers a sender's OPTIONS request as a target that
// allows delivery from any origin at any rate, and returns it as seen.
func grantHandshake(w http.ResponseWriter, r *http.Request) sent {
	h := w.Header()
	h.Set("Allow", "OPTIONS, POST")
	if origin := r.Header.Get("WebHook-Request-Origin"); origin != "" {
		h.Set("WebHook-Allowed-Origin", origin)
		h.Set("WebHook-Allowed-Rate", "*")
	}
	w.WriteHeader(http.StatusOK)
	return sent{method: r.Method, uri: r.RequestURI, header: r.Header.Clone()}
}

// dnsName matches a DNS name, with an optional leading "*." (WebHook-
// Request-Origin is "a DNS expression").
var dnsName = regexp.MustCompile(`^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$`)

// judgeWebhook applies the case's named web-hook check to a delivery.
func judgeWebhook(c *Case, m *sent) error {
	check := c.Expect.Webhook
	if check == "" || m.log == nil {
		return nil
	}
	log := m.log
	switch check {
	case webhookHandshakeTarget, webhookHandshakeOrigin, webhookOrigin:
		if len(log.handshakes) == 0 {
			return fmt.Errorf("%w: the sender ran no abuse-protection handshake (no OPTIONS request reached the target); the handshake rules bind a sender that runs it", errNotApplicable)
		}
	}
	switch check {
	case webhookHandshakeTarget:
		for _, h := range log.handshakes {
			if !sameTarget(h.uri, log.target) {
				return fmt.Errorf("the handshake's OPTIONS request went to %q, not to the target URI %q being registered", h.uri, log.target)
			}
		}
	case webhookHandshakeOrigin:
		for _, h := range log.handshakes {
			if o := h.header.Values("WebHook-Request-Origin"); len(o) != 1 || !dnsName.MatchString(o[0]) {
				return fmt.Errorf("the handshake's WebHook-Request-Origin is %q, want one DNS name naming the sending system", o)
			}
		}
	case webhookOrigin:
		want := log.handshakes[0].header.Get("WebHook-Request-Origin")
		if want == "" {
			return fmt.Errorf("%w: the sender's handshake named no origin, so no permission was granted", errNotApplicable)
		}
		if got := m.header.Values("WebHook-Request-Origin"); len(got) != 1 || got[0] != want {
			return fmt.Errorf("a delivery after the handshake that granted %q carries WebHook-Request-Origin %q, want %q", want, got, want)
		}
	case webhookToken, webhookTokenBearer, webhookTokenQuery, webhookTokenJoined, webhookTokenNoStore:
		return judgeToken(check, log, m)
	case webhookRetryAfter:
		return judgeRetryAfter(log, m)
	case webhookNoRedirect:
		loc := m.answer.header("Location")
		path, _, _ := strings.Cut(loc, "?")
		for _, x := range log.all {
			if p, _, _ := strings.Cut(x.uri, "?"); p == path {
				return fmt.Errorf("the sender followed the %d answer's redirect: it sent %s %s", m.answer.Status, x.method, x.uri)
			}
		}
	}
	return nil
}

// judgeRetryAfter checks that nothing reached the target before the
// Retry-After of the answer m got had passed.
func judgeRetryAfter(log *senderLog, m *sent) error {
	if m.answer == nil {
		return fmt.Errorf("%w: the event's first message was not the one answered", errNotApplicable)
	}
	secs, _ := strconv.Atoi(m.answer.header("Retry-After")) // validated on load
	wait := time.Duration(secs) * time.Second
	for _, x := range log.all {
		if x.at.After(m.answeredAt) {
			if gap := x.at.Sub(m.answeredAt); gap < wait {
				return fmt.Errorf("after a %d answer with Retry-After: %d the sender sent %s %s %s later", m.answer.Status, secs, x.method, x.uri, gap.Round(time.Millisecond))
			}
			return nil
		}
	}
	return fmt.Errorf("%w: the sender sent nothing after the %d answer (it need not retry), so whether it waits cannot be seen", errNotApplicable, m.answer.Status)
}

// judgeToken applies one of the authorization checks to a delivery.
func judgeToken(check string, log *senderLog, m *sent) error {
	inHeader := ""
	for _, v := range m.header.Values("Authorization") {
		if strings.Contains(v, log.token) {
			inHeader = v
		}
	}
	_, rawQuery, _ := strings.Cut(m.uri, "?")
	inQuery := strings.Contains(rawQuery, log.token) || strings.Contains(rawQuery, url.QueryEscape(log.token))
	elsewhere := ""
	for name, vs := range m.header {
		for _, v := range vs {
			if name != "Authorization" && strings.Contains(v, log.token) {
				elsewhere = "the header " + name
			}
		}
	}
	if inHeader == "" && !inQuery && elsewhere == "" {
		return fmt.Errorf("%w: the delivery carries no access token (the run's %s); the authorization rules bind a sender that sends one", errNotApplicable, EnvSenderToken)
	}
	switch check {
	case webhookToken:
		if inHeader == "" && !inQuery {
			return fmt.Errorf("the delivery carries its access token in %s, which is neither the Authorization header nor the access_token query parameter", elsewhere)
		}
	case webhookTokenBearer:
		if inHeader == "" {
			return fmt.Errorf("%w: the token is not in the Authorization header", errNotApplicable)
		}
		scheme, rest, _ := strings.Cut(inHeader, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) != log.token {
			return fmt.Errorf("the Authorization header is %q, want \"Bearer %s\"", inHeader, log.token)
		}
	case webhookTokenNoStore:
		if !inQuery {
			return fmt.Errorf("%w: the token is not in the request URI", errNotApplicable)
		}
		if cc := strings.ToLower(strings.Join(m.header.Values("Cache-Control"), ", ")); !strings.Contains(cc, "no-store") {
			return fmt.Errorf("the delivery carries its token in the query and Cache-Control %q, without no-store", cc)
		}
	case webhookTokenQuery, webhookTokenJoined:
		if !inQuery {
			return fmt.Errorf("%w: the token is not in the request URI", errNotApplicable)
		}
		parts := strings.Split(rawQuery, "&")
		if check == webhookTokenJoined {
			for _, p := range []string{senderQuery, "access_token=" + url.QueryEscape(log.token)} {
				if !containsPart(parts, p) {
					return fmt.Errorf("the request URI's query %q is not %q and the access_token parameter separated by '&'", rawQuery, senderQuery)
				}
			}
			return nil
		}
		q, err := url.ParseQuery(rawQuery)
		if err != nil || q.Get("access_token") != log.token {
			return fmt.Errorf("the request URI's query %q carries the token, but not as the access_token parameter", rawQuery)
		}
	}
	return nil
}

// containsPart reports whether one '&'-separated part of a query is p,
// the token's percent-encoding aside.
func containsPart(parts []string, p string) bool {
	for _, x := range parts {
		if x == p {
			return true
		}
		if u, err := url.QueryUnescape(x); err == nil {
			if v, err := url.QueryUnescape(p); err == nil && u == v {
				return true
			}
		}
	}
	return false
}

// sameTarget reports whether a request URI is the registered target: the
// same path and the same query, an access_token parameter aside.
func sameTarget(uri, target string) bool {
	strip := func(s string) (string, url.Values) {
		path, rawQuery, _ := strings.Cut(s, "?")
		q, _ := url.ParseQuery(rawQuery)
		q.Del("access_token")
		return path, q
	}
	p1, q1 := strip(uri)
	p2, q2 := strip(target)
	return p1 == p2 && q1.Encode() == q2.Encode()
}

// messageIDs are the ids of the events a message carries: one, or each
// of a batch (which a sender must not send unasked, HTTP-BATCH-1).
func messageIDs(m *sent) []string {
	if sentMode(m) != ModeBatch {
		return []string{messageID(m)}
	}
	var events []struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(m.body, &events) != nil {
		return nil
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}
