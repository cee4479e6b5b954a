package http_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	cehttp "github.com/openevents/openevents/transports/http"
)

func TestRoundTrip(t *testing.T) {
	binaryData := sample()
	binaryData.SetDataContentType("application/octet-stream")
	binaryData.SetBinaryData([]byte{0, 1, 2, 0xff})
	noData := sample()
	noData.Delete(event.AttrDataContentType)
	noData.ClearData()
	text := sample()
	text.SetDataContentType("text/plain")
	text.SetData([]byte("héllo"))
	emptyData := sample()
	emptyData.SetDataContentType("text/plain")
	emptyData.SetData([]byte{})
	events := []struct {
		name string
		e    *event.Event
	}{
		{"JSON data", sample()},
		{"binary data", binaryData},
		{"text data", text},
		{"no data", noData},
		{"empty data", emptyData},
	}
	for _, srv := range servers {
		for _, mode := range []binding.Mode{binding.ModeBinary, binding.ModeStructured, binding.ModeBatch} {
			for _, tt := range events {
				t.Run(srv.name+"/"+mode.String()+"/"+tt.name, func(t *testing.T) {
					var c collector
					s := newSender(t, srv.start(t, &c), cehttp.WithMode(mode))
					resp, err := s.Send(context.Background(), tt.e)
					if err != nil {
						t.Fatal(err)
					}
					if resp.Status != http.StatusNoContent || resp.Reply != nil {
						t.Errorf("response %d %v, want 204 without reply", resp.Status, resp.Reply)
					}
					got := c.got()
					if len(got) != 1 {
						t.Fatalf("received %d events, want 1", len(got))
					}
					if mode == binding.ModeStructured || mode == binding.ModeBatch {
						// An empty text body has no JSON form other than "".
						if tt.name == "empty data" {
							return
						}
					}
					if !got[0].Equal(tt.e) {
						t.Errorf("received\n%s\nwant\n%s", dump(&got[0]), dump(tt.e))
					}
				})
			}
		}
	}
}

func dump(e *event.Event) string {
	b, err := jsonformat.Append(nil, e)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func TestBinaryExtensionTypes(t *testing.T) {
	// Header values carry no type: a typed extension arrives as the
	// canonical string of its value (HTTP-HEADER-VALUE-1).
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var c collector
			s := newSender(t, srv.start(t, &c))
			e := sample()
			e.SetExtension("count", event.Integer(-5))
			e.SetExtension("flag", event.Boolean(true))
			e.SetExtension("blob", event.Binary([]byte{0xfb, 0xff}))
			if _, err := s.Send(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			got := c.got()[0]
			for name, want := range map[string]string{"count": "-5", "flag": "true", "blob": "+/8="} {
				if v, ok := got.Extension(name); !ok || v != event.String(want) {
					t.Errorf("extension %s = %v, %v; want String %q", name, v, ok, want)
				}
			}
		})
	}
}

// post sends a raw request and returns status, headers and body.
func post(t *testing.T, method, url string, hdr map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = []string{v}
	}
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func binaryHeaders(extra ...string) map[string]string {
	h := map[string]string{"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(h, extra[i])
			continue
		}
		h[extra[i]] = extra[i+1]
	}
	return h
}

