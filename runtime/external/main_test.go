package external_test

import (
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/external"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// script is the command line running testdata/name with python3. A
// missing python3 fails the test that needs it.
func script(t testing.TB, name string, args ...string) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("the exec tests need python3: %v", err)
	}
	return append([]string{py, filepath.Join("testdata", name)}, args...)
}

// start runs cmd as an exec function closed when the test ends.
func start(t testing.TB, cmd []string, opts ...external.ExecOption) *external.ExecFunction {
	t.Helper()
	f, err := external.Exec(cmd, opts...)
	if err != nil {
		t.Fatalf("Exec(%q): %v", cmd, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// newEvent returns a valid event with text data.
func newEvent(id, typ, data string) *event.Event {
	e := event.New(id, "/external/test", typ)
	e.SetDataContentType("text/plain")
	e.SetData([]byte(data))
	return &e
}

// callCtx is a generous per-call context for a busy machine.
func callCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// logRecorder is a slog.Handler that keeps every record, so tests can
// wait for the one they expect without sleeping.
type logRecorder struct {
	mu      sync.Mutex
	records []record
	changed chan struct{} // closed and replaced on each record
}

type record struct {
	Msg   string
	Level slog.Level
	Attrs map[string]slog.Value
}

func newLogRecorder() *logRecorder { return &logRecorder{changed: make(chan struct{})} }

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := record{Msg: r.Message, Level: r.Level, Attrs: map[string]slog.Value{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value
		return true
	})
	h.mu.Lock()
	h.records = append(h.records, rec)
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
	return nil
}

// logger returns a logger writing to h.
func (h *logRecorder) logger() *slog.Logger { return slog.New(h) }

// matching returns the records with message msg for which ok is true.
func (h *logRecorder) matching(msg string, ok func(record) bool) []record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []record
	for _, r := range h.records {
		if r.Msg == msg && (ok == nil || ok(r)) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor waits until at least n records with message msg satisfy ok,
// and returns them; it fails the test after 30 s.
func (h *logRecorder) waitFor(t testing.TB, n int, msg string, ok func(record) bool) []record {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		changed := h.changed
		h.mu.Unlock()
		if got := h.matching(msg, ok); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline.C:
			h.mu.Lock()
			all := slices.Clone(h.records)
			h.mu.Unlock()
			t.Fatalf("no %d records %q after 30 s; have %+v", n, msg, all)
		}
	}
}

// pidIs matches records of child pid.
func pidIs(pid int) func(record) bool {
	return func(r record) bool { return r.Attrs["pid"].Int64() == int64(pid) }
}
