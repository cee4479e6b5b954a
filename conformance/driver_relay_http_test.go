package conformance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/app"
	"github.com/openevents/openevents/runtime/config"
	"github.com/openevents/openevents/spec"
	cehttp "github.com/openevents/openevents/transports/http"
)

// relayFunc is a binding.Handler from a function.
type relayFunc func(ctx context.Context, e *event.Event) error

func (f relayFunc) Handle(ctx context.Context, e *event.Event) error { return f(ctx, e) }

// startHTTPRelay starts a small HTTP relay on 127.0.0.1: each event it takes
// is changed by mutate (when set) and sent on to sink in mode, each
// request rewritten by rewrite (when set) on the way out. It returns the
// relay's URL; the relay stops with the test.
func startHTTPRelay(t *testing.T, sink string, mode binding.Mode, mutate func(*event.Event), rewrite func(*http.Request)) string {
	t.Helper()
	opts := []cehttp.SenderOption{cehttp.WithMode(mode), cehttp.WithRetry(1, time.Millisecond)}
	if rewrite != nil {
		opts = append(opts, cehttp.WithDoer(doerFunc(func(r *http.Request) (*http.Response, error) {
			rewrite(r)
			return http.DefaultClient.Do(r)
		})))
	}
	s, err := cehttp.NewSender(sink, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := cehttp.NewServer(relayFunc(func(ctx context.Context, in *event.Event) error {
		e := in.Clone()
		if mutate != nil {
			mutate(&e)
		}
		_, err := s.Send(ctx, &e)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("the relay's server: %v", err)
		}
		s.CloseIdleConnections()
	})
	return "http://" + ln.Addr().String() + "/"
}

// startForward starts the function runtime as `ce run` would with the
// forward built-in and an http sink: an HTTP trigger on a free port that
// forwards every event to sink. It returns the trigger's URL.
func startForward(t *testing.T, sink string) string {
	t.Helper()
	yaml := "function: {builtin: forward}\nforward: [{http: \"" + sink + "\"}]\ntriggers: [{http: {addr: \"127.0.0.1:0\"}}]\nadmin: \"127.0.0.1:0\"\n"
	cfg, err := config.Parse([]byte(yaml), "relay.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.New(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("stopping the forward runtime: %v", err)
		}
	})
	return "http://" + a.HTTPAddr() + "/"
}

