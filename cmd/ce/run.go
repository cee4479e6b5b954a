package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/runtime/admin"
	"github.com/openevents/openevents/runtime/builtin"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trigger"
	cegrpc "github.com/openevents/openevents/transports/grpc"
	cehttp "github.com/openevents/openevents/transports/http"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

const runLong = `Run hosts a function behind event triggers: every event that arrives
is handed to the function, at most --concurrency at once, and is
acknowledged only once the function succeeded (or, after --attempts
failures, once the dead-letter sink took it).

With no flags, ce run starts the built-in echo function on:

  HTTP  127.0.0.1:8080   all three content modes; the reply is the response
  gRPC  127.0.0.1:50051  openevents.v1.EventService and CloudEventService
  MQTT  127.0.0.1:1883   an embedded broker; the function subscribes to
                         events/# and replies to the MQTT 5 response topic

and serves /healthz, /readyz and /metrics (Prometheus) on the HTTP address
(those paths are reserved; events go to any other path), or on --admin.
Give an empty address ("--grpc ''") to leave a trigger out. Listening
beyond loopback needs an address that says so (0.0.0.0:8080).

When every slot is busy and --queue callers already wait, HTTP answers 429
with Retry-After and gRPC RESOURCE_EXHAUSTED; MQTT takes no further
message until the one in hand is done.

SIGINT or SIGTERM drains: /readyz fails, the triggers stop taking events,
the events in flight finish within --drain-timeout, unacknowledged MQTT
messages stay with the broker, and ce run exits 0.`

type runOptions struct {
	fn           string
	httpAddr     string
	grpcAddr     string
	brokerAddr   string
	topic        string
	adminAddr    string
	concurrency  int
	queue        int
	timeout      time.Duration
	attempts     int
	drainTimeout time.Duration
}

func newRunCommand(stdout, stderr io.Writer) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [flags]",
		Short: "Host a function behind HTTP, gRPC and MQTT triggers",
		Long:  runLong,
		Example: `  ce run
  curl -i -X POST localhost:8080 -H 'ce-specversion: 1.0' -H 'ce-id: 1' \
       -H 'ce-source: /curl' -H 'ce-type: com.example.hello' \
       -H 'content-type: application/json' -d '{"hello":"world"}'
  ce run --function noop --grpc '' --mqtt-broker '' --concurrency 256`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runFunction(ctx, stdout, stderr, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.fn, "function", "echo", "built-in function: echo (reply with the event) or noop")
	f.StringVar(&o.httpAddr, "http", "127.0.0.1:8080", "HTTP trigger address (empty: none)")
	f.StringVar(&o.grpcAddr, "grpc", "127.0.0.1:50051", "gRPC trigger address (empty: none)")
	f.StringVar(&o.brokerAddr, "mqtt-broker", "127.0.0.1:1883", "address of the embedded MQTT broker the MQTT trigger subscribes at (empty: none)")
	f.StringVar(&o.topic, "topic", "events/#", "MQTT topic filter of the MQTT trigger")
	f.StringVar(&o.adminAddr, "admin", "", "serve /healthz, /readyz and /metrics here instead of on the HTTP trigger's address")
	f.IntVar(&o.concurrency, "concurrency", host.DefaultConcurrency, "functions running at once")
	f.IntVar(&o.queue, "queue", 0, "events waiting for a slot before more are refused (default: --concurrency)")
	f.DurationVar(&o.timeout, "timeout", host.DefaultTimeout, "time one attempt of the function may take")
	f.IntVar(&o.attempts, "attempts", host.DefaultAttempts, "attempts per event before it fails")
	f.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "time the events in flight get to finish on SIGTERM")
	return cmd
}

// builtinFunction returns the built-in function called name.
func builtinFunction(name string) (function.Function, error) {
	switch name {
	case "echo":
		return builtin.Echo(), nil
	case "noop":
		return builtin.Noop(), nil
	}
	return nil, fmt.Errorf("--function %q: want echo or noop", name)
}