func TestReceive(t *testing.T) {
	const structured = `{"specversion":"1.0","id":"1","source":"/s","type":"t"}`
	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		body   string
		code   int
		inBody string // the answer's body must contain this (a requirement ID)
		check  func(t *testing.T, e *event.Event)
	}{
		{name: "percent-decoded subject", hdr: binaryHeaders("ce-subject", "a%20b"), code: 204,
			check: func(t *testing.T, e *event.Event) {
				if e.Subject() != "a b" {
					t.Errorf("subject %q, want %q", e.Subject(), "a b")
				}
			}},
		{name: "decoded exactly once", hdr: binaryHeaders("ce-subject", "100%2541"), code: 204,
			check: func(t *testing.T, e *event.Event) {
				if e.Subject() != "100%41" {
					t.Errorf("subject %q, want %q", e.Subject(), "100%41")
				}
			}},
		{name: "quoted value", hdr: binaryHeaders("ce-subject", `"a \"b\""`), code: 204,
			check: func(t *testing.T, e *event.Event) {
				if e.Subject() != `a "b"` {
					t.Errorf("subject %q", e.Subject())
				}
			}},
		{name: "header names ignore case", hdr: map[string]string{"CE-SpecVersion": "1.0", "Ce-ID": "1", "cE-source": "/s", "CE-TYPE": "t", "Ce-MyExt": "x"}, code: 204,
			check: func(t *testing.T, e *event.Event) {
				if v, _ := e.Extension("myext"); v.Text() != "x" || e.ID() != "1" {
					t.Errorf("got id %q myext %q", e.ID(), v.Text())
				}
			}},
		{name: "0.3 binary", hdr: binaryHeaders("ce-specversion", "0.3", "ce-schemaurl", "https://example.com/s", "ce-datacontentencoding", "base64"), code: 204,
			check: func(t *testing.T, e *event.Event) {
				_, enc := e.Extension("datacontentencoding")
				if e.SpecVersion() != "1.0" || e.DataSchema() != "https://example.com/s" || e.Has("schemaurl") || enc {
					t.Errorf("0.3 mapped to %s", dump(e))
				}
			}},
		{name: "0.3 with dataschema", hdr: binaryHeaders("ce-specversion", "0.3", "ce-dataschema", "https://example.com/s"), code: 400, inBody: "CORE-ATTR-4"},
		{name: "0.3 name starting with a digit", hdr: binaryHeaders("ce-specversion", "0.3", "ce-1ext", "x"), code: 400, inBody: "V03-NAMING-1"},
		{name: "1.0 name starting with a digit", hdr: binaryHeaders("ce-1ext", "x"), code: 204},
		{name: "overlong UTF-8", hdr: binaryHeaders("ce-subject", "%C0%A0"), code: 400, inBody: "HTTP-HEADER-VALUE-17"},
		{name: "bad escape", hdr: binaryHeaders("ce-subject", "%G0"), code: 400, inBody: "HTTP-HEADER-VALUE-6"},
		{name: "ce-datacontenttype", hdr: binaryHeaders("ce-datacontenttype", "text/plain"), code: 400, inBody: "HTTP-BINARY-2"},
		{name: "missing id", hdr: binaryHeaders("ce-id", ""), code: 400, inBody: "CORE-ATTR-ID-1"},
		{name: "bad specversion", hdr: binaryHeaders("ce-specversion", "2.0"), code: 400, inBody: "CORE-ATTR-SPECVERSION-3"},
		{name: "content type becomes datacontenttype", hdr: binaryHeaders("Content-Type", "application/json"), body: `{"a":1}`, code: 204,
			check: func(t *testing.T, e *event.Event) {
				if e.DataContentType() != "application/json" || string(e.Data()) != `{"a":1}` || e.IsBinaryData() {
					t.Errorf("datacontenttype %q data %q binary %v", e.DataContentType(), e.Data(), e.IsBinaryData())
				}
			}},
		{name: "opaque body is binary data", hdr: binaryHeaders("Content-Type", "image/png"), body: "\x89PNG", code: 204,
			check: func(t *testing.T, e *event.Event) {
				if !e.IsBinaryData() || string(e.Data()) != "\x89PNG" {
					t.Errorf("data %q binary %v", e.Data(), e.IsBinaryData())
				}
			}},
		{name: "body without Content-Type is binary", hdr: binaryHeaders(), body: "\x00\x01", code: 204,
			check: func(t *testing.T, e *event.Event) {
				if !e.IsBinaryData() || string(e.Data()) != "\x00\x01" || e.Has(event.AttrDataContentType) {
					t.Errorf("data %q binary %v", e.Data(), e.IsBinaryData())
				}
			}},
		{name: "text that is not UTF-8 is binary", hdr: binaryHeaders("Content-Type", "text/plain"), body: "\xff", code: 204,
			check: func(t *testing.T, e *event.Event) {
				if !e.IsBinaryData() {
					t.Errorf("data %q binary %v", e.Data(), e.IsBinaryData())
				}
			}},
		{name: "no body no data", hdr: binaryHeaders(), code: 204,
			check: func(t *testing.T, e *event.Event) {
				if e.HasData() || e.Has(event.AttrDataContentType) {
					t.Errorf("has data %v, datacontenttype %v", e.HasData(), e.Has(event.AttrDataContentType))
				}
			}},
		{name: "structured", hdr: map[string]string{"Content-Type": "application/cloudevents+json; charset=UTF-8"}, body: structured, code: 204},
		{name: "structured media type ignores case", hdr: map[string]string{"Content-Type": "Application/CloudEvents+JSON"}, body: structured, code: 204},
		{name: "structured body wins over ce- headers", hdr: map[string]string{"Content-Type": "application/cloudevents+json", "ce-id": "other"}, body: structured, code: 204,
			check: func(t *testing.T, e *event.Event) {
				if e.ID() != "1" {
					t.Errorf("id %q, want the body's 1 (HTTP-STRUCTURED-4)", e.ID())
				}
			}},
		{name: "array sent as one event", hdr: map[string]string{"Content-Type": "application/cloudevents+json"}, body: "[" + structured + "]", code: 400, inBody: "HTTP-BATCH-5"},
		{name: "malformed JSON", hdr: map[string]string{"Content-Type": "application/cloudevents+json"}, body: `{"id":`, code: 400, inBody: "JSON-SYNTAX-1"},
		{name: "unknown format", hdr: map[string]string{"Content-Type": "application/cloudevents+protobuf"}, body: "x", code: 415},
		{name: "unknown batch format", hdr: map[string]string{"Content-Type": "application/cloudevents-batch+xml"}, body: "x", code: 415},
		{name: "batch", hdr: map[string]string{"Content-Type": "application/cloudevents-batch+json"}, body: "[" + structured + "," + strings.Replace(structured, `"1"`, `"2"`, 1) + "]", code: 204},
		{name: "empty batch", hdr: map[string]string{"Content-Type": "application/cloudevents-batch+json"}, body: "[]", code: 204},
		{name: "batch with an invalid event", hdr: map[string]string{"Content-Type": "application/cloudevents-batch+json"}, body: `[{"specversion":"1.0","id":"1","source":"/s"}]`, code: 400, inBody: "CORE-ATTR-TYPE-1"},
		{name: "GET", method: http.MethodGet, code: 405},
		{name: "too large", hdr: binaryHeaders("Content-Type", "text/plain"), body: strings.Repeat("x", 2048), code: 413},
	}
	for _, srv := range servers {
		for _, tt := range tests {
			t.Run(srv.name+"/"+tt.name, func(t *testing.T) {
				var c collector
				url := srv.start(t, &c, cehttp.WithMaxBodyBytes(1024))
				method := tt.method
				if method == "" {
					method = http.MethodPost
				}
				code, hdr, body := post(t, method, url, tt.hdr, tt.body)
				if code != tt.code || !strings.Contains(body, tt.inBody) {
					t.Fatalf("answer %d %q, want %d containing %q", code, body, tt.code, tt.inBody)
				}
				if code == http.StatusMethodNotAllowed && hdr.Get("Allow") != "OPTIONS, POST" {
					t.Errorf("Allow %q", hdr.Get("Allow"))
				}
				got := c.got()
				if code >= 300 && len(got) != 0 {
					t.Errorf("a refused request reached the handler")
				}
				if tt.check != nil {
					if len(got) != 1 {
						t.Fatalf("handler got %d events, want 1", len(got))
					}
					tt.check(t, &got[0])
				}
			})
		}
	}
}

