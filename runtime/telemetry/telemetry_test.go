package telemetry_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/config"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/telemetry"
	"github.com/openevents/openevents/runtime/telemetry/otlptest"
	"github.com/openevents/openevents/runtime/trace"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The tracer is what the host takes.
var _ host.Tracer = (*telemetry.Tracer)(nil)

const (
	parentTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentSpan  = "00f067aa0ba902b7"
	parentTP    = "00-" + parentTrace + "-" + parentSpan + "-01"
)

// wait is how long a test waits for spans: long, for a busy machine.
const wait = 30 * time.Second

func receiver(t *testing.T) *otlptest.Receiver {
	t.Helper()
	r, err := otlptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// newTracer builds a tracer that sends each span at once and shuts it
// down at the end of the test; errs collects the error hook's reports.
func newTracer(t *testing.T, endpoint string, opts ...telemetry.Option) (*telemetry.Tracer, *errorLog) {
	t.Helper()
	log := &errorLog{}
	opts = append([]telemetry.Option{telemetry.WithBatchTimeout(10 * time.Millisecond), telemetry.WithErrorHook(log.add)}, opts...)
	tr, err := telemetry.New(endpoint, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return tr, log
}

type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// newHost runs fn behind a host with the tracer, without retries' waits.
func newHost(t *testing.T, tr host.Tracer, fn function.Func, opts ...host.Option) *host.Trigger {
	t.Helper()
	opts = append([]host.Option{host.WithTracer(tr), host.WithFunctionName("fn"), host.WithTimeout(0),
		host.WithBackoff(time.Microsecond, time.Microsecond)}, opts...)
	h, err := host.New(fn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Drain(context.Background()); h.Close() })
	return h.Trigger("http")
}

func newEvent(id string) *event.Event {
	e := event.New(id, "/shop", "com.example.order")
	e.SetSubject("order-1")
	return &e
}

func waitSpans(t *testing.T, r *otlptest.Receiver, n int) []otlptest.Span {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	spans, err := r.Wait(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return spans
}

// TestSpanContinuesTheEventsTrace sends an event with a traceparent
// extension through a host and checks the span the collector gets: the
// parent, the attributes, the status, and that the function's context
// names the span as the parent of what it sends on.
func TestSpanContinuesTheEventsTrace(t *testing.T) {
	r := receiver(t)
	tr, errs := newTracer(t, r.URL, telemetry.WithServiceName("orders"))
	var seen string
	trig := newHost(t, tr, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
		seen = trace.FromContext(ctx)
		return nil, nil
	})
	e := newEvent("e-1")
	e.SetExtension(trace.Extension, event.String(parentTP))
	if _, err := trig.Dispatch(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	s := waitSpans(t, r, 1)[0]
	if s.TraceID != parentTrace || s.ParentSpanID != parentSpan {
		t.Errorf("span trace %s parent %s; want trace %s parent %s", s.TraceID, s.ParentSpanID, parentTrace, parentSpan)
	}
	if want := "00-" + parentTrace + "-" + s.SpanID + "-01"; seen != want {
		t.Errorf("the function's traceparent is %q; want the span's own, %q", seen, want)
	}
	want := map[string]string{
		"cloudevents.event_id": "e-1", "cloudevents.event_source": "/shop", "cloudevents.event_type": "com.example.order",
		"cloudevents.event_spec_version": "1.0", "cloudevents.event_subject": "order-1",
		telemetry.AttrTrigger: "http", telemetry.AttrFunction: "fn", telemetry.AttrOutcome: "acknowledged",
	}
	for k, v := range want {
		if s.Attributes[k] != v {
			t.Errorf("attribute %s = %q; want %q (all: %v)", k, s.Attributes[k], v, s.Attributes)
		}
	}
	if s.Name != "process fn" || s.Kind != "SPAN_KIND_CONSUMER" || s.Status != "STATUS_CODE_OK" {
		t.Errorf("span %q kind %s status %s; want \"process fn\", consumer, ok", s.Name, s.Kind, s.Status)
	}
	if s.Resource["service.name"] != "orders" || s.Scope != telemetry.ScopeName {
		t.Errorf("resource %v scope %q", s.Resource, s.Scope)
	}
	if _, paths := r.Requests(); len(paths) == 0 || paths[0] != telemetry.TracesPath {
		t.Errorf("export paths %v; want %s for a base URL", paths, telemetry.TracesPath)
	}
	if got := errs.all(); len(got) != 0 {
		t.Errorf("error hook: %v", got)
	}
}

// TestTriggerParentWins: a traceparent the trigger put in the context
// (its protocol's header) is the parent, not the event's extension.
func TestTriggerParentWins(t *testing.T) {
	r := receiver(t)
	tr, _ := newTracer(t, r.URL)
	trig := newHost(t, tr, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })
	e := newEvent("e-2")
	e.SetExtension(trace.Extension, event.String(parentTP))
	header := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	if _, err := trig.Dispatch(trace.NewContext(context.Background(), header), e); err != nil {
		t.Fatal(err)
	}
	s := waitSpans(t, r, 1)[0]
	if s.TraceID != "0af7651916cd43dd8448eb211c80319c" || s.ParentSpanID != "b7ad6b7169203331" {
		t.Errorf("span trace %s parent %s; want the header's", s.TraceID, s.ParentSpanID)
	}
}

// TestNewTrace: without a traceparent the span is the root of a new,
// sampled trace, which the function's context carries.
func TestNewTrace(t *testing.T) {
	r := receiver(t)
	tr, _ := newTracer(t, r.URL)
	var seen string
	trig := newHost(t, tr, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
		seen = trace.FromContext(ctx)
		return nil, nil
	})
	if _, err := trig.Dispatch(context.Background(), newEvent("e-3")); err != nil {
		t.Fatal(err)
	}
	s := waitSpans(t, r, 1)[0]
	if s.ParentSpanID != "" {
		t.Errorf("parent %q; want a root span", s.ParentSpanID)
	}
	if want := "00-" + s.TraceID + "-" + s.SpanID + "-01"; seen != want {
		t.Errorf("function saw %q; want %q", seen, want)
	}
}

