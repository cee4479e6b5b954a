package conformance

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// webhookFaults are seeded violations of the web-hook document: each
// breaks one rule of delivery answers, authorization or the
// abuse-protection handshake, and the cases of testdata/webhook-*.json
// must catch it.
var webhookFaults = []fault{
	// A target that moved sends every delivery on with a redirect.
	{name: "redirect-deliveries", want: "WEBHOOK-RESPONSE-2", request: func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
		return true
	}},
	// "200 OK" for everything accepted, body or not.
	{name: "empty-200", want: "WEBHOOK-RESPONSE-6", reply: func(rec *httptest.ResponseRecorder) {
		if rec.Code == http.StatusNoContent {
			rec.Code = http.StatusOK
		}
	}},
	// A target that reads its token from the Authorization header only
	// and refuses a request that carries it in the query.
	{name: "query-token-refused", want: "WEBHOOK-AUTH-2", request: func(w http.ResponseWriter, r *http.Request) bool {
		if !r.URL.Query().Has("access_token") {
			return false
		}
		http.Error(w, "unexpected query parameter access_token", http.StatusBadRequest)
		return true
	}},
	// A target behind a server configured for Basic authentication, which
	// offers the challenge on every answer.
	{name: "basic-challenge", want: "WEBHOOK-AUTH-4", reply: func(rec *httptest.ResponseRecorder) {
		rec.Header().Set("WWW-Authenticate", `Basic realm="events"`)
	}},
	// A handshake answer that grants a rate and forgets the origin.
	{name: "grant-rate-without-origin", want: "WEBHOOK-ALLOWED-ORIGIN-1", reply: func(rec *httptest.ResponseRecorder) {
		rec.Header().Del("WebHook-Allowed-Origin")
	}},
	// A handshake answer that grants some other origin than the one asked
	// for (its own host name, say).
	{name: "grant-other-origin", want: "WEBHOOK-ALLOWED-ORIGIN-2", reply: func(rec *httptest.ResponseRecorder) {
		if rec.Header().Get("WebHook-Allowed-Origin") != "" {
			rec.Header().Set("WebHook-Allowed-Origin", "receiver.example.net")
		}
	}},
	// A handshake answer that grants the origin and leaves the rate out,
	// even when one was asked for: caught as the rate rule and as the
	// rule that a grant carries both headers.
	{name: "grant-origin-without-rate", want: "WEBHOOK-ALLOWED-RATE-1", reply: func(rec *httptest.ResponseRecorder) {
		rec.Header().Del("WebHook-Allowed-Rate")
	}},
	{name: "grant-origin-without-rate-unasked", want: "WEBHOOK-ALLOWED-RATE-2", reply: func(rec *httptest.ResponseRecorder) {
		rec.Header().Del("WebHook-Allowed-Rate")
	}},
	{name: "grant-origin-without-rate-both", want: "WEBHOOK-VALIDATION-4", reply: func(rec *httptest.ResponseRecorder) {
		rec.Header().Del("WebHook-Allowed-Rate")
	}},
	// A granted rate written with its unit.
	{name: "rate-with-unit", want: "WEBHOOK-ALLOWED-RATE-3", reply: func(rec *httptest.ResponseRecorder) {
		if v := rec.Header().Get("WebHook-Allowed-Rate"); v != "" {
			rec.Header().Set("WebHook-Allowed-Rate", v+"/min")
		}
	}},
	// A handshake that grants whatever rate was asked for, without
	// reading it as a number.
	{name: "grant-requested-rate-verbatim", want: "WEBHOOK-RATE-2", request: func(w http.ResponseWriter, r *http.Request) bool {
		origin := r.Header.Get("WebHook-Request-Origin")
		if r.Method != http.MethodOptions || origin == "" {
			return false
		}
		w.Header().Set("Allow", "OPTIONS, POST")
		w.Header().Set("WebHook-Allowed-Origin", origin)
		rate := strings.TrimSpace(r.Header.Get("WebHook-Request-Rate"))
		if rate == "" {
			rate = "*"
		}
		w.Header().Set("WebHook-Allowed-Rate", rate)
		w.WriteHeader(http.StatusOK)
		return true
	}},
}