func TestHandlerErrors(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		code  int
		retry bool
	}{
		{"rejected", binding.ErrRejected, 400, false},
		{"rejected, wrapped", errors.Join(errors.New("bad order"), binding.ErrRejected), 400, false},
		{"overloaded", cehttp.ErrOverloaded, 429, true},
		{"unavailable", cehttp.ErrUnavailable, 503, true},
		{"timed out", cehttp.ErrTimeout, 408, true},
		{"transient", errors.New("database down"), 500, true},
	}
	for _, srv := range servers {
		for _, tt := range tests {
			t.Run(srv.name+"/"+tt.name, func(t *testing.T) {
				c := collector{err: tt.err}
				s := newSender(t, srv.start(t, &c), cehttp.WithRetry(1, 0))
				_, err := s.Send(context.Background(), sample())
				var se *cehttp.StatusError
				if !errors.As(err, &se) || se.Code != tt.code {
					t.Fatalf("Send: %v, want status %d", err, tt.code)
				}
				if cehttp.IsRetryable(err) != tt.retry {
					t.Errorf("IsRetryable = %v, want %v", !tt.retry, tt.retry)
				}
				if tt.code == 429 && se.RetryAfter != time.Second {
					t.Errorf("RetryAfter = %v, want 1s (WEBHOOK-RESPONSE-11)", se.RetryAfter)
				}
				if tt.code == 400 && !errors.Is(err, binding.ErrRejected) {
					t.Errorf("a 400 does not match binding.ErrRejected")
				}
			})
		}
	}
}