// TestUnsampledParent: a parent whose sampled flag is clear gives a span
// that is passed on, unsampled, and not exported.
func TestUnsampledParent(t *testing.T) {
	r := receiver(t)
	tr, _ := newTracer(t, r.URL)
	var seen string
	trig := newHost(t, tr, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
		seen = trace.FromContext(ctx)
		return nil, nil
	})
	e := newEvent("e-4")
	e.SetExtension(trace.Extension, event.String("00-"+parentTrace+"-"+parentSpan+"-00"))
	if _, err := trig.Dispatch(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	p, err := trace.Parse(seen)
	if err != nil || p.Sampled() || p.ParentID == [8]byte{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7} {
		t.Errorf("function saw %q (%v); want a new, unsampled span of the same trace", seen, err)
	}
	if !strings.Contains(seen, parentTrace) {
		t.Errorf("function saw %q; want trace %s", seen, parentTrace)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.Spans(); len(got) != 0 {
		t.Errorf("exported %d spans of an unsampled trace", len(got))
	}
	if s := tr.Stats(); s.Ended != 0 {
		t.Errorf("stats %+v; want no sampled span", s)
	}
}

// TestOutcomes: the status and outcome attribute follow what Dispatch
// returned.
func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		outcome  string
		attempts string
		message  string
	}{
		{"failed", errors.New("boom"), "failed", "2", "boom"},
		{"rejected", fmt.Errorf("bad order: %w", binding.ErrRejected), "rejected", "", "bad order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := receiver(t)
			tr, _ := newTracer(t, r.URL)
			trig := newHost(t, tr, func(context.Context, *event.Event) (*event.Event, error) { return nil, tc.err },
				host.WithAttempts(2))
			if _, err := trig.Dispatch(context.Background(), newEvent("e-5")); err == nil {
				t.Fatal("Dispatch succeeded")
			}
			s := waitSpans(t, r, 1)[0]
			if s.Status != "STATUS_CODE_ERROR" || !strings.Contains(s.Message, tc.message) {
				t.Errorf("status %s %q; want an error saying %q", s.Status, s.Message, tc.message)
			}
			if s.Attributes[telemetry.AttrOutcome] != tc.outcome || s.Attributes[telemetry.AttrAttempts] != tc.attempts {
				t.Errorf("outcome %q attempts %q; want %q %q", s.Attributes[telemetry.AttrOutcome],
					s.Attributes[telemetry.AttrAttempts], tc.outcome, tc.attempts)
			}
		})
	}
}