func runFunction(ctx context.Context, stdout, stderr io.Writer, o *runOptions) error {
	fn, err := builtinFunction(o.fn)
	if err != nil {
		return usageError(err)
	}
	if o.httpAddr == "" && o.grpcAddr == "" && o.brokerAddr == "" {
		return usageError(errors.New("every trigger is off: give --http, --grpc or --mqtt-broker an address"))
	}
	if o.httpAddr == "" && o.adminAddr == "" {
		return usageError(errors.New("with no HTTP trigger, /healthz, /readyz and /metrics need --admin ADDR"))
	}
	h, err := host.New(fn, host.Options{FunctionName: o.fn, Concurrency: o.concurrency, QueueSize: o.queue,
		Timeout: o.timeout, Attempts: o.attempts,
		OnSinkError: func(sink, id string, err error) {
			_, _ = fmt.Fprintf(stderr, "%s sink failed for event %s: %v\n", sink, id, err)
		}})
	if err != nil {
		return usageError(err)
	}
	var state admin.State
	routes := admin.Routes(h.Gatherer(), &state, h)
	report := func(peer string, err error) { _, _ = fmt.Fprintf(stderr, "%s: %v\n", peer, err) }

	var sources []trigger.Source
	var endpoints []string
	if o.brokerAddr != "" {
		b, err := broker.New(o.brokerAddr)
		if err != nil {
			return failure(fmt.Errorf("embedded MQTT broker: %w (choose another address with --mqtt-broker, or '' for none)", err))
		}
		defer func() { _ = b.Close() }()
		t, err := trigger.NewMQTT(b.URL(), o.topic, h.Trigger("mqtt"),
			[]cemqtt.SubscriberOption{cemqtt.WithClientID("ce-run"), cemqtt.WithErrorHook(report)}, nil)
		if err != nil {
			return usageError(err)
		}
		sources = append(sources, t)
		endpoints = append(endpoints, fmt.Sprintf("MQTT  %s (embedded broker; topic filter %s)", b.URL(), o.topic))
	}
	if o.grpcAddr != "" {
		t, err := trigger.NewGRPC(o.grpcAddr, "--grpc", h.Trigger("grpc"), cegrpc.WithErrorHook(report))
		if err != nil {
			return usageError(err)
		}
		sources = append(sources, t)
		defer func() { endpoints = append(endpoints, "gRPC  "+t.Addr()) }()
	}
	var httpT *trigger.HTTP
	if o.httpAddr != "" {
		opts := []cehttp.Option{cehttp.WithErrorHook(report), cehttp.WithMaxInFlight(o.concurrency + max(o.queue, o.concurrency))}
		if o.adminAddr == "" {
			for path, rh := range routes {
				opts = append(opts, cehttp.WithRoute(path, rh))
			}
		}
		httpT, err = trigger.NewHTTP(o.httpAddr, "--http", h.Trigger("http"), opts...)
		if err != nil {
			return usageError(err)
		}
		sources = append(sources, httpT)
	}
	var adminSrv *http.Server
	if o.adminAddr != "" {
		ln, err := net.Listen("tcp", o.adminAddr)
		if err != nil {
			return failure(fmt.Errorf("--admin %s: %w", o.adminAddr, err))
		}
		adminSrv = &http.Server{Handler: admin.Mux(h.Gatherer(), &state, h), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = adminSrv.Serve(ln) }()
		defer func() { _ = adminSrv.Close() }()
		endpoints = append(endpoints, "admin "+ln.Addr().String())
	}

	started := sources[:0:0]
	stopAll := func() error {
		state.Draining()
		dctx, cancel := context.WithTimeout(context.Background(), o.drainTimeout)
		defer cancel()
		var errs []error
		for _, s := range started {
			if err := s.Shutdown(dctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
			}
		}
		if err := h.Drain(dctx); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	for _, s := range sources {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := s.Start(sctx)
		cancel()
		if err != nil {
			_ = stopAll()
			return failure(err)
		}
		started = append(started, s)
	}
	state.Started()

	var b strings.Builder
	fmt.Fprintf(&b, "ce run: function %s, concurrency %d\n", o.fn, o.concurrency)
	if httpT != nil {
		fmt.Fprintf(&b, "  HTTP  http://%s/", httpT.Addr())
		if o.adminAddr == "" {
			b.WriteString("  (and /healthz, /readyz, /metrics)")
		}
		b.WriteString("\n")
	}
	for _, s := range started {
		if g, ok := s.(*trigger.GRPC); ok {
			fmt.Fprintf(&b, "  gRPC  %s\n", g.Addr())
		}
	}
	for _, ep := range endpoints {
		fmt.Fprintf(&b, "  %s\n", ep)
	}
	if httpT != nil {
		fmt.Fprintf(&b, "try:\n  curl -i -X POST http://%s/ -H 'ce-specversion: 1.0' -H 'ce-id: 1' -H 'ce-source: /curl' -H 'ce-type: com.example.hello' -H 'content-type: application/json' -d '{\"hello\":\"world\"}'\n", httpT.Addr())
	}
	b.WriteString("stop with Ctrl-C (SIGINT) or SIGTERM: in-flight events finish first\n")
	if _, err := io.WriteString(stderr, b.String()); err != nil {
		_ = stopAll()
		return failure(err)
	}

	<-ctx.Done()
	_, _ = fmt.Fprintln(stderr, "ce run: draining")
	if err := stopAll(); err != nil {
		return failure(err)
	}
	_, _ = fmt.Fprintln(stderr, "ce run: stopped")
	_ = stdout
	return nil
}