func TestMaxInFlight(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			entered, release := make(chan struct{}), make(chan struct{})
			h := binding.HandlerFunc(func(context.Context, *event.Event) error {
				entered <- struct{}{}
				<-release
				return nil
			})
			url := srv.start(t, h, cehttp.WithMaxInFlight(1), cehttp.WithRetryAfter(2*time.Second))
			first := make(chan error, 1)
			s := newSender(t, url, cehttp.WithRetry(1, 0))
			go func() {
				_, err := s.Send(context.Background(), sample())
				first <- err
			}()
			<-entered
			code, hdr, _ := post(t, http.MethodPost, url, binaryHeaders(), "")
			close(release)
			if err := <-first; err != nil {
				t.Errorf("first request: %v", err)
			}
			if code != 429 || hdr.Get("Retry-After") != "2" {
				t.Errorf("second request: %d Retry-After %q, want 429 and 2", code, hdr.Get("Retry-After"))
			}
		})
	}
}

func TestWebhookHandshake(t *testing.T) {
	tests := []struct {
		name         string
		opts         []cehttp.Option
		hdr          map[string]string
		code         int
		origin, rate string
		noPermission bool
	}{
		{name: "any origin", hdr: map[string]string{"WebHook-Request-Origin": "eventemitter.example.com"}, code: 200, origin: "eventemitter.example.com", rate: "*"},
		{name: "requested rate", hdr: map[string]string{"WebHook-Request-Origin": "a.example", "WebHook-Request-Rate": "120"}, code: 200, origin: "a.example", rate: "120"},
		{name: "rate capped", opts: []cehttp.Option{cehttp.WithAllowedRate(60)}, hdr: map[string]string{"WebHook-Request-Origin": "a.example", "WebHook-Request-Rate": "120"}, code: 200, origin: "a.example", rate: "60"},
		{name: "allowed origin", opts: []cehttp.Option{cehttp.WithAllowedOrigins("a.example")}, hdr: map[string]string{"WebHook-Request-Origin": "a.example"}, code: 200, origin: "a.example", rate: "*"},
		{name: "refused origin", opts: []cehttp.Option{cehttp.WithAllowedOrigins("a.example")}, hdr: map[string]string{"WebHook-Request-Origin": "b.example"}, code: 403, noPermission: true},
		{name: "bad rate", hdr: map[string]string{"WebHook-Request-Origin": "a.example", "WebHook-Request-Rate": "0"}, code: 400, noPermission: true},
		{name: "plain OPTIONS", code: 204, noPermission: true},
	}
	for _, srv := range servers {
		for _, tt := range tests {
			t.Run(srv.name+"/"+tt.name, func(t *testing.T) {
				url := srv.start(t, &collector{}, tt.opts...)
				code, hdr, _ := post(t, http.MethodOptions, url, tt.hdr, "")
				if code != tt.code {
					t.Fatalf("status %d, want %d", code, tt.code)
				}
				if hdr.Get("Allow") != "OPTIONS, POST" {
					t.Errorf("Allow %q (WEBHOOK-VALIDATION-7)", hdr.Get("Allow"))
				}
				_, hasOrigin := hdr["Webhook-Allowed-Origin"]
				_, hasRate := hdr["Webhook-Allowed-Rate"]
				if tt.noPermission {
					if hasOrigin || hasRate {
						t.Errorf("permission headers sent on refusal (WEBHOOK-VALIDATION-5): %v", hdr)
					}
					return
				}
				if hdr.Get("WebHook-Allowed-Origin") != tt.origin || hdr.Get("WebHook-Allowed-Rate") != tt.rate {
					t.Errorf("allowed origin %q rate %q, want %q %q", hdr.Get("WebHook-Allowed-Origin"), hdr.Get("WebHook-Allowed-Rate"), tt.origin, tt.rate)
				}
			})
		}
	}
}

