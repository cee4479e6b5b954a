package telemetry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trace"
)

// TracesPath is the path an endpoint URL without one gets: the OTLP/HTTP
// path of traces.
const TracesPath = "/v1/traces"

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/openevents/openevents/runtime/telemetry"

// Attribute keys of the spans besides the CloudEvents ones.
const (
	AttrTrigger  = "openevents.trigger"  // the trigger's name, e.g. "http"
	AttrFunction = "openevents.function" // the function's name
	// AttrOutcome is what the host answered: acknowledged, rejected,
	// overloaded, unavailable, failed or canceled.
	AttrOutcome = "openevents.outcome"
	// AttrAttempts is how many attempts failed, on a failed event.
	AttrAttempts = "openevents.attempts"
)

// A Tracer starts a span for each event a host dispatches and exports
// the spans over OTLP/HTTP; it implements host.Tracer. Build it with
// [New], give it to host.WithTracer, and end it with [Tracer.Shutdown]
// once the host has drained. It is safe for concurrent use.
type Tracer struct {
	tp        *sdktrace.TracerProvider
	tracer    oteltrace.Tracer
	exp       *countingExporter
	transport *http.Transport
	endpoint  string
	onError   func(error)
	ended     atomic.Int64
	shutdown  atomic.Bool
}

// New returns a tracer that exports to the OTLP/HTTP endpoint, an http
// or https URL: a collector's base URL ("http://127.0.0.1:4318") gets
// the path [TracesPath]; a URL with a path is used as it is. It does no
// I/O (the first export connects) but starts the goroutine that batches
// and exports spans, which [Tracer.Shutdown] ends. Errors wrap
// [ErrConfig] and name every bad option.
func New(endpoint string, opts ...Option) (*Tracer, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o.apply(&cfg)
	}
	u, uerr := endpointURL(endpoint)
	err := errors.Join(uerr, cfg.check())
	if u != nil && u.Scheme == "http" && cfg.tls != nil {
		err = errors.Join(err, fmt.Errorf("telemetry: TLS settings with the plaintext endpoint %s; use https: %w", u, ErrConfig))
	}
	if err != nil {
		return nil, err
	}
	tc := cfg.tls
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	// A transport of its own, closed at shutdown: the exporter's shared
	// one would keep idle connections (and their goroutines) for 90s.
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: cfg.exportTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   min(cfg.exportTimeout, 10*time.Second),
		MaxIdleConns:          2,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.exportTimeout,
		ForceAttemptHTTP2:     true,
	}
	client, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(u.String()),
		otlptracehttp.WithHTTPClient(&http.Client{Transport: transport, Timeout: cfg.exportTimeout}),
		otlptracehttp.WithHeaders(cfg.headers),
		otlptracehttp.WithCompression(otlptracehttp.NoCompression),
		otlptracehttp.WithTimeout(cfg.exportTimeout),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
			Enabled: true, InitialInterval: min(cfg.exportTimeout/8, time.Second),
			MaxInterval: min(cfg.exportTimeout/2, 5*time.Second), MaxElapsedTime: cfg.exportTimeout,
		}),
	)
	if err != nil {
		transport.CloseIdleConnections()
		return nil, fmt.Errorf("telemetry: the OTLP exporter for %s: %w", u, err)
	}
	t := &Tracer{transport: transport, endpoint: u.String(), onError: cfg.onError}
	t.exp = &countingExporter{SpanExporter: client, t: t}
	// Every setting is given, so that no OTEL_* variable changes one
	// behind the caller's back (see the package doc).
	t.tp = sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(t.exp,
			sdktrace.WithMaxQueueSize(cfg.queueSize),
			sdktrace.WithMaxExportBatchSize(cfg.batchSize),
			sdktrace.WithBatchTimeout(cfg.batchTimeout),
			sdktrace.WithExportTimeout(cfg.exportTimeout)),
		// WithResource adds OTEL_RESOURCE_ATTRIBUTES, as the package doc says.
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", cfg.serviceName))),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{
			AttributeValueLengthLimit:   MaxAttributeLength,
			AttributeCountLimit:         128,
			EventCountLimit:             128,
			LinkCountLimit:              128,
			AttributePerEventCountLimit: 128,
			AttributePerLinkCountLimit:  128,
		}),
	)
	t.tracer = t.tp.Tracer(ScopeName)
	return t, nil
}

// endpointURL checks an endpoint and gives a base URL the traces path.
func endpointURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("telemetry: endpoint %q is not a URL: %w", s, errors.Join(ErrConfig, err))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("telemetry: endpoint %q: the scheme must be http or https: %w", s, ErrConfig)
	case u.Host == "":
		return nil, fmt.Errorf("telemetry: endpoint %q has no host: %w", s, ErrConfig)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("telemetry: endpoint %q may not have user information, a query or a fragment: %w", s, ErrConfig)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = TracesPath
	}
	return u, nil
}

