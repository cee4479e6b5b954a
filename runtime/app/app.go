// Package app assembles a function runtime from its configuration: the
// function (built-in, exec, http or grpc, behind an optional filter), the
// host with its limits, retries, dead-letter and reply sinks, the
// triggers, and the admin endpoints. ce run is a thin shell over it; a Go
// program can embed the same runtime by building a [config.Config].
package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/admin"
	"github.com/openevents/openevents/runtime/builtin"
	"github.com/openevents/openevents/runtime/config"
	"github.com/openevents/openevents/runtime/cron"
	"github.com/openevents/openevents/runtime/external"
	"github.com/openevents/openevents/runtime/filter"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/sink"
	"github.com/openevents/openevents/runtime/telemetry"
	"github.com/openevents/openevents/runtime/trigger"
	cegrpc "github.com/openevents/openevents/transports/grpc"
	cehttp "github.com/openevents/openevents/transports/http"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// Options are what the configuration file cannot say.
type Options struct {
	// Stdout is where the log built-in writes (default os.Stdout).
	Stdout io.Writer
	// OnError is told of refused messages, connection failures and sink
	// failures, one line each (default: dropped).
	OnError func(msg string)
	// AddrOption names the setting that chooses the address of trigger i
	// of kind ("http", "grpc"), for the error when it is taken (default
	// "triggers[i].kind.addr").
	AddrOption func(i int, kind string) string
}

// App is an assembled runtime.
type App struct {
	cfg   *config.Config
	opts  Options
	Host  *host.Host
	state admin.State

	sources []trigger.Source
	started []trigger.Source
	crons   []*cron.Trigger
	cronAt  []string                      // each cron trigger's schedule, for Endpoints
	closers []func(context.Context) error // sinks and external functions

	adminAddr   string
	adminSrv    *http.Server
	adminOnHTTP *trigger.HTTP
	grpc        *trigger.GRPC // the first grpc trigger, the subscribers sink
}

// subscribers is the sink of the Subscribe streams of the app's first
// grpc trigger, which is made after the sinks.
type subscribers struct{ a *App }

func (s subscribers) Send(ctx context.Context, e *event.Event) error {
	if s.a.grpc == nil {
		return errors.New("subscribers sink: the runtime has no grpc trigger")
	}
	return s.a.grpc.Send(ctx, e)
}

func (subscribers) Close(context.Context) error { return nil }

// New builds the runtime cfg describes; nothing listens or connects
// before Start, except the MQTT sinks (a publisher connects at once) and
// exec functions (their children start at once).
func New(ctx context.Context, cfg *config.Config, o Options) (a *App, err error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.OnError == nil {
		o.OnError = func(string) {}
	}
	if o.AddrOption == nil {
		o.AddrOption = func(i int, kind string) string { return fmt.Sprintf("triggers[%d].%s.addr", i, kind) }
	}
	a = &App{cfg: cfg, opts: o}
	built := a // a is nil once an error is returned; what it opened still is not
	defer func() {
		if err != nil {
			_ = built.closeAll(context.WithoutCancel(ctx))
		}
	}()
	fn, err := a.function(ctx)
	if err != nil {
		return nil, err
	}
	hopts := []host.Option{
		host.WithFunctionName(cfg.Function.Name),
		host.WithConcurrency(cfg.Concurrency),
		host.WithQueueSize(cfg.Queue),
		host.WithTimeout(cfg.Timeout),
		// Every function ce run hosts (built-in, exec, http, grpc) ends
		// its work when its context does, so the timeout needs no worker
		// goroutine to be enforced (the benchmark's ce-run receiver
		// mirrors this).
		host.WithCooperativeTimeout(true),
		host.WithAttempts(cfg.Retry.Attempts),
		host.WithBackoff(cfg.Retry.Backoff, cfg.Retry.MaxBackoff),
		host.WithPartitionOrder(cfg.OrderBy == config.OrderByPartitionKey),
		host.WithSinkErrorHook(func(s, id string, err error) {
			o.OnError(fmt.Sprintf("%s sink failed for event %s: %v", s, id, err))
		}),
	}
	if cfg.Dedupe != nil {
		hopts = append(hopts, host.WithDedupe(cfg.Dedupe.Window, cfg.Dedupe.Max))
	}
	if cfg.DeadLetter != nil {
		s, err := a.sink(ctx, cfg.DeadLetter)
		if err != nil {
			return nil, fmt.Errorf("deadLetter: %w", err)
		}
		hopts = append(hopts, host.WithDeadLetter(s))
	}
	for i := range cfg.Replies {
		s, err := a.sink(ctx, &cfg.Replies[i])
		if err != nil {
			return nil, fmt.Errorf("replies[%d]: %w", i, err)
		}
		hopts = append(hopts, host.WithReplies(s))
	}
	if t := cfg.Telemetry; t != nil && t.OTLP != nil {
		tr, err := a.tracer(t.OTLP)
		if err != nil {
			return nil, fmt.Errorf("telemetry.otlp: %w", err)
		}
		hopts = append(hopts, host.WithTracer(tr))
	}
	a.Host, err = host.New(fn, hopts...)
	if err != nil {
		return nil, err
	}
	if err := a.triggers(); err != nil {
		return nil, err
	}
	return a, nil
}