func TestReply(t *testing.T) {
	echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = e.Clone()
		reply.SetID("reply-" + e.ID())
		return true, nil
	})
	for _, srv := range servers {
		for _, mode := range []binding.Mode{binding.ModeBinary, binding.ModeStructured} {
			t.Run(srv.name+"/"+mode.String(), func(t *testing.T) {
				s := newSender(t, srv.start(t, echo, cehttp.WithReplyMode(mode)))
				resp, err := s.Send(context.Background(), sample())
				if err != nil {
					t.Fatal(err)
				}
				want := sample()
				want.SetID("reply-" + want.ID())
				if resp.Status != 200 || resp.Reply == nil || !resp.Reply.Equal(want) {
					t.Fatalf("status %d reply %v, want 200 and\n%s", resp.Status, resp.Reply, dump(want))
				}
			})
		}
	}
}

// TestReplyWithoutDataContentType: a binary-mode reply whose event has
// data but no datacontenttype carries no Content-Type, on both servers;
// net/http would otherwise sniff one from the body (found by the
// conformance suite, JSON-DATA-18).
func TestReplyWithoutDataContentType(t *testing.T) {
	echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = e.Clone()
		return true, nil
	})
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, echo)
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range map[string]string{"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"} {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Ce-Id") != "1" {
				t.Fatalf("status %d, headers %v; want 200 and a reply", resp.StatusCode, resp.Header)
			}
			if ct, ok := resp.Header["Content-Type"]; ok {
				t.Errorf("the reply has Content-Type %q; the event has no datacontenttype", ct)
			}
		})
	}
}

func TestSenderRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer srv.Close()
	s := newSender(t, srv.URL, cehttp.WithRetry(3, time.Millisecond))
	resp, err := s.Send(context.Background(), sample())
	if err != nil || resp.Status != http.StatusAccepted || calls.Load() != 3 {
		t.Fatalf("Send: %v, %v after %d calls; want 202 after 3", resp, err, calls.Load())
	}
}

