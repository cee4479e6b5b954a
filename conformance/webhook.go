package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/openevents/openevents/event/binding"
)

// The web-hook cases (testdata/webhook-*.json) need a little more than an
// ordinary request and status: the abuse-protection handshake is judged
// only when the target granted something, and the authorization rules
// move the run's bearer token into the query or leave it out.
// These controls live here so that case.go and driver_http.go only call
// in.
//
// Request controls:
//
//   - Query is added to the target URL's query, after what it has,
//     joined with '&'.
//   - Token "query" sends the run's bearer token (HTTPTarget.Header's
//     "Authorization: Bearer T") as the access_token query parameter
//     instead of the header (WEBHOOK-AUTH-2); with no Authorization
//     configured, a placeholder token goes there, which a target that
//     needs none must take as it takes any request. A configured
//     Authorization header of another scheme leaves the case NOT-TESTED.
//     Token "none" sends no Authorization header at all.
//
// Rule conditions (a response they do not select is not judged: the case
// is NOT-TESTED, never PASS):
//
//   - IfStatus: the status matches ("2xx").
//   - IfHeaders: the response carries at least one of these headers (a
//     handshake answer that grants nothing cannot show how a grant is
//     written).
//   - IfBody "empty": the response has no body.
//
// Rule checks besides Status, Headers and HeaderContains:
//
//   - HeaderMatches: the header is present once and its whole value
//     matches the regular expression.
//   - HeaderRefuse: no value of the header matches the regular
//     expression (an absent header passes).
//
// A ce- header's value is percent-decoded before it is matched, so that a
// producer is not failed for encoding a character it may encode; a value
// that does not decode is matched as it is (the encoding rules have cases
// of their own).
//
// Sender cases can also check a message as a web-hook delivery: Method
// (WEBHOOK-DELIVERY-2) and Payload, a body that is not empty and, for a
// JSON media type, is JSON (WEBHOOK-DELIVERY-4).

// placeholderToken is the access token a Token "query" case sends when
// the run was given none.
const placeholderToken = "conformance-placeholder-token"

// validateWebhook checks the web-hook controls of a case.
func (c *Case) validateWebhook() []error {
	var errs []error
	r, x := &c.Request, &c.Expect
	switch r.Token {
	case "", "query", "none":
	default:
		errs = append(errs, fmt.Errorf("request.token %q: want query or none", r.Token))
	}
	if (r.Token != "" || r.Query != "") && c.Binding != BindingHTTP {
		errs = append(errs, errors.New("request.token and query are for HTTP cases"))
	}
	if strings.ContainsAny(r.Query, "?#") || strings.Contains(r.Query, "access_token=") {
		errs = append(errs, fmt.Errorf("request.query %q: no '?' or '#', and the token goes in with token: query", r.Query))
	}
	if (x.Method != "" || x.Payload || x.Webhook != "" || x.NoBatch) && c.Role != RoleSender {
		errs = append(errs, errors.New("expect.method, payload, webhook and noBatch judge a sender's message: sender cases only"))
	}
	errs = append(errs, c.validateAnswer()...) // sender_webhook.go
	if x.Webhook != "" && !slices.Contains(webhookChecks, x.Webhook) {
		errs = append(errs, fmt.Errorf("expect.webhook %q: want one of %s", x.Webhook, strings.Join(webhookChecks, ", ")))
	}
	if x.IfStatus != "" {
		if _, err := parseStatus(x.IfStatus); err != nil {
			errs = append(errs, fmt.Errorf("expect.ifStatus: %w", err))
		}
	}
	if x.IfBody != "" && x.IfBody != "empty" {
		errs = append(errs, fmt.Errorf("expect.ifBody %q: want empty", x.IfBody))
	}
	for _, m := range []map[string]string{x.HeaderMatches, x.HeaderRefuse} {
		for name, re := range m {
			if _, err := regexp.Compile(re); err != nil {
				errs = append(errs, fmt.Errorf("expect header rule for %s: %w", name, err))
			}
		}
	}
	return errs
}