// tracer builds the OTLP exporter of one span per event, shut down
// (its last spans sent) with the sinks, after the host drained.
func (a *App) tracer(o *config.OTLP) (*telemetry.Tracer, error) {
	opts := []telemetry.Option{
		telemetry.WithHeaders(o.Headers),
		telemetry.WithErrorHook(func(err error) { a.opts.OnError(err.Error()) }),
	}
	// A zero field of a hand-built Config keeps the default.
	if o.Queue != 0 {
		opts = append(opts, telemetry.WithQueueSize(o.Queue))
	}
	if o.Batch != 0 {
		opts = append(opts, telemetry.WithBatchSize(o.Batch))
	}
	if o.BatchTimeout != 0 {
		opts = append(opts, telemetry.WithBatchTimeout(o.BatchTimeout))
	}
	if o.Timeout != 0 {
		opts = append(opts, telemetry.WithExportTimeout(o.Timeout))
	}
	if name := cmp.Or(o.ServiceName, a.cfg.Function.Name); name != "" {
		opts = append(opts, telemetry.WithServiceName(name))
	}
	if o.TLS != nil {
		tc, err := clientTLS(o.TLS)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		opts = append(opts, telemetry.WithTLS(tc))
	}
	tr, err := telemetry.New(o.Endpoint, opts...)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, tr.Shutdown)
	return tr, nil
}

// function builds the configured function behind its filter.
func (a *App) function(ctx context.Context) (function.Function, error) {
	f := &a.cfg.Function
	var fn function.Function
	switch f.Kind() {
	case "builtin":
		switch f.Builtin {
		case config.BuiltinEcho:
			fn = builtin.Echo()
		case config.BuiltinNoop:
			fn = builtin.Noop()
		case config.BuiltinLog:
			fn = builtin.Log(a.opts.Stdout)
		case config.BuiltinForward:
			sinks := make([]function.Sink, 0, len(a.cfg.Forward))
			for i := range a.cfg.Forward {
				s, err := a.sink(ctx, &a.cfg.Forward[i])
				if err != nil {
					return nil, fmt.Errorf("forward[%d]: %w", i, err)
				}
				sinks = append(sinks, s)
			}
			fw, err := builtin.Forward(sinks...)
			if err != nil {
				return nil, err
			}
			fn = fw
		default:
			return nil, fmt.Errorf("function.builtin: unknown built-in %q", f.Builtin)
		}
	case "exec":
		opts := []external.ExecOption{external.WithProcesses(f.Exec.Processes)}
		if f.Exec.Dir != "" {
			opts = append(opts, external.WithDir(f.Exec.Dir))
		}
		if len(f.Exec.Env) > 0 {
			env := os.Environ()
			for k, v := range f.Exec.Env {
				env = append(env, k+"="+v)
			}
			opts = append(opts, external.WithEnv(env...))
		}
		x, err := external.Exec(f.Exec.Command, opts...)
		if err != nil {
			return nil, fmt.Errorf("function.exec: %w", err)
		}
		a.closers = append(a.closers, x.Close)
		fn = x
	case "http":
		x, err := external.HTTP(f.HTTP.URL, cehttp.WithRetry(1, time.Millisecond))
		if err != nil {
			return nil, fmt.Errorf("function.http: %w", err)
		}
		a.closers = append(a.closers, x.Close)
		fn = x
	case "grpc":
		x, err := external.GRPC(f.GRPC.Target)
		if err != nil {
			return nil, fmt.Errorf("function.grpc: %w", err)
		}
		a.closers = append(a.closers, x.Close)
		fn = x
	default:
		return nil, errors.New("function: none configured")
	}
	if len(f.Filter) > 0 {
		flt, err := filter.New(filterValues(f.Filter))
		if err != nil {
			return nil, fmt.Errorf("function.filter: %w", err)
		}
		fn = builtin.Filter(flt, fn)
	}
	return fn, nil
}

// filterValues turns the typed filters back into the generic form that
// filter.New compiles.
func filterValues(fs []config.Filter) []any {
	out := make([]any, 0, len(fs))
	for i := range fs {
		out = append(out, filterValue(&fs[i]))
	}
	return out
}

