package conformance

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/spec"
	cehttp "github.com/openevents/openevents/transports/http"
)

// webhookSender describes a web-hook sender built on the reference
// sender: it runs the abuse-protection handshake and sends the run's
// access token; the fields seed one fault each.
type webhookSender struct {
	origin      string // WebHook-Request-Origin ("" : sender.conformance.example)
	handshakeAt string // a path to run the handshake at instead of the target
	noOrigin    bool   // deliveries leave WebHook-Request-Origin out
	cached      bool   // a query token without Cache-Control: no-store
	// token is where the token goes: "bearer" (default), "query",
	// "scheme" (Authorization: Token T), "header" (X-Access-Token),
	// "param" (?token=T), "semicolon" (joined to the query with ';').
	token string
}

func (w webhookSender) send(ctx context.Context, target string, mode Mode, events []byte) error {
	origin := w.origin
	if origin == "" {
		origin = "sender.conformance.example"
	}
	at := target
	if w.handshakeAt != "" {
		u, _ := url.Parse(target)
		u.Path, u.RawQuery = w.handshakeAt, ""
		at = u.String()
	}
	hs, err := cehttp.NewSender(at)
	if err != nil {
		return err
	}
	if _, err := hs.RequestPermission(ctx, origin, 0); err != nil {
		return err
	}
	hs.CloseIdleConnections()
	token := SenderToken(ctx)
	var opts []cehttp.SenderOption
	if !w.noOrigin {
		opts = append(opts, cehttp.WithRequestOrigin(origin))
	}
	to := target
	switch w.token {
	case "", "bearer":
		opts = append(opts, cehttp.WithHeader("Authorization", "Bearer "+token))
	case "query":
		to += "&access_token=" + url.QueryEscape(token)
		if !w.cached {
			opts = append(opts, cehttp.WithHeader("Cache-Control", "no-store"))
		}
	case "scheme":
		opts = append(opts, cehttp.WithHeader("Authorization", "Token "+token))
	case "header":
		opts = append(opts, cehttp.WithHeader("X-Access-Token", token))
	case "param":
		to += "&token=" + url.QueryEscape(token)
	case "semicolon":
		to += ";access_token=" + url.QueryEscape(token)
	}
	return referenceSend(ctx, to, mode, events, opts...)
}

// TestWebhookSender runs the sender cases against web-hook senders that
// follow the rules, one with the token in the Authorization header and one
// with it in the query: every web-hook sender case passes, or is not
// tested because the sender chose the other token method, and passes with
// one of them. A plain sender, which runs no handshake and sends no
// token, gets them NOT-TESTED.
func TestWebhookSender(t *testing.T) {
	passed := map[string]bool{}
	for _, token := range []string{"bearer", "query"} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		res, err := Run(ctx, Config{Sender: &SenderTarget{Send: webhookSender{token: token}.send}, LabelFilter: "sender", RequestTimeout: 10 * time.Second})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cases {
			if c.Role != RoleSender || c.Binding != BindingHTTP {
				continue
			}
			switch {
			case c.Verdict == Pass:
				passed[c.Name] = true
			case c.Verdict == NotTested && (strings.Contains(c.Message, "the token is not in") || strings.Contains(c.Message, "not claimed") || strings.Contains(c.Message, "profile")):
			default:
				t.Errorf("%s sender: %s: %s %s", token, c.Name, c.Verdict, c.Message)
			}
		}
	}
	cases, err := Cases(spec.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Role == RoleSender && c.Binding == BindingHTTP && c.Expect.Webhook != "" && !passed[c.Name] {
			t.Errorf("%s: passed with neither web-hook sender", c.Name)
		}
	}

	// A plain sender, which runs no handshake and sends no token, gets
	// the handshake cases NOT-TESTED: they bind a sender that runs it.
	plain := func(ctx context.Context, target string, mode Mode, events []byte) error {
		return referenceSend(ctx, target, mode, events)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Sender: &SenderTarget{Send: plain}, LabelFilter: "sender", RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if c.Role == RoleSender && c.Binding == BindingHTTP && strings.Contains(c.Name, "handshake") && c.Verdict != NotTested {
			t.Errorf("plain sender: %s: %s %s, want NOT-TESTED (it runs no handshake)", c.Name, c.Verdict, c.Message)
		}
	}
}

// TestSenderTokenOutsideRun: the token is a sender run's alone.
func TestSenderTokenOutsideRun(t *testing.T) {
	if got := SenderToken(context.Background()); got != "" {
		t.Errorf("SenderToken outside a run = %q, want empty", got)
	}
	if a, b := newSenderToken(), newSenderToken(); a == b || !strings.HasPrefix(a, "ce-conformance-") {
		t.Errorf("tokens %q and %q: want two different ones", a, b)
	}
	if !sameTarget("/?conformance=sender&access_token=x", "/?conformance=sender") || sameTarget("/register?conformance=sender", "/?conformance=sender") {
		t.Error("sameTarget: an access_token aside, the path and query must match")
	}
}

// TestJudgeNoRedirect: the no-redirect check (WEBHOOK-RESPONSE-3) fails a
// run in which the redirect's Location was requested and passes one in
// which it was not. Its case waits for sdk-go's finding to be pinned (Go's
// default client follows a 307), so the check is tested here directly.
func TestJudgeNoRedirect(t *testing.T) {
	c := &Case{Answer: &Answer{Status: 307, Headers: [][2]string{{"Location", "/moved?conformance=sender"}}}, Expect: Rule{Webhook: webhookNoRedirect}}
	first := sent{method: "POST", uri: "/?conformance=sender", answer: c.Answer}
	followed := &senderLog{all: []sent{first, {method: "POST", uri: "/moved?conformance=sender"}}}
	stayed := &senderLog{all: []sent{first, {method: "POST", uri: "/?conformance=sender"}}}
	for _, tt := range []struct {
		log  *senderLog
		fail bool
	}{{followed, true}, {stayed, false}} {
		m := tt.log.all[0]
		m.log = tt.log
		if err := judgeWebhook(c, &m); (err != nil) != tt.fail {
			t.Errorf("judgeWebhook = %v, want failure %v", err, tt.fail)
		}
	}
}
