package builtin_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/runtime/builtin"
	"github.com/openevents/openevents/runtime/filter"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/sink"
	cehttp "github.com/openevents/openevents/transports/http"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The built-ins are function.Functions.
var (
	_ function.Function = builtin.Echo()
	_ function.Function = builtin.Noop()
	_ function.Function = (*builtin.Logger)(nil)
	_ function.Function = (*builtin.Forwarder)(nil)
	_ function.Function = (*builtin.Filtered)(nil)
)

func newEvent(id string) *event.Event {
	e := event.New(id, "/runtime/builtin/test", "com.example.created")
	e.SetSubject("orders/" + id)
	e.SetExtension("myext", event.String("v-"+id))
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"id":"` + id + `"}`))
	return &e
}

func TestEcho(t *testing.T) {
	e := newEvent("1")
	reply, err := builtin.Echo().Call(context.Background(), e)
	if err != nil || reply != e {
		t.Errorf("Echo = %p, %v; want the event itself (%p), nil", reply, err, e)
	}
}

func TestNoop(t *testing.T) {
	reply, err := builtin.Noop().Call(context.Background(), newEvent("1"))
	if reply != nil || err != nil {
		t.Errorf("Noop = %v, %v; want nil, nil", reply, err)
	}
}

// lineWriter records each Write call; it is not safe for concurrent use,
// so the race detector catches a Logger that lets calls overlap.
type lineWriter struct {
	writes [][]byte
	fail   error
}

func (w *lineWriter) Write(p []byte) (int, error) {
	if w.fail != nil {
		return 0, w.fail
	}
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func TestLog(t *testing.T) {
	w := &lineWriter{}
	l := builtin.Log(w)
	const workers, each = 8, 100
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				reply, err := l.Call(context.Background(), newEvent(strconv.Itoa(g)+"-"+strconv.Itoa(i)))
				if reply != nil || err != nil {
					t.Errorf("Log = %v, %v; want nil, nil", reply, err)
				}
			}
		})
	}
	wg.Wait()
	if len(w.writes) != workers*each {
		t.Fatalf("%d writes, want one per event, %d", len(w.writes), workers*each)
	}
	seen := map[string]bool{}
	for _, p := range w.writes {
		if bytes.Count(p, []byte("\n")) != 1 || p[len(p)-1] != '\n' {
			t.Fatalf("write %q is not one line", p)
		}
		var e event.Event
		if err := jsonformat.Decode(p[:len(p)-1], &e); err != nil {
			t.Fatalf("line %q: %v", p, err)
		}
		want := newEvent(e.ID())
		if !e.Equal(want) {
			t.Errorf("line %q is not the event sent", p)
		}
		seen[e.ID()] = true
	}
	if len(seen) != workers*each {
		t.Errorf("%d distinct events logged, want %d", len(seen), workers*each)
	}
}

func TestLogErrors(t *testing.T) {
	w := &lineWriter{fail: errors.New("disk full")}
	_, err := builtin.Log(w).Call(context.Background(), newEvent("1"))
	if err == nil || !strings.Contains(err.Error(), "disk full") || errors.Is(err, binding.ErrRejected) {
		t.Errorf("writer failure: %v, want a transient error naming the cause", err)
	}

	// An event that cannot be written in the JSON format is refused for
	// good, and nothing is written.
	ok := &lineWriter{}
	bad := newEvent("2")
	bad.SetData([]byte(`{not json`))
	_, err = builtin.Log(ok).Call(context.Background(), bad)
	var ee *jsonformat.EncodeError
	if !errors.Is(err, binding.ErrRejected) || !errors.As(err, &ee) {
		t.Errorf("unencodable event: %v, want a *jsonformat.EncodeError matching binding.ErrRejected", err)
	}
	if len(ok.writes) != 0 {
		t.Errorf("the refused event wrote %q", ok.writes)
	}
}

// badSink is a sink whose every Send fails with err; a real sink that
// fails on demand, standing for a destination that is down.
type badSink struct{ err error }

func (s badSink) Send(context.Context, *event.Event) error { return s.err }
func (s badSink) Close(context.Context) error              { return nil }

func TestForward(t *testing.T) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")}
	var sinks []function.Sink
	for _, p := range paths {
		s, err := sink.File(p)
		if err != nil {
			t.Fatal(err)
		}
		sinks = append(sinks, s)
	}
	f, err := builtin.Forward(sinks...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		reply, err := f.Call(context.Background(), newEvent(strconv.Itoa(i)))
		if reply != nil || err != nil {
			t.Fatalf("Forward = %v, %v; want nil, nil", reply, err)
		}
	}
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n != 3 {
			t.Errorf("%s has %d lines, want 3", p, n)
		}
	}
	// Close closed the sinks.
	if err := sinks[0].Send(context.Background(), newEvent("x")); !errors.Is(err, sink.ErrClosed) {
		t.Errorf("Send after Forwarder.Close: %v, want ErrClosed", err)
	}
}

// TestForwardRefusedIsTransient: a sink that refuses the event (HTTP 400,
// which matches binding.ErrRejected) makes Call fail transiently, and the
// sinks after it still get the event.
func TestForwardRefusedIsTransient(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		http.Error(w, "no thanks", http.StatusBadRequest)
	}))
	defer ts.Close()
	refusing, err := sink.HTTP(ts.URL, cehttp.WithRetry(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "after.jsonl")
	file, err := sink.File(path)
	if err != nil {
		t.Fatal(err)
	}
	down := badSink{errors.New("connection refused")}
	f, err := builtin.Forward(refusing, down, file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close(context.Background()) }()

	_, err = f.Call(context.Background(), newEvent("1"))
	if err == nil {
		t.Fatal("Forward succeeded though two sinks failed")
	}
	if errors.Is(err, binding.ErrRejected) {
		t.Errorf("Forward's error %v matches binding.ErrRejected; a sink's refusal must be transient", err)
	}
	for _, w := range []string{"builtin: forward: sink 0: sink: http " + ts.URL, "400", "no thanks", "sink 1: connection refused"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	var se *builtin.SinkError
	var status *cehttp.StatusError
	if !errors.As(err, &se) || se.Index != 0 || !errors.As(se.Err, &status) || status.Code != http.StatusBadRequest {
		t.Errorf("error %v: want a *SinkError for sink 0 holding the *cehttp.StatusError", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte("\n")) != 1 {
		t.Errorf("the sink after the failed ones holds %q, want the event", b)
	}
}

func TestForwardConfigErrors(t *testing.T) {
	if _, err := builtin.Forward(); err == nil {
		t.Error("Forward() accepted no sink")
	}
	if _, err := builtin.Forward(badSink{}, nil); err == nil || !strings.Contains(err.Error(), "sink 1 is nil") {
		t.Errorf("Forward with a nil sink: %v", err)
	}
}

// failing is a function that fails every call.
var failing = function.Func(func(context.Context, *event.Event) (*event.Event, error) {
	return nil, errors.New("downstream failed")
})

func TestFilter(t *testing.T) {
	f, err := filter.ParseJSON([]byte(`[{"prefix":{"subject":"orders/"}},{"not":{"exact":{"myext":"v-skip"}}}]`))
	if err != nil {
		t.Fatal(err)
	}
	g := builtin.Filter(f, builtin.Echo())
	in := newEvent("1")
	if reply, err := g.Call(context.Background(), in); reply != in || err != nil {
		t.Errorf("matching event: %v, %v; want the echo", reply, err)
	}
	skip := newEvent("skip")
	if reply, err := g.Call(context.Background(), skip); reply != nil || err != nil {
		t.Errorf("non-matching event: %v, %v; want nil, nil", reply, err)
	}
	other := newEvent("2")
	other.SetSubject("users/2")
	if reply, err := g.Call(context.Background(), other); reply != nil || err != nil {
		t.Errorf("non-matching event: %v, %v; want nil, nil", reply, err)
	}
	if s := g.Stats(); s != (builtin.FilterStats{Matched: 1, Skipped: 2}) {
		t.Errorf("Stats = %+v, want 1 matched, 2 skipped", s)
	}

	// next's error comes back as is; a skipped event never reaches it.
	h := builtin.Filter(f, failing)
	if _, err := h.Call(context.Background(), newEvent("3")); err == nil || err.Error() != "downstream failed" {
		t.Errorf("next's error: %v", err)
	}
	if _, err := h.Call(context.Background(), skip); err != nil {
		t.Errorf("a skipped event failed: %v", err)
	}

	// A nil next accepts matching events with no reply.
	n := builtin.Filter(f, nil)
	if reply, err := n.Call(context.Background(), newEvent("4")); reply != nil || err != nil {
		t.Errorf("nil next: %v, %v", reply, err)
	}
	if s := n.Stats(); s.Matched != 1 {
		t.Errorf("nil next: Stats = %+v", s)
	}

	// The zero Filter lets everything through.
	z := builtin.Filter(filter.Filter{}, builtin.Echo())
	if reply, _ := z.Call(context.Background(), skip); reply != skip {
		t.Error("the zero filter held an event back")
	}
}

// TestFilterConcurrent: the counters add up under concurrent calls.
func TestFilterConcurrent(t *testing.T) {
	f, err := filter.ParseJSON([]byte(`[{"suffix":{"id":"0"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	g := builtin.Filter(f, builtin.Noop())
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := g.Call(context.Background(), newEvent(strconv.Itoa(w*each+i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if s := g.Stats(); s.Matched != workers*each/10 || s.Skipped != workers*each*9/10 {
		t.Errorf("Stats = %+v, want %d matched and %d skipped", s, workers*each/10, workers*each*9/10)
	}
}

// TestAllocs: echo, noop and filter add no allocation; a warm Logger
// encodes into a pooled buffer.
func TestAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation (sync.Pool drops items under -race)")
	}
	f, err := filter.ParseJSON([]byte(`[{"any":[{"exact":{"type":"x"}},{"prefix":{"subject":"orders/"}}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	e := newEvent("1")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		fn   function.Function
	}{
		{"echo", builtin.Echo()},
		{"noop", builtin.Noop()},
		{"filter-match", builtin.Filter(f, builtin.Echo())},
		{"filter-skip", builtin.Filter(f, builtin.Noop())},
		{"log", builtin.Log(io.Discard)},
	} {
		if tc.name == "filter-skip" {
			e.SetSubject("users/1")
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = tc.fn.Call(ctx, e) }); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", tc.name, n)
		}
	}
}

func BenchmarkCall(b *testing.B) {
	f, err := filter.ParseJSON([]byte(`[{"prefix":{"type":"com.example."}},{"not":{"exact":{"myext":"skip"}}}]`))
	if err != nil {
		b.Fatal(err)
	}
	skip, err := filter.ParseJSON([]byte(`[{"exact":{"type":"other"}}]`))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		fn   function.Function
	}{
		{"echo", builtin.Echo()},
		{"noop", builtin.Noop()},
		{"filter-match-echo", builtin.Filter(f, builtin.Echo())},
		{"filter-skip", builtin.Filter(skip, builtin.Echo())},
		{"log-discard", builtin.Log(io.Discard)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEvent("bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.fn.Call(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("filter-match-echo-parallel", func(b *testing.B) {
		fn := builtin.Filter(f, builtin.Echo())
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			e := newEvent("bench")
			ctx := context.Background()
			for pb.Next() {
				_, _ = fn.Call(ctx, e)
			}
		})
	})
}