func filterValue(f *config.Filter) map[string]any {
	strs := func(m map[string]string) map[string]any {
		o := make(map[string]any, len(m))
		for k, v := range m {
			o[k] = v
		}
		return o
	}
	switch {
	case f.Exact != nil:
		return map[string]any{"exact": strs(f.Exact)}
	case f.Prefix != nil:
		return map[string]any{"prefix": strs(f.Prefix)}
	case f.Suffix != nil:
		return map[string]any{"suffix": strs(f.Suffix)}
	case f.All != nil:
		return map[string]any{"all": filterValues(f.All)}
	case f.Any != nil:
		return map[string]any{"any": filterValues(f.Any)}
	case f.Not != nil:
		return map[string]any{"not": filterValue(f.Not)}
	}
	return map[string]any{}
}

// sink builds one sink and remembers to close it.
func (a *App) sink(ctx context.Context, s *config.Sink) (function.Sink, error) {
	var out function.Sink
	switch s.Kind() {
	case "http":
		x, err := sink.HTTP(s.HTTP)
		if err != nil {
			return nil, err
		}
		out = x
	case "grpc":
		x, err := sink.GRPC(s.GRPC)
		if err != nil {
			return nil, err
		}
		out = x
	case "mqtt":
		var opts []cemqtt.PublisherOption
		if s.MQTT.TLS != nil {
			tc, err := clientTLS(s.MQTT.TLS)
			if err != nil {
				return nil, err
			}
			opts = append(opts, cemqtt.WithTLS(tc))
		}
		x, err := sink.MQTT(ctx, s.MQTT.URL, s.MQTT.Topic, opts...)
		if err != nil {
			return nil, err
		}
		out = x
	case "file":
		x, err := sink.File(s.File)
		if err != nil {
			return nil, err
		}
		out = x
	case "subscribers":
		out = subscribers{a}
	default:
		return nil, errors.New("no sink configured")
	}
	a.closers = append(a.closers, out.Close)
	return out, nil
}

// triggers builds the triggers, with the admin endpoints on the first
// HTTP trigger whose address is the admin address.
func (a *App) triggers() error {
	a.adminAddr = a.cfg.Admin
	routes := admin.Routes(a.Host.Gatherer(), &a.state, a.Host)
	report := func(peer string, err error) { a.opts.OnError(peer + ": " + err.Error()) }
	for i := range a.cfg.Triggers {
		t := &a.cfg.Triggers[i]
		where := fmt.Sprintf("triggers[%d]", i)
		switch t.Kind() {
		case "http":
			opts := []cehttp.Option{cehttp.WithErrorHook(report), cehttp.WithMaxInFlight(a.cfg.Concurrency + max(a.cfg.Queue, 1))}
			if t.HTTP.TLS != nil {
				tc, err := serverTLS(t.HTTP.TLS)
				if err != nil {
					return fmt.Errorf("%s.http.tls: %w", where, err)
				}
				opts = append(opts, cehttp.WithTLS(tc))
			}
			// A port-0 address names a new listener, not this trigger's,
			// unless the admin address was taken from it.
			adminHere := a.adminOnHTTP == nil && t.HTTP.Addr == a.adminAddr && (a.cfg.AdminShared || !zeroPort(a.adminAddr))
			if adminHere {
				for path, h := range routes {
					opts = append(opts, cehttp.WithRoute(path, h))
				}
			}
			tr, err := trigger.NewHTTP(t.HTTP.Addr, a.opts.AddrOption(i, "http"), a.Host.Trigger("http"), opts...)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if adminHere {
				a.adminOnHTTP = tr
			}
			a.sources = append(a.sources, tr)
		case "grpc":
			opts := []cegrpc.ServerOption{cegrpc.WithErrorHook(report)}
			if t.GRPC.TLS != nil {
				tc, err := serverTLS(t.GRPC.TLS)
				if err != nil {
					return fmt.Errorf("%s.grpc.tls: %w", where, err)
				}
				opts = append(opts, cegrpc.WithTLS(tc))
			}
			tr, err := trigger.NewGRPC(t.GRPC.Addr, a.opts.AddrOption(i, "grpc"), a.Host.Trigger("grpc"), opts...)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			if a.grpc == nil {
				a.grpc = tr
			}
			a.sources = append(a.sources, tr)
		case "mqtt":
			m := t.MQTT
			ver := cemqtt.Version5
			if m.Version == config.MQTT311 {
				ver = cemqtt.Version311
			}
			// The subscriber and the reply publisher share version and TLS;
			// the publisher connects with a client id of its own.
			// As many messages in flight as the host runs functions, each
			// acknowledged in arrival order once it and those before it
			// are settled.
			subOpts := []cemqtt.SubscriberOption{cemqtt.WithVersion(ver), cemqtt.WithQoS(byte(m.QoS)), cemqtt.WithErrorHook(report),
				cemqtt.WithConcurrency(min(a.cfg.Concurrency, cemqtt.MaxConcurrency))}
			pubOpts := []cemqtt.PublisherOption{cemqtt.WithVersion(ver)}
			if m.ClientID != "" {
				subOpts = append(subOpts, cemqtt.WithClientID(m.ClientID))
			}
			if m.TLS != nil {
				tc, err := clientTLS(m.TLS)
				if err != nil {
					return fmt.Errorf("%s.mqtt.tls: %w", where, err)
				}
				subOpts = append(subOpts, cemqtt.WithTLS(tc))
				pubOpts = append(pubOpts, cemqtt.WithTLS(tc))
			}
			topic := m.Topic
			if m.ShareGroup != "" {
				topic = "$share/" + m.ShareGroup + "/" + topic
			}
			tr, err := trigger.NewMQTT(m.URL, topic, a.Host.Trigger("mqtt"), subOpts, pubOpts)
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			a.sources = append(a.sources, tr)
		case "cron":
			c := t.Cron
			tt := a.Host.Trigger("cron")
			ct, err := cron.NewTrigger(c.Parsed, c.Source, c.Type, func(ctx context.Context, e *event.Event) error {
				_, err := tt.Dispatch(ctx, e)
				return err
			}, cron.WithErrorHook(func(err error) { a.opts.OnError("cron: " + err.Error()) }))
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			a.crons = append(a.crons, ct)
			a.cronAt = append(a.cronAt, c.Schedule)
		}
	}
	return nil
}