// placeToken returns the URL a request goes to and whether the
// configured Authorization header is left out (the token moved into the
// query, or none wanted). An errNotApplicable error means the case cannot
// run against this configuration.
func (d *httpDriver) placeToken(r *Request) (string, bool, error) {
	if r.Query == "" && r.Token == "" {
		return d.target, false, nil
	}
	u, err := url.Parse(d.target) // validated with the Config
	if err != nil {
		return "", false, err
	}
	q := r.Query
	if r.Token == "query" {
		token := placeholderToken
		if auth := d.header.Values("Authorization"); len(auth) > 0 {
			scheme, t, ok := strings.Cut(auth[0], " ")
			if len(auth) > 1 || !ok || !strings.EqualFold(scheme, "Bearer") {
				return "", false, fmt.Errorf("%w: the run's Authorization header is not one bearer token, so it cannot be moved into the access_token query parameter", errNotApplicable)
			}
			token = strings.TrimSpace(t)
		}
		q = joinQuery(q, "access_token="+url.QueryEscape(token))
	}
	u.RawQuery = joinQuery(u.RawQuery, q)
	return u.String(), r.Token != "", nil
}

// joinQuery joins two query strings with '&' (WEBHOOK-AUTH-8).
func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

// unjudged returns why the rule's conditions leave resp out, or "" when
// the case judges it.
func unjudged(c *Case, resp *response) string {
	x := &c.Expect
	if x.IfStatus != "" {
		if rule, _ := parseStatus(x.IfStatus); !rule.match(resp.status) {
			return fmt.Sprintf("the answer's status is %d, and this check is about a %s answer", resp.status, x.IfStatus)
		}
	}
	if len(x.IfHeaders) > 0 {
		found := false
		for _, h := range x.IfHeaders {
			found = found || len(resp.header.Values(h)) > 0
		}
		if !found {
			return fmt.Sprintf("the answer carries none of %s, so it grants nothing this check could judge", strings.Join(x.IfHeaders, ", "))
		}
	}
	if x.IfBody == "empty" && len(resp.body) > 0 {
		return "the answer has a body, and this check is about one without"
	}
	return ""
}

// judgeHeaderRules applies HeaderMatches and HeaderRefuse to a message;
// what names it in errors.
func judgeHeaderRules(c *Case, resp *response, what string) []error {
	var errs []error
	for name, re := range sortedMap(c.Expect.HeaderMatches) {
		rx := regexp.MustCompile("^(?:" + re + ")$") // compiled once when loaded
		switch got := headerText(resp, name); {
		case len(got) != 1:
			errs = append(errs, fmt.Errorf("%s header %s is %q, want it once, matching %s", what, name, got, re))
		case !rx.MatchString(got[0]):
			errs = append(errs, fmt.Errorf("%s header %s is %q, which does not match %s", what, name, got[0], re))
		}
	}
	for name, re := range sortedMap(c.Expect.HeaderRefuse) {
		rx := regexp.MustCompile(re)
		for _, v := range headerText(resp, name) {
			if rx.MatchString(v) {
				errs = append(errs, fmt.Errorf("%s header %s is %q, which it must not be (%s)", what, name, v, re))
			}
		}
	}
	return errs
}

// headerText returns the values of a header, percent-decoded for a ce-
// header whose value decodes.
func headerText(resp *response, name string) []string {
	vs := resp.header.Values(name)
	if !strings.HasPrefix(strings.ToLower(name), "ce-") {
		return vs
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v
		if d, err := binding.DecodeHeaderValue(v); err == nil {
			out[i] = d
		}
	}
	return out
}

// judgeDelivery checks a sender's message as a web-hook delivery, as far
// as the case asks (Method, Payload).
func judgeDelivery(c *Case, m *sent) []error {
	var errs []error
	if want := c.Expect.Method; want != "" && m.method != want {
		errs = append(errs, fmt.Errorf("the message came with method %s, want %s", m.method, want))
	}
	if c.Expect.Payload {
		ct := m.header.Get("Content-Type")
		switch {
		case len(m.body) == 0:
			errs = append(errs, fmt.Errorf("the message has no body (Content-Type %q): a delivery carries its notification as a payload", ct))
		case isJSONType(ct):
			if !json.Valid(m.body) {
				errs = append(errs, fmt.Errorf("the message's body %s is not the JSON its Content-Type %q declares", quoteData(m.body), ct))
			}
		}
	}
	return errs
}