// TestExportFailureReported: a collector that refuses is reported
// through the error hook, never logged, and counted.
func TestExportFailureReported(t *testing.T) {
	r := receiver(t)
	r.FailWith(http.StatusBadRequest) // not retryable: one report per batch
	tr, errs := newTracer(t, r.URL)
	trig := newHost(t, tr, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })
	if _, err := trig.Dispatch(context.Background(), newEvent("e-6")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	got := errs.all()
	if len(got) != 1 || !errors.Is(got[0], telemetry.ErrExport) || !strings.Contains(got[0].Error(), r.URL) {
		t.Fatalf("error hook got %v; want one ErrExport naming %s", got, r.URL)
	}
	if s := tr.Stats(); s.Ended != 1 || s.Failed != 1 || s.Exported != 0 {
		t.Errorf("stats %+v; want 1 ended, 1 failed", s)
	}
}

// TestQueueFullDropsAndReports fills a one-span queue while the
// collector holds the first export: the spans that find it full are
// dropped, the events are not held up, and Shutdown reports how many.
func TestQueueFullDropsAndReports(t *testing.T) {
	r := receiver(t)
	release := r.Hold()
	defer release()
	tr, errs := newTracer(t, r.URL, telemetry.WithQueueSize(1), telemetry.WithBatchSize(1),
		telemetry.WithExportTimeout(time.Minute))
	trig := newHost(t, tr, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })
	const n = 20
	for i := range n {
		if _, err := trig.Dispatch(context.Background(), newEvent("q-"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	release()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s := tr.Stats()
	lost := s.Ended - s.Exported - s.Failed
	// One in the export, one in the batch, one in the queue at most.
	if s.Ended != n || lost < n-3 || s.Exported != int64(len(r.Spans())) {
		t.Fatalf("stats %+v, %d received; want %d ended and at least %d dropped", s, len(r.Spans()), n, n-3)
	}
	got := errs.all()
	if len(got) != 1 || !errors.Is(got[0], telemetry.ErrExport) || !strings.Contains(got[0].Error(), "dropped") {
		t.Fatalf("error hook got %v; want one report of the dropped spans", got)
	}
}

// TestEnvironmentIgnored: OTEL_* variables for the exporter, the batcher
// and the sampler change nothing; the resource variables add to the
// resource, as documented, and the service name option wins.
func TestEnvironmentIgnored(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "0")
	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
	r := receiver(t)
	tr, _ := newTracer(t, r.URL)
	trig := newHost(t, tr, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })
	if _, err := trig.Dispatch(context.Background(), newEvent("e-7")); err != nil {
		t.Fatal(err)
	}
	s := waitSpans(t, r, 1)[0]
	if s.Resource["service.name"] != telemetry.DefaultServiceName || s.Resource["deployment.environment.name"] != "test" {
		t.Errorf("resource %v", s.Resource)
	}
}

// TestCustomPath: an endpoint with a path is used as given.
func TestCustomPath(t *testing.T) {
	r := receiver(t)
	tr, _ := newTracer(t, r.URL+"/otlp/traces")
	trig := newHost(t, tr, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })
	if _, err := trig.Dispatch(context.Background(), newEvent("e-8")); err != nil {
		t.Fatal(err)
	}
	waitSpans(t, r, 1)
	if _, paths := r.Requests(); paths[0] != "/otlp/traces" {
		t.Errorf("export path %s; want /otlp/traces", paths[0])
	}
}