// Start starts the triggers and the admin server and marks the runtime
// ready. On failure it stops what it started.
func (a *App) Start(ctx context.Context) error {
	if a.adminOnHTTP == nil {
		ln, err := net.Listen("tcp", a.adminAddr)
		if err != nil {
			return fmt.Errorf("admin %s: %w", a.adminAddr, err)
		}
		a.adminSrv = &http.Server{Handler: admin.Mux(a.Host.Gatherer(), &a.state, a.Host), ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
		a.adminAddr = ln.Addr().String()
		go func() { _ = a.adminSrv.Serve(ln) }()
	}
	for _, s := range a.sources {
		if err := s.Start(ctx); err != nil {
			_ = a.Stop(context.WithoutCancel(ctx))
			return err
		}
		a.started = append(a.started, s)
	}
	for _, c := range a.crons {
		if err := c.Start(ctx); err != nil {
			_ = a.Stop(context.WithoutCancel(ctx))
			return err
		}
	}
	a.state.Started()
	return nil
}

// Endpoints describes what the runtime listens on, one line each.
func (a *App) Endpoints() []string {
	var out []string
	for _, s := range a.started {
		out = append(out, s.Name())
	}
	for _, at := range a.cronAt {
		out = append(out, "cron "+at)
	}
	if a.adminOnHTTP != nil {
		out = append(out, "admin http://"+a.adminOnHTTP.Addr()+" (/healthz, /readyz, /metrics)")
	} else {
		out = append(out, "admin http://"+a.adminAddr+" (/healthz, /readyz, /metrics)")
	}
	return out
}

// HTTPAddr returns the bound address of the first HTTP trigger, or "".
func (a *App) HTTPAddr() string {
	for _, s := range a.started {
		if h, ok := s.(*trigger.HTTP); ok {
			return h.Addr()
		}
	}
	return ""
}

// GRPCAddr returns the bound address of the first gRPC trigger, or "".
func (a *App) GRPCAddr() string {
	if a.grpc == nil {
		return ""
	}
	return a.grpc.Addr()
}

// Stop drains: readiness fails, the triggers stop taking events, the
// functions in flight finish, then sinks and external functions close.
// ctx bounds all of it.
func (a *App) Stop(ctx context.Context) error {
	a.state.Draining()
	var errs []error
	for _, c := range a.crons {
		if err := c.Shutdown(ctx); err != nil && !errors.Is(err, cron.ErrClosed) {
			errs = append(errs, fmt.Errorf("cron: %w", err))
		}
	}
	for _, s := range a.started {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
		}
	}
	if a.Host != nil {
		if err := a.Host.Drain(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if a.adminSrv != nil {
		_ = a.adminSrv.Close()
	}
	if err := a.closeAll(ctx); err != nil {
		errs = append(errs, err)
	}
	if a.Host != nil {
		a.Host.Close()
	}
	return errors.Join(errs...)
}

func (a *App) closeAll(ctx context.Context) error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	a.closers = nil
	return errors.Join(errs...)
}

func serverTLS(c *config.ServerTLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCA != "" {
		pool, err := loadPool(c.ClientCA)
		if err != nil {
			return nil, err
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

func clientTLS(c *config.ClientTLS) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CA != "" {
		pool, err := loadPool(c.CA)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	if c.Cert != "" {
		cert, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func loadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path) //nolint:gosec // a path from the operator's configuration
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// zeroPort reports whether addr (host:port) asks for any free port.
func zeroPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
}