// producerFaults are seeded violations of the producer rules that the
// sender cases of testdata/webhook-sender.json and http-sender-2.json
// judge: the reference sender with its requests rewritten on the way out.
var producerFaults = []fault{
	{name: "sender-put", want: "WEBHOOK-DELIVERY-2", send: rewritingSender(func(r *http.Request) {
		r.Method = http.MethodPut
	})},
	{name: "sender-no-content-type", want: "WEBHOOK-DELIVERY-3", send: rewritingSender(func(r *http.Request) {
		r.Header["Content-Type"] = nil
	})},
	{name: "sender-header-only", want: "WEBHOOK-DELIVERY-4", send: rewritingSender(func(r *http.Request) {
		if k, _ := headerKey(r, "ce-id"); k != "" {
			setBody(r, nil) // the notification in headers alone
		}
	})},
	{name: "sender-drops-source", want: "CORE-ATTR-1", send: rewritingSender(func(r *http.Request) {
		if k, _ := headerKey(r, "ce-source"); k != "" {
			delete(r.Header, k)
		}
		rewriteStructured(r, func(m map[string]json.RawMessage) { delete(m, "source") })
	})},
	{name: "sender-specversion-patch", want: "CORE-ATTR-SPECVERSION-3", send: rewritingSender(func(r *http.Request) {
		if k, _ := headerKey(r, "ce-specversion"); k != "" {
			r.Header[k] = []string{"1.0.2"}
		}
		rewriteStructured(r, func(m map[string]json.RawMessage) { m["specversion"] = json.RawMessage(`"1.0.2"`) })
	})},
	{name: "sender-time-unix", want: "CORE-TYPE-7", send: rewritingSender(func(r *http.Request) {
		if k, _ := headerKey(r, "ce-time"); k != "" {
			r.Header[k] = []string{"1714979289"}
		}
	})},
	{name: "sender-binary-data-untyped", want: "JSON-DATA-10", send: rewritingSender(func(r *http.Request) {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if _, ok := m["data_base64"]; ok {
				delete(m, "datacontenttype")
			}
		})
	})},
	{name: "sender-drops-traceparent", want: "EXT-DISTTRACE-1", send: rewritingSender(func(r *http.Request) {
		if k, _ := headerKey(r, "ce-traceparent"); k != "" {
			delete(r.Header, k)
		}
	})},
	{name: "sender-batches-unasked", want: "HTTP-BATCH-1", send: batchingSender},
	{name: "sender-batches-unasked-json", want: "JSON-BATCH-2", send: batchingSender},
	{name: "sender-traceparent-header-only", want: "HTTP-BINARY-6", send: rewritingSender(func(r *http.Request) {
		if k, v := headerKey(r, "ce-traceparent"); k != "" {
			delete(r.Header, k)
			r.Header.Set("Traceparent", v)
		}
	})},
}

// headerKey finds a header by name without regard to case, as the
// reference sender writes ce- names in lower case straight into the map;
// it returns the key as stored and its first value, or "" when absent.
func headerKey(r *http.Request, name string) (string, string) {
	for k, vs := range r.Header {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return k, vs[0]
		}
	}
	return "", ""
}

// umbrellaFaults are faults of rules that other rules spell out:
// CORE-FORMAT-1 (a format's encoding rules are followed) fails with any
// of the JSON format's, here JSON data read as a string.
var umbrellaFaults = []fault{
	{name: "json-data-as-string-format", want: "CORE-FORMAT-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if d, ok := m["data"]; ok && len(d) > 0 && d[0] == '{' {
				s, _ := json.Marshal(string(d))
				m["data"] = s
			}
		})
		return false
	}},
}

// webhookSenderFaults are web-hook senders with one fault each: the
// handshake at another URI or naming no DNS name, deliveries without the
// granted origin, the token somewhere else, under another scheme or
// parameter name, or joined to the query with ';'.
var webhookSenderFaults = []fault{
	{name: "sender-handshake-elsewhere", want: "WEBHOOK-VALIDATION-1", send: webhookSender{handshakeAt: "/register"}.send},
	{name: "sender-origin-url", want: "WEBHOOK-VALIDATION-2", send: webhookSender{origin: "https://sender.example.com:8443/"}.send},
	{name: "sender-forgets-origin", want: "WEBHOOK-VALIDATION-3", send: webhookSender{noOrigin: true}.send},
	{name: "sender-forgets-origin-delivery", want: "WEBHOOK-DELIVERY-5", send: webhookSender{noOrigin: true}.send},
	{name: "sender-token-header", want: "WEBHOOK-AUTH-1", send: webhookSender{token: "header"}.send},
	{name: "sender-token-scheme", want: "WEBHOOK-AUTH-5", send: webhookSender{token: "scheme"}.send},
	{name: "sender-token-param", want: "WEBHOOK-AUTH-6", send: webhookSender{token: "param"}.send},
	{name: "sender-token-semicolon", want: "WEBHOOK-AUTH-8", send: webhookSender{token: "semicolon"}.send},
	{name: "sender-query-token-cached", want: "WEBHOOK-AUTH-9", send: webhookSender{token: "query", cached: true}.send},
	// A sender that retries a 429 on its own short backoff, as if the
	// answer had no Retry-After.
	{name: "sender-ignores-retry-after", want: "WEBHOOK-RESPONSE-12", send: func(ctx context.Context, target string, mode Mode, events []byte) error {
		doer := doerFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := http.DefaultClient.Do(r)
			if err == nil {
				resp.Header.Del("Retry-After")
			}
			return resp, err
		})
		return referenceSend(ctx, target, mode, events, cehttp.WithDoer(doer), cehttp.WithRetry(3, time.Millisecond))
	}},
	// A sender whose HTTP client follows redirects, as Go's default does.
	{name: "sender-follows-redirects", want: "WEBHOOK-RESPONSE-3", send: func(ctx context.Context, target string, mode Mode, events []byte) error {
		return referenceSend(ctx, target, mode, events, cehttp.WithDoer(&http.Client{}))
	}},
}

// batchingSender sends every event as a batch of one, whatever mode it
// was asked for.
func batchingSender(ctx context.Context, target string, mode Mode, events []byte) error {
	return referenceSend(ctx, target, mode, events, cehttp.WithMode(binding.ModeBatch))
}