// TestAttributeLengthBounded: a huge event id is cut to the limit.
func TestAttributeLengthBounded(t *testing.T) {
	r := receiver(t)
	tr, _ := newTracer(t, r.URL)
	trig := newHost(t, tr, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })
	if _, err := trig.Dispatch(context.Background(), newEvent(strings.Repeat("x", 3*telemetry.MaxAttributeLength))); err != nil {
		t.Fatal(err)
	}
	s := waitSpans(t, r, 1)[0]
	if n := len(s.Attributes["cloudevents.event_id"]); n != telemetry.MaxAttributeLength {
		t.Errorf("event id attribute of %d characters; want %d", n, telemetry.MaxAttributeLength)
	}
}

// TestConfigErrors attacks every option's limit.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint string
		opts     []telemetry.Option
		want     string
	}{
		{"not a URL", "http://[::1", nil, "is not a URL"},
		{"scheme", "grpc://127.0.0.1:4317", nil, "the scheme must be http or https"},
		{"no host", "http:///v1/traces", nil, "has no host"},
		{"query", "http://127.0.0.1:4318/?a=b", nil, "a query or a fragment"},
		{"TLS with http", "http://127.0.0.1:4318", []telemetry.Option{telemetry.WithTLS(&tls.Config{})}, "plaintext endpoint"},
		{"queue 0", "http://h:1", []telemetry.Option{telemetry.WithQueueSize(0)}, "queue size 0 is out of range"},
		{"queue huge", "http://h:1", []telemetry.Option{telemetry.WithQueueSize(telemetry.MaxQueueSize + 1)}, "queue size 1048577"},
		{"batch 0", "http://h:1", []telemetry.Option{telemetry.WithBatchSize(0)}, "batch size 0 is out of range"},
		{"batch over queue", "http://h:1", []telemetry.Option{telemetry.WithQueueSize(10), telemetry.WithBatchSize(11)}, "more than the queue size 10"},
		{"batch timeout", "http://h:1", []telemetry.Option{telemetry.WithBatchTimeout(0)}, "batch timeout 0s"},
		{"batch timeout huge", "http://h:1", []telemetry.Option{telemetry.WithBatchTimeout(2 * time.Hour)}, "batch timeout 2h0m0s"},
		{"export timeout", "http://h:1", []telemetry.Option{telemetry.WithExportTimeout(-time.Second)}, "export timeout -1s"},
		{"service name", "http://h:1", []telemetry.Option{telemetry.WithServiceName("")}, "service name is empty"},
		{"error hook", "http://h:1", []telemetry.Option{telemetry.WithErrorHook(nil)}, "error hook is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := telemetry.New(tc.endpoint, tc.opts...)
			if err == nil {
				_ = tr.Shutdown(context.Background())
				t.Fatal("New accepted it")
			}
			if !errors.Is(err, telemetry.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q; want ErrConfig saying %q", err, tc.want)
			}
		})
	}
}

// TestConfigDefaultsAgree: runtime/config states the defaults without
// linking this package; they must be the same.
func TestConfigDefaultsAgree(t *testing.T) {
	if config.DefaultOTLPQueue != telemetry.DefaultQueueSize || config.DefaultOTLPBatch != telemetry.DefaultBatchSize ||
		config.DefaultOTLPBatchTimeout != telemetry.DefaultBatchTimeout || config.DefaultOTLPTimeout != telemetry.DefaultExportTimeout {
		t.Error("runtime/config's OTLP defaults differ from runtime/telemetry's")
	}
}

// TestOffByDefault: a host without a tracer exports nothing and a
// tracer that never saw a span sends no request; goleak (TestMain)
// checks that Shutdown leaves no goroutine.
func TestOffByDefault(t *testing.T) {
	r := receiver(t)
	tr, err := telemetry.New(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(function.Func(func(context.Context, *event.Event) (*event.Event, error) { return nil, nil }), host.WithTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Trigger("http").Dispatch(context.Background(), newEvent("e-9")); err != nil {
		t.Fatal(err)
	}
	_ = h.Drain(context.Background())
	h.Close()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.Requests(); n != 0 {
		t.Errorf("%d export requests; want none", n)
	}
}
