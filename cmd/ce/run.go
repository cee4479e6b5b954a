package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/runtime/app"
	"github.com/openevents/openevents/runtime/config"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

const runLong = `Run hosts a function behind event triggers: every event that arrives
is handed to the function, at most --concurrency at once, and is
acknowledged only once the function succeeded (or, after --attempts
failures, once the dead-letter sink took it).

With -f FILE the runtime is described by a configuration file (see
examples/function.yaml and schemas/function.schema.json): function,
filter, triggers, sinks, retries, dead letters, ordering, de-duplication.
The file is checked before anything starts; a problem is reported with its
line, column, field and rule, and exit status 2. --check only checks.

With no file, ce run starts a built-in function (--function, default
echo) on:

  HTTP  127.0.0.1:8080   all three content modes; the reply is the response
  gRPC  127.0.0.1:50051  openevents.v1.EventService and CloudEventService
  MQTT  127.0.0.1:1883   an embedded broker; the function subscribes to
                         events/# and replies to the MQTT 5 response topic

and serves /healthz, /readyz and /metrics (Prometheus) on the HTTP address
(those paths are reserved; events go to any other path), or on --admin.
Give an empty address ("--grpc ''") to leave a trigger out, and --mqtt URL
to subscribe at a broker of your own instead of the embedded one.
Listening beyond loopback needs an address that says so (0.0.0.0:8080).

When every slot is busy and --queue callers already wait, HTTP answers 429
with Retry-After and gRPC RESOURCE_EXHAUSTED; MQTT takes no further
message until the one in hand is done.

--otlp-endpoint URL (or telemetry.otlp in the file) records every event
as an OpenTelemetry span, a child of the event's traceparent (the HTTP
header or gRPC metadata, else its traceparent extension), and sends the
spans to that OTLP/HTTP collector (http://host:4318 gets /v1/traces);
the function's context, and so what it forwards, carries the new span.
Tracing is off by default. Of the OTEL_* variables only
OTEL_RESOURCE_ATTRIBUTES is read (it adds to the spans' resource); the
exporter's, batcher's and sampler's variables are ignored.

SIGINT or SIGTERM drains: /readyz fails, the triggers stop taking events,
the events in flight finish within --drain-timeout, unacknowledged MQTT
messages stay with the broker, and ce run exits 0.`

type runOptions struct {
	file         string
	check        bool
	fn           string
	httpAddr     string
	grpcAddr     string
	brokerAddr   string
	mqttURL      string
	clientID     string
	topic        string
	adminAddr    string
	concurrency  int
	queue        int
	timeout      time.Duration
	attempts     int
	drainTimeout time.Duration
	otlpEndpoint string
}