func TestSenderDoesNotRetry(t *testing.T) {
	tests := []struct {
		name  string
		code  int
		after string
	}{
		{"rejected", 400, ""},
		{"redirect not followed", http.StatusFound, ""}, // WEBHOOK-RESPONSE-3
		{"Retry-After beyond the limit", 429, "3600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if tt.after != "" {
					w.Header().Set("Retry-After", tt.after)
				}
				if tt.code == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.code)
			}))
			defer srv.Close()
			s := newSender(t, srv.URL, cehttp.WithRetry(3, time.Millisecond))
			_, err := s.Send(context.Background(), sample())
			var se *cehttp.StatusError
			if !errors.As(err, &se) || se.Code != tt.code || calls.Load() != 1 {
				t.Fatalf("Send: %v after %d calls; want status %d after 1", err, calls.Load(), tt.code)
			}
		})
	}
}

func TestSenderUnreachable(t *testing.T) {
	ln := listen(t)
	url := "http://" + ln.Addr().String() + "/"
	_ = ln.Close()
	s := newSender(t, url, cehttp.WithRetry(2, time.Millisecond))
	_, err := s.Send(context.Background(), sample())
	var ue *cehttp.UnreachableError
	if !errors.As(err, &ue) || !cehttp.IsRetryable(err) {
		t.Fatalf("Send to a closed port: %v, want a retryable UnreachableError", err)
	}
}

func TestSenderRefusesInvalidEvent(t *testing.T) {
	for _, mode := range []binding.Mode{binding.ModeBinary, binding.ModeStructured, binding.ModeBatch} {
		s := newSender(t, "http://127.0.0.1:1/", cehttp.WithMode(mode))
		e := sample()
		e.Delete(event.AttrID)
		if _, err := s.Send(context.Background(), e); !errors.Is(err, event.ErrInvalid) {
			t.Errorf("%v: Send of an invalid event: %v, want event.ErrInvalid", mode, err)
		}
	}
}

func TestOptionsValidated(t *testing.T) {
	bad := []cehttp.Option{
		cehttp.WithMaxBodyBytes(0),
		cehttp.WithReplyMode(binding.ModeBatch),
		cehttp.WithRetryAfter(time.Millisecond),
		cehttp.WithMaxInFlight(-1),
	}
	for i, o := range bad {
		if _, err := cehttp.NewHandler(&collector{}, o); err == nil {
			t.Errorf("option %d accepted", i)
		}
	}
	if _, err := cehttp.NewHandler(nil); err == nil {
		t.Error("nil handler accepted")
	}
	for _, u := range []string{"", "ftp://x/", "/relative", "http://"} {
		if _, err := cehttp.NewSender(u); err == nil {
			t.Errorf("NewSender(%q) accepted", u)
		}
	}
	if _, err := cehttp.NewSender("http://x/", cehttp.WithHeader("ce-id", "1")); err == nil {
		t.Error("WithHeader(ce-id) accepted")
	}
}

func TestSenderRequestPermission(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, &collector{}, cehttp.WithAllowedOrigins("a.example"), cehttp.WithAllowedRate(30))
			s := newSender(t, url)
			rate, err := s.RequestPermission(context.Background(), "a.example", 100)
			if err != nil || rate != "30" {
				t.Errorf("granted %q, %v; want 30", rate, err)
			}
			_, err = s.RequestPermission(context.Background(), "b.example", 0)
			var se *cehttp.StatusError
			if !errors.As(err, &se) || se.Code != http.StatusForbidden {
				t.Errorf("refused origin: %v, want a 403", err)
			}
		})
	}
}

func TestSenderAttemptTimeoutIsRetried(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select { // outlive the first attempt's timeout
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release)
	s := newSender(t, srv.URL, cehttp.WithRetry(2, time.Millisecond), cehttp.WithRequestTimeout(time.Second))
	resp, err := s.Send(context.Background(), sample())
	if err != nil || resp.Status != http.StatusNoContent || calls.Load() != 2 {
		t.Fatalf("Send: %v, %v after %d calls; want 204 after 2", resp, err, calls.Load())
	}
}
