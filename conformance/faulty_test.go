package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/spec"
	cehttp "github.com/openevents/openevents/transports/http"
)

// A fault is one seeded violation: a provider that is the reference
// provider except for one behaviour, and the requirement the suite must
// then report as failed.
type fault struct {
	name string
	want string // a requirement ID that must get FAIL
	// request rewrites the request before the reference handler sees it;
	// it may answer by itself and return true.
	request func(w http.ResponseWriter, r *http.Request) bool
	// reply rewrites the reference handler's answer.
	reply func(rec *httptest.ResponseRecorder)
	// send, when set, is the provider's sender (the sender role);
	// otherwise ReferenceSend is.
	send func(ctx context.Context, target string, mode Mode, events []byte) error
}

// faults are the seeded violations, one per switch of the faulty
// provider: the first ones here, then those of faults_receiver_test.go and
// faults_reply_test.go.
var faults = slices.Concat(baseFaults, receiverFaults, replyFaults, senderFaults, webhookFaults, producerFaults, umbrellaFaults, webhookSenderFaults)

var baseFaults = []fault{
	{name: "body-limit-32k", want: "CORE-SIZE-3", request: func(w http.ResponseWriter, r *http.Request) bool {
		if r.ContentLength > 32<<10 {
			w.WriteHeader(http.StatusRequestEntityTooLarge) // a 32 KiB limit, below the 64 KiB a consumer should take
			return true
		}
		return false
	}},
	{name: "fill-missing-id", want: "CORE-ATTR-ID-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) == binding.ModeBinary && r.Header.Get("Ce-Id") == "" {
			r.Header.Set("Ce-Id", "generated") // accepts an event without id
		}
		return false
	}},
	{name: "no-percent-decode", want: "HTTP-HEADER-VALUE-6", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string { return strings.ReplaceAll(v, "%", "%25") })
		return false
	}},
	{name: "double-decode", want: "HTTP-HEADER-VALUE-6", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string {
			if d, err := url.PathUnescape(v); err == nil {
				return d
			}
			return v
		})
		return false
	}},
	{name: "lenient-utf8", want: "HTTP-HEADER-VALUE-17", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string {
			d, err := url.PathUnescape(v)
			if err != nil || utf8.ValidString(d) {
				return v
			}
			return url.PathEscape(strings.ToValidUTF8(d, "\uFFFD"))
		})
		return false
	}},
	{name: "keep-quotes", want: "HTTP-HEADER-VALUE-7", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string { return strings.ReplaceAll(v, `"`, "%22") })
		return false
	}},
	{name: "accept-duplicate-attributes", want: "CORE-ATTR-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		for k, vs := range r.Header {
			if len(vs) > 1 {
				r.Header[k] = vs[:1]
			}
		}
		return false
	}},
	{name: "ignore-content-type", want: "HTTP-BINARY-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Content-Type") != "" && cehttp.DetectMode(r.Header.Get("Content-Type")) == binding.ModeBinary {
			r.Header.Set("Content-Type", "application/octet-stream")
		}
		return false
	}},
	{name: "drop-extensions", want: "HTTP-BINARY-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		for k := range r.Header {
			if name, ok := strings.CutPrefix(strings.ToLower(k), "ce-"); ok && !event.IsCoreAttribute(name) {
				delete(r.Header, k)
			}
		}
		return false
	}},
	{name: "leak-protocol-headers", want: "CORE-EXT-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		for k, vs := range r.Header {
			if x, ok := strings.CutPrefix(k, "X-"); ok {
				r.Header["Ce-X"+strings.ToLower(x)] = vs
			}
		}
		return false
	}},
	{name: "malformed-json-200", want: "JSON-SYNTAX-1", request: func(w http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeStructured {
			return false
		}
		body := readBody(r)
		if json.Valid(body) {
			return false
		}
		w.WriteHeader(http.StatusOK)
		return true
	}},
	{name: "array-as-event", want: "HTTP-STRUCTURED-2", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) == binding.ModeStructured {
			var arr []json.RawMessage
			if json.Unmarshal(readBody(r), &arr) == nil && len(arr) > 0 {
				setBody(r, arr[0])
			}
		}
		return false
	}},
	{name: "data-wins-over-data_base64", want: "JSON-DATA-5", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if _, ok := m["data"]; ok {
				delete(m, "data_base64")
			}
		})
		return false
	}},
	{name: "data_base64-as-text", want: "JSON-DATA-6", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if b, ok := m["data_base64"]; ok {
				m["data"] = b
				delete(m, "data_base64")
			}
		})
		return false
	}},
	{name: "json-data-as-string", want: "JSON-DATA-19", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if d, ok := m["data"]; ok && len(d) > 0 && d[0] == '{' {
				s, _ := json.Marshal(string(d))
				m["data"] = s
			}
		})
		return false
	}},
	{name: "batches-as-malformed", want: "JSON-BATCH-1", request: func(w http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeBatch {
			return false
		}
		// Not 415, which says batched mode is not offered (it is
		// optional): 400 calls a valid batch malformed.
		w.WriteHeader(http.StatusBadRequest)
		return true
	}},
	{name: "unknown-format-400", want: "WEBHOOK-RESPONSE-13", reply: func(rec *httptest.ResponseRecorder) {
		if rec.Code == http.StatusUnsupportedMediaType {
			rec.Code = http.StatusBadRequest
		}
	}},
	{name: "no-handshake", want: "WEBHOOK-ABUSE-1", request: func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodOptions {
			return false
		}
		w.WriteHeader(http.StatusMethodNotAllowed)
		return true
	}},
	{name: "reply-raw-utf8", want: "HTTP-HEADER-VALUE-11", reply: func(rec *httptest.ResponseRecorder) {
		for k, vs := range rec.Header() {
			if strings.HasPrefix(strings.ToLower(k), "ce-") {
				if d, err := binding.DecodeHeaderValue(vs[0]); err == nil {
					rec.Header()[k] = []string{d}
				}
			}
		}
	}},
	{name: "reply-lower-case-hex", want: "HTTP-HEADER-VALUE-14", reply: func(rec *httptest.ResponseRecorder) {
		for k, vs := range rec.Header() {
			if strings.HasPrefix(strings.ToLower(k), "ce-") {
				rec.Header()[k] = []string{escapeRE.ReplaceAllStringFunc(vs[0], strings.ToLower)}
			}
		}
	}},
	{name: "reply-200-without-content-type", want: "WEBHOOK-RESPONSE-5", reply: func(rec *httptest.ResponseRecorder) {
		rec.Header()["Content-Type"] = nil // nil, not deleted: net/http would sniff one
	}},
}