// Start starts the span of one dispatch of e, as host.Tracer asks: a
// child of the traceparent ctx carries (package runtime/trace), or the
// root of a new trace. The returned context carries the span (for
// OpenTelemetry instrumentation in a Go function) and its traceparent.
// The span copies what it keeps of e.
func (t *Tracer) Start(ctx context.Context, e *event.Event, trigger, function string) (context.Context, host.Span) {
	pctx := ctx
	if tp := trace.FromContext(ctx); tp != "" {
		if p, err := trace.Parse(tp); err == nil {
			pctx = oteltrace.ContextWithRemoteSpanContext(ctx, oteltrace.NewSpanContext(oteltrace.SpanContextConfig{
				TraceID:    p.TraceID,
				SpanID:     p.ParentID,
				TraceFlags: oteltrace.TraceFlags(p.Flags) & oteltrace.FlagsSampled,
				Remote:     true,
			}))
		}
	}
	attrs := make([]attribute.KeyValue, 0, 7)
	attrs = append(attrs,
		attribute.String("cloudevents.event_id", strings.Clone(e.ID())),
		attribute.String("cloudevents.event_source", strings.Clone(e.Source())),
		attribute.String("cloudevents.event_spec_version", strings.Clone(e.SpecVersion())),
		attribute.String("cloudevents.event_type", strings.Clone(e.Type())),
	)
	if sub := e.Subject(); sub != "" {
		attrs = append(attrs, attribute.String("cloudevents.event_subject", strings.Clone(sub)))
	}
	attrs = append(attrs, attribute.String(AttrTrigger, trigger), attribute.String(AttrFunction, function))
	sctx, span := t.tracer.Start(pctx, "process "+function,
		oteltrace.WithSpanKind(oteltrace.SpanKindConsumer), oteltrace.WithAttributes(attrs...))
	return trace.NewContext(sctx, traceparent(span.SpanContext())), &eventSpan{span: span, t: t}
}

// traceparent writes sc as a version-00 traceparent.
func traceparent(sc oteltrace.SpanContext) string {
	tid, sid := sc.TraceID(), sc.SpanID()
	b := make([]byte, 0, 55)
	b = append(b, "00-"...)
	b = appendHex(b, tid[:])
	b = append(b, '-')
	b = appendHex(b, sid[:])
	b = append(b, '-')
	b = appendHex(b, []byte{byte(sc.TraceFlags())})
	return string(b)
}

func appendHex(dst, src []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range src {
		dst = append(dst, digits[c>>4], digits[c&0xf])
	}
	return dst
}

// eventSpan is the host.Span of one dispatch.
type eventSpan struct {
	span oteltrace.Span
	t    *Tracer
}

// End sets the status and outcome from err and ends the span.
func (s *eventSpan) End(err error) {
	outcome := "acknowledged"
	if err == nil {
		s.span.SetStatus(codes.Ok, "")
	} else {
		outcome = outcomeOf(err)
		s.span.SetStatus(codes.Error, err.Error())
		if fe := (*host.FailedError)(nil); errors.As(err, &fe) {
			s.span.SetAttributes(attribute.Int(AttrAttempts, fe.Attempts))
		}
	}
	s.span.SetAttributes(attribute.String(AttrOutcome, outcome))
	if s.span.IsRecording() {
		s.t.ended.Add(1)
	}
	s.span.End()
}

// outcomeOf names the outcome a Dispatch error stands for.
func outcomeOf(err error) string {
	switch {
	case errors.Is(err, binding.ErrRejected):
		return "rejected"
	case errors.Is(err, binding.ErrOverloaded):
		return "overloaded"
	case errors.Is(err, binding.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		if fe := (*host.FailedError)(nil); !errors.As(err, &fe) {
			return "canceled"
		}
	}
	return "failed"
}

// Stats counts the spans of a [Tracer] since [New].
type Stats struct {
	// Ended is how many sampled spans ended. Ended − Exported − Failed
	// are waiting in the queue, being exported, or were dropped because
	// the queue was full; after Shutdown, none waits.
	Ended int64
	// Exported is how many spans the collector accepted.
	Exported int64
	// Failed is how many spans were in export requests that failed.
	Failed int64
}

// Stats returns the span counts so far.
func (t *Tracer) Stats() Stats {
	return Stats{Ended: t.ended.Load(), Exported: t.exp.exported.Load(), Failed: t.exp.failed.Load()}
}

// Shutdown exports the spans still queued, within ctx, and stops the
// exporter and its goroutine; spans ended afterwards are not exported.
// It reports spans that were never exported (dropped from a full queue,
// or still queued when ctx ended) through the error hook, and returns an
// error only when ctx ended before the export did. Later calls return
// nil.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if !t.shutdown.CompareAndSwap(false, true) {
		return nil
	}
	err := t.tp.Shutdown(ctx)
	t.transport.CloseIdleConnections()
	s := t.Stats()
	if lost := s.Ended - s.Exported - s.Failed; lost > 0 {
		t.onError(fmt.Errorf("%w: %d of %d spans were dropped before export (a full queue, or shutdown)", ErrExport, lost, s.Ended))
	}
	if err != nil {
		return fmt.Errorf("telemetry: shutdown: %w", err)
	}
	return nil
}

// countingExporter counts what the exporter sends and reports failures
// through the error hook, instead of OpenTelemetry's global handler
// (which logs).
type countingExporter struct {
	sdktrace.SpanExporter
	t        *Tracer
	exported atomic.Int64
	failed   atomic.Int64
}

func (x *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := x.SpanExporter.ExportSpans(ctx, spans); err != nil {
		x.failed.Add(int64(len(spans)))
		x.t.onError(fmt.Errorf("%w: %s spans to %s: %w", ErrExport, strconv.Itoa(len(spans)), x.t.endpoint, err))
		return nil // reported; the batcher would only hand it to the global handler
	}
	x.exported.Add(int64(len(spans)))
	return nil
}