// runHTTPRelay runs the HTTP relay cases against the relay that start builds
// around the sink's URL, under profile p.
func runHTTPRelay(t *testing.T, p Profile, start func(sink string) string) *Result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in := start("http://" + ln.Addr().String() + "/")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{
		HTTPRelay:      &HTTPRelayTarget{HTTPTarget: HTTPTarget{URL: in}, Listener: ln},
		Profile:        p,
		LabelFilter:    "http && relay",
		RequestTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestHTTPRelay runs the HTTP relay cases against `ce run`'s forwarding
// (binary-mode sink) and a relay that forwards in structured mode, under
// both texts: every case passes, or is not tested for a reason that
// cannot hide a fault (outside the profile, or a check of the other
// output mode), and every case passes somewhere.
func TestHTTPRelay(t *testing.T) {
	passed := map[string]bool{}
	for _, run := range []struct {
		name  string
		text  string
		start func(t *testing.T, sink string) string
	}{
		{"forward", spec.Profile102, startForward},
		{"forward", spec.ProfileMain, startForward},
		{"structured", spec.Profile102, func(t *testing.T, sink string) string {
			return startHTTPRelay(t, sink, binding.ModeStructured, nil, nil)
		}},
	} {
		res := runHTTPRelay(t, claimAll(run.text), func(sink string) string { return run.start(t, sink) })
		n := 0
		for _, c := range res.Cases {
			if c.Role != RoleRelay || c.Binding != BindingHTTP {
				continue
			}
			n++
			switch {
			case c.Verdict == Pass:
				passed[c.Name] = true
			case c.Verdict == NotTested && (strings.Contains(c.Message, "profile") || strings.Contains(c.Message, "the relayed event came in")):
			default:
				t.Errorf("%s %s: %s: %s %s", run.name, run.text, c.Name, c.Verdict, c.Message)
			}
		}
		if n == 0 || !res.Passed {
			t.Errorf("%s %s: %d relay cases, passed %v", run.name, run.text, n, res.Passed)
		}
	}
	cases, err := Cases(spec.Default())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for i := range cases {
		c := &cases[i]
		if c.Role != RoleRelay || c.Binding != BindingHTTP {
			continue
		}
		if other, dup := ids[relayID(c)]; dup {
			t.Errorf("%s: its event id %q is used by %q too", c.Name, relayID(c), other)
		}
		ids[relayID(c)] = c.Name
		if !passed[c.Name] {
			t.Errorf("%s: passed in no run", c.Name)
		}
	}
}

// TestHTTPRelayFaults runs the HTTP relay cases against relays with one
// seeded fault each: the fault's requirement must be reported failed.
func TestHTTPRelayFaults(t *testing.T) {
	for _, f := range []struct {
		name    string
		want    string
		mode    binding.Mode
		mutate  func(*event.Event)
		rewrite func(*http.Request)
	}{
		{name: "drops-extension", want: "CORE-OPTIONAL-1", mode: binding.ModeBinary, mutate: func(e *event.Event) {
			e.Delete("comexampleext")
		}},
		{name: "truncates-data", want: "CORE-SIZE-2", mode: binding.ModeBinary, mutate: func(e *event.Event) {
			if d := e.Data(); len(d) > 32<<10 {
				e.SetData(append([]byte(nil), d[:32<<10]...))
			}
		}},
		{name: "own-traceparent", want: "EXT-DISTTRACE-7", mode: binding.ModeBinary, mutate: func(e *event.Event) {
			if e.Has("traceparent") {
				e.SetExtension("traceparent", event.String("00-11111111111111111111111111111111-2222222222222222-01"))
			}
		}},
		{name: "drops-traceparent", want: "EXT-DISTTRACE-1", mode: binding.ModeBinary, mutate: func(e *event.Event) {
			e.Delete("traceparent")
		}},
		{name: "drops-expirytime", want: "EXT-EXPIRY-8", mode: binding.ModeBinary, mutate: func(e *event.Event) {
			e.Delete("expirytime")
		}},
		{name: "restamps-recordedtime", want: "EXT-RECORDED-6", mode: binding.ModeBinary, mutate: func(e *event.Event) {
			if e.Has("recordedtime") {
				e.SetExtension("recordedtime", event.String("2030-01-01T00:00:00Z"))
			}
		}},
		{name: "no-implied-content-type", want: "JSON-DATA-23", mode: binding.ModeBinary, rewrite: func(r *http.Request) {
			if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				r.Header["Content-Type"] = nil
			}
		}},
		{name: "raw-header-values", want: "HTTP-HEADER-VALUE-11", mode: binding.ModeBinary, rewrite: func(r *http.Request) {
			mapCE(r, func(v string) string {
				if d, err := binding.DecodeHeaderValue(v); err == nil {
					return d
				}
				return v
			})
		}},
		{name: "json-data-as-string", want: "JSON-DATA-3", mode: binding.ModeStructured, rewrite: func(r *http.Request) {
			rewriteStructured(r, func(m map[string]json.RawMessage) {
				if d, ok := m["data"]; ok && len(d) > 0 && d[0] == '{' {
					s, _ := json.Marshal(string(d))
					m["data"] = s
				}
			})
		}},
		{name: "bytes-as-text", want: "JSON-DATA-2", mode: binding.ModeStructured, rewrite: func(r *http.Request) {
			rewriteStructured(r, func(m map[string]json.RawMessage) {
				var s string
				if json.Unmarshal(m["data_base64"], &s) != nil {
					return
				}
				b, err := base64.StdEncoding.DecodeString(s)
				if err != nil {
					return
				}
				delete(m, "data_base64")
				m["data"], _ = json.Marshal(string(b))
			})
		}},
	} {
		t.Run(f.name, func(t *testing.T) {
			text := spec.Profile102
			if r, ok := spec.Default().Lookup(f.want); !ok {
				t.Fatalf("%s is not in the catalog", f.want)
			} else if !r.In(text) {
				text = spec.ProfileMain
			}
			res := runHTTPRelay(t, claimAll(text), func(sink string) string {
				return startHTTPRelay(t, sink, f.mode, f.mutate, f.rewrite)
			})
			wantCaught(t, res, "relay "+f.name, f.want)
		})
	}
}

// TestHTTPRelayConfig: a relay target needs a sink, and a sink that
// cannot be listened on is an error before anything is sent.
func TestHTTPRelayConfig(t *testing.T) {
	_, err := Run(context.Background(), Config{HTTPRelay: &HTTPRelayTarget{HTTPTarget: HTTPTarget{URL: "http://127.0.0.1:1/"}}})
	if !IsConfigError(err) || !strings.Contains(err.Error(), "sink") {
		t.Errorf("no sink: %v, want a configuration error naming the sink", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Close() }()
	_, err = Run(context.Background(), Config{HTTPRelay: &HTTPRelayTarget{HTTPTarget: HTTPTarget{URL: "http://127.0.0.1:1/"}, Sink: busy.Addr().String()}})
	if err == nil || IsConfigError(err) || !strings.Contains(err.Error(), "sink") {
		t.Errorf("sink address in use: %v, want a run error naming the sink", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("sink address in use: %v, want the listen error wrapped", err)
	}
}
