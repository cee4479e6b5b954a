// Package otlptest is an in-process OTLP/HTTP trace receiver for tests:
// it listens on a loopback port, decodes the protobuf export requests a
// collector would get, and keeps the spans for a test to read.
package otlptest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	collectortracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// MaxRequestBytes is the largest export request the receiver reads; a
// larger one is answered 413.
const MaxRequestBytes = 16 << 20

// A Span is one received span, flattened for tests.
type Span struct {
	Name         string
	Kind         string // "SPAN_KIND_CONSUMER", ...
	TraceID      string // 32 hex digits
	SpanID       string // 16 hex digits
	ParentSpanID string // 16 hex digits, "" for a root span
	Flags        uint32
	Status       string // "STATUS_CODE_OK", "STATUS_CODE_ERROR" or "STATUS_CODE_UNSET"
	Message      string // the status message
	// Attributes holds each attribute's value as text: strings as they
	// are, integers in decimal, others in their protobuf text form.
	Attributes map[string]string
	// Resource holds the resource's attributes the same way.
	Resource map[string]string
	Scope    string // the instrumentation scope's name
}

// Receiver is an OTLP/HTTP trace receiver. It is safe for concurrent
// use. The zero value is not usable; call [Start].
type Receiver struct {
	// URL is the receiver's base URL, http://127.0.0.1:PORT; it accepts
	// exports at /v1/traces.
	URL string

	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	spans    []Span
	requests int
	paths    []string
	status   int
	hold     chan struct{} // while not nil, exports wait for it to close
	changed  chan struct{} // closed and replaced whenever spans arrive
}

// Start starts a receiver on 127.0.0.1 at a free port. Close it when
// done.
func Start() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("otlptest: %w", err)
	}
	r := &Receiver{URL: "http://" + ln.Addr().String(), ln: ln, status: http.StatusOK, changed: make(chan struct{})}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Close stops the receiver and closes its connections.
func (r *Receiver) Close() error { return r.srv.Close() }

// FailWith makes the receiver answer every export with status (200 to
// accept again).
func (r *Receiver) FailWith(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

// Hold makes exports wait, before they are read, until the returned
// function is called (or the request's context ends). It lets a test
// fill an exporter's queue.
func (r *Receiver) Hold() (release func()) {
	ch := make(chan struct{})
	r.mu.Lock()
	r.hold = ch
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.hold = nil
			r.mu.Unlock()
			close(ch)
		})
	}
}

// Spans returns the spans received so far, in arrival order.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Requests returns how many export requests arrived (accepted or not)
// and the URL path of each.
func (r *Receiver) Requests() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, append([]string(nil), r.paths...)
}

// Wait returns the received spans once at least n have arrived, or an
// error when ctx ends first.
func (r *Receiver) Wait(ctx context.Context, n int) ([]Span, error) {
	for {
		r.mu.Lock()
		got, ch := len(r.spans), r.changed
		r.mu.Unlock()
		if got >= n {
			return r.Spans(), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return r.Spans(), fmt.Errorf("otlptest: %d spans arrived, not %d: %w", got, n, ctx.Err())
		}
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests++
	r.paths = append(r.paths, req.URL.Path)
	status, hold := r.status, r.hold
	r.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-req.Context().Done():
			return
		}
	}
	if req.Method != http.MethodPost {
		http.Error(w, "POST an export request", http.StatusMethodNotAllowed)
		return
	}
	if status != http.StatusOK {
		http.Error(w, "failing on purpose", status)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxRequestBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg collectortracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &msg); err != nil {
		http.Error(w, "not an ExportTraceServiceRequest: "+err.Error(), http.StatusBadRequest)
		return
	}
	var got []Span
	for _, rs := range msg.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				got = append(got, Span{
					Name: s.GetName(), Kind: s.GetKind().String(),
					TraceID: hex.EncodeToString(s.GetTraceId()), SpanID: hex.EncodeToString(s.GetSpanId()),
					ParentSpanID: hex.EncodeToString(s.GetParentSpanId()), Flags: s.GetFlags(),
					Status: s.GetStatus().GetCode().String(), Message: s.GetStatus().GetMessage(),
					Attributes: attrs(s.GetAttributes()), Resource: res, Scope: ss.GetScope().GetName(),
				})
			}
		}
	}
	out, err := proto.Marshal(&collectortracepb.ExportTraceServiceResponse{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	r.mu.Lock()
	r.spans = append(r.spans, got...)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = v.GetStringValue()
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = strconv.FormatInt(v.GetIntValue(), 10)
		default:
			m[kv.GetKey()] = v.String()
		}
	}
	return m
}