func newRunCommand(stdout, stderr io.Writer) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [-f FILE [--check]] [flags]",
		Short: "Host a function behind HTTP, gRPC, MQTT and cron triggers",
		Long:  runLong,
		Example: `  ce run
  curl -i -X POST localhost:8080 -H 'ce-specversion: 1.0' -H 'ce-id: 1' \
       -H 'ce-source: /curl' -H 'ce-type: com.example.hello' \
       -H 'content-type: application/json' -d '{"hello":"world"}'
  ce run --function noop --grpc '' --mqtt-broker '' --concurrency 256
  ce run -f examples/function.yaml --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runFunction(ctx, cmd, stdout, stderr, &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "configuration file (YAML); the flags below then do not apply")
	f.BoolVar(&o.check, "check", false, "with -f: check the file and exit")
	f.StringVar(&o.fn, "function", "echo", "built-in function: echo (reply with the event), noop, or log (print each event to standard output as a JSON line)")
	f.StringVar(&o.httpAddr, "http", config.DefaultHTTPAddr, "HTTP trigger address (empty: none)")
	f.StringVar(&o.grpcAddr, "grpc", config.DefaultGRPCAddr, "gRPC trigger address (empty: none)")
	f.StringVar(&o.brokerAddr, "mqtt-broker", "127.0.0.1:1883", "address of the embedded MQTT broker the MQTT trigger subscribes at (empty: none)")
	f.StringVar(&o.mqttURL, "mqtt", "", "subscribe at this MQTT broker (tcp://host:port) instead of starting the embedded one")
	f.StringVar(&o.clientID, "client-id", "ce-run", "MQTT client id: its persistent session lets a restarted ce run resume where the last one stopped")
	f.StringVar(&o.topic, "topic", "events/#", "MQTT topic filter of the MQTT trigger ($share/GROUP/FILTER to share the work between runtimes)")
	f.StringVar(&o.adminAddr, "admin", "", "serve /healthz, /readyz and /metrics here instead of on the HTTP trigger's address")
	f.IntVar(&o.concurrency, "concurrency", config.DefaultConcurrency, "functions running at once")
	f.IntVar(&o.queue, "queue", config.DefaultQueue, "events waiting for a slot before more are refused")
	f.DurationVar(&o.timeout, "timeout", config.DefaultTimeout, "time one attempt of the function may take")
	f.IntVar(&o.attempts, "attempts", config.DefaultRetryAttempts, "attempts per event before it fails")
	f.DurationVar(&o.drainTimeout, "drain-timeout", config.DefaultDrainTimeout, "time the events in flight get to finish on SIGTERM")
	f.StringVar(&o.otlpEndpoint, "otlp-endpoint", "", "send an OpenTelemetry span per event to this OTLP/HTTP collector URL (empty: no tracing)")
	return cmd
}

// flagConfig builds the configuration the flags describe; broker is the
// URL of the broker the MQTT trigger subscribes at ("" for none).
func flagConfig(o *runOptions, broker string) (*config.Config, error) {
	switch o.fn {
	case config.BuiltinEcho, config.BuiltinNoop, config.BuiltinLog:
	default:
		return nil, fmt.Errorf("--function %q: want echo, noop or log (others need -f FILE)", o.fn)
	}
	switch {
	case o.concurrency < 1:
		return nil, fmt.Errorf("--concurrency must be at least 1, not %d", o.concurrency)
	case o.queue < 0:
		return nil, fmt.Errorf("--queue must be 0 or more, not %d", o.queue)
	case o.attempts < 1:
		return nil, fmt.Errorf("--attempts must be at least 1, not %d", o.attempts)
	case o.timeout <= 0 || o.drainTimeout <= 0:
		return nil, errors.New("--timeout and --drain-timeout must be positive")
	case o.httpAddr == "" && o.grpcAddr == "" && broker == "":
		return nil, errors.New("every trigger is off: give --http, --grpc, --mqtt or --mqtt-broker an address")
	case o.httpAddr == "" && o.adminAddr == "":
		return nil, errors.New("with no HTTP trigger, /healthz, /readyz and /metrics need --admin ADDR")
	}
	if o.otlpEndpoint != "" {
		if u, err := url.Parse(o.otlpEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--otlp-endpoint %q: want an http:// or https:// URL of an OTLP collector", o.otlpEndpoint)
		}
	}
	cfg := &config.Config{
		Function:     config.Function{Name: o.fn, Builtin: o.fn},
		Concurrency:  o.concurrency,
		Queue:        o.queue,
		Timeout:      o.timeout,
		Retry:        config.Retry{Attempts: o.attempts, Backoff: config.DefaultRetryBackoff, MaxBackoff: config.DefaultRetryMaxBackoff},
		DrainTimeout: o.drainTimeout,
		Admin:        o.adminAddr,
	}
	if o.otlpEndpoint != "" {
		cfg.Telemetry = &config.Telemetry{OTLP: config.NewOTLP(o.otlpEndpoint, o.fn)}
	}
	if o.httpAddr != "" {
		cfg.Triggers = append(cfg.Triggers, config.Trigger{HTTP: &config.HTTPTrigger{Addr: o.httpAddr}})
		if cfg.Admin == "" {
			cfg.Admin, cfg.AdminShared = o.httpAddr, true
		}
	}
	if o.grpcAddr != "" {
		cfg.Triggers = append(cfg.Triggers, config.Trigger{GRPC: &config.GRPCTrigger{Addr: o.grpcAddr}})
	}
	if broker != "" {
		cfg.Triggers = append(cfg.Triggers, config.Trigger{MQTT: &config.MQTTTrigger{URL: broker, Topic: o.topic,
			Version: config.MQTT5, QoS: config.DefaultMQTTQoS, ClientID: o.clientID}})
	}
	return cfg, nil
}

func runFunction(ctx context.Context, cmd *cobra.Command, stdout, stderr io.Writer, o *runOptions) error {
	var cfg *config.Config
	if o.file != "" {
		for _, name := range []string{"function", "http", "grpc", "mqtt-broker", "mqtt", "client-id", "topic", "admin",
			"concurrency", "queue", "timeout", "attempts", "drain-timeout", "otlp-endpoint"} {
			if cmd.Flags().Changed(name) {
				return usageError(fmt.Errorf("--%s does not apply with -f: the file says it", name))
			}
		}
		var err error
		if cfg, err = config.Load(o.file); err != nil {
			return usageError(err)
		}
		if o.check {
			_, err := fmt.Fprintf(stdout, "%s: ok\n", o.file)
			return failure(err)
		}
	} else {
		if o.check {
			return usageError(errors.New("--check needs -f FILE"))
		}
		// The flags are checked before the embedded broker starts, so
		// that a usage error is one whatever the broker's port does.
		brokerURL := o.mqttURL
		embedded := brokerURL == "" && o.brokerAddr != ""
		if embedded {
			brokerURL = "tcp://" + o.brokerAddr // until the broker says where it listens
		}
		var err error
		if cfg, err = flagConfig(o, brokerURL); err != nil {
			return usageError(err)
		}
		if embedded {
			b, err := broker.New(o.brokerAddr)
			if err != nil {
				return failure(fmt.Errorf("embedded MQTT broker: %w (choose another address with --mqtt-broker, or '' for none)", err))
			}
			defer func() { _ = b.Close() }()
			for _, t := range cfg.Triggers {
				if t.MQTT != nil {
					t.MQTT.URL = b.URL()
				}
			}
		}
	}

	opts := app.Options{Stdout: stdout, OnError: func(msg string) { _, _ = fmt.Fprintln(stderr, msg) }}
	if o.file == "" {
		opts.AddrOption = func(_ int, kind string) string { return "--" + kind }
	}
	a, err := app.New(ctx, cfg, opts)
	if err != nil {
		return failure(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = a.Start(sctx)
	cancel()
	if err != nil {
		return failure(err)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "ce run: function %s, concurrency %d\n", cfg.Function.Name, cfg.Concurrency)
	for _, ep := range a.Endpoints() {
		fmt.Fprintf(&b, "  %s\n", ep)
	}
	if t := cfg.Telemetry; t != nil && t.OTLP != nil {
		fmt.Fprintf(&b, "  traces to %s (OTLP/HTTP)\n", t.OTLP.Endpoint)
	}
	if addr := a.HTTPAddr(); addr != "" {
		fmt.Fprintf(&b, "try:\n  curl -i -X POST http://%s/ -H 'ce-specversion: 1.0' -H 'ce-id: 1' -H 'ce-source: /curl' -H 'ce-type: com.example.hello' -H 'content-type: application/json' -d '{\"hello\":\"world\"}'\n", addr)
	}
	b.WriteString("stop with Ctrl-C (SIGINT) or SIGTERM: in-flight events finish first\n")
	if _, err := io.WriteString(stderr, b.String()); err != nil {
		_ = a.Stop(context.WithoutCancel(ctx))
		return failure(err)
	}

	<-ctx.Done()
	_, _ = fmt.Fprintln(stderr, "ce run: draining")
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.DrainTimeout)
	defer dcancel()
	if err := a.Stop(dctx); err != nil {
		return failure(err)
	}
	_, _ = fmt.Fprintln(stderr, "ce run: stopped")
	return nil
}