// senderFaults are seeded violations of the sender role: the reference
// sender with its requests rewritten on the way out.
var senderFaults = []fault{
	{name: "sender-raw-header-values", want: "HTTP-HEADER-VALUE-11", send: rewritingSender(func(r *http.Request) {
		mapCE(r, func(v string) string {
			if d, err := binding.DecodeHeaderValue(v); err == nil {
				return d // as sdk-go sends them: not percent-encoded
			}
			return v
		})
	})},
	{name: "sender-ce-datacontenttype", want: "HTTP-BINARY-2", send: rewritingSender(func(r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" && cehttp.DetectMode(ct) == binding.ModeBinary {
			r.Header["ce-datacontenttype"] = []string{ct}
		}
	})},
	{name: "sender-json-data-as-string", want: "JSON-DATA-3", send: rewritingSender(func(r *http.Request) {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if d, ok := m["data"]; ok && len(d) > 0 && d[0] == '{' {
				s, _ := json.Marshal(string(d))
				m["data"] = s
			}
		})
	})},
}

// rewritingSender returns the reference sender with every request passed
// through rewrite before it is sent.
func rewritingSender(rewrite func(*http.Request)) func(ctx context.Context, target string, mode Mode, events []byte) error {
	return func(ctx context.Context, target string, mode Mode, events []byte) error {
		doer := doerFunc(func(r *http.Request) (*http.Response, error) {
			rewrite(r)
			return http.DefaultClient.Do(r)
		})
		return referenceSend(ctx, target, mode, events, cehttp.WithDoer(doer))
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

var escapeRE = regexp.MustCompile(`%[0-9A-F]{2}`)

// mapCE applies f to the value of every ce- header.
func mapCE(r *http.Request, f func(string) string) {
	for k, vs := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "ce-") {
			for i := range vs {
				vs[i] = f(vs[i])
			}
		}
	}
}

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	setBody(r, b)
	return b
}

func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
}

// rewriteStructured lets f change the members of a structured event.
func rewriteStructured(r *http.Request, f func(map[string]json.RawMessage)) {
	if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeStructured {
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(readBody(r), &m) != nil {
		return
	}
	f(m)
	b, _ := json.Marshal(m)
	setBody(r, b)
}

// faultySender returns the sender of the provider with the named fault.
func faultySender(name string) func(ctx context.Context, target string, mode Mode, events []byte) error {
	for _, f := range faults {
		if f.name == name && f.send != nil {
			return f.send
		}
	}
	return ReferenceSend
}

// faultyProvider returns the starter of the provider with the named fault.
func faultyProvider(name string) func() (string, func(), error) {
	return func() (string, func(), error) {
		var f *fault
		for i := range faults {
			if faults[i].name == name {
				f = &faults[i]
			}
		}
		if f == nil {
			return "", nil, &net.AddrError{Err: "no such fault", Addr: name}
		}
		inner, err := cehttp.NewHandler(cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
			*reply = e.Clone()
			return true, nil
		}))
		if err != nil {
			return "", nil, err
		}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if f.request != nil && f.request(w, r) {
				return
			}
			rec := httptest.NewRecorder()
			inner.ServeHTTP(rec, r)
			if f.reply != nil {
				f.reply(rec)
			}
			for k, vs := range rec.Header() {
				w.Header()[k] = vs
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		done := make(chan struct{})
		go func() { _ = srv.Serve(ln); close(done) }()
		stop := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
			<-done
		}
		return "http://" + ln.Addr().String() + "/", stop, nil
	}
}

// TestFaultyProvider runs the suite against each fault: every one must be
// reported as a failure of its requirement (a mutation score of 100%).
func TestFaultyProvider(t *testing.T) {
	t.Parallel()
	if len(faults) < 50 {
		t.Errorf("%d HTTP faults, want at least 50", len(faults))
	}
	names := map[string]bool{}
	for _, f := range faults {
		if names[f.name] {
			t.Errorf("fault %s is defined twice", f.name)
		}
		names[f.name] = true
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			// The fault's rule decides the text: a rule only main has
			// runs under main, every other under 1.0.2.
			text := spec.Profile102
			if r, ok := spec.Default().Lookup(f.want); !ok {
				t.Fatalf("fault %s wants %s, which is not in the catalog", f.name, f.want)
			} else if !r.In(text) {
				text = spec.ProfileMain
			}
			res, _ := runChild(t, f.name, claimAll(text))
			var caught bool
			for _, rr := range res.Requirements {
				if rr.ID == f.want && rr.Verdict == Fail {
					caught = true
					t.Logf("%s: %s", rr.ID, rr.Message)
				}
			}
			if !caught {
				t.Errorf("fault %s was not reported as a failure of %s", f.name, f.want)
			}
		})
	}
}
