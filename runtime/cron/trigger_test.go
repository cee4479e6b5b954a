package cron_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/cron"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a Clock that moves only when the test advances it. Each
// call of After is announced on waits, so a test knows when the trigger
// is waiting and for which time.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waits   chan time.Time // the deadline of each After call
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waits: make(chan time.Time, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := waiter{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		w.ch <- c.now
	} else {
		c.waiters = append(c.waiters, w)
	}
	c.waits <- w.at
	return w.ch
}

// Set moves the clock to t and fires the waiters due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
		} else {
			w.ch <- t
		}
	}
	c.waiters = kept
}

// waitFor returns the deadline of the trigger's next After call.
func (c *fakeClock) waitFor(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-c.waits:
		return at
	case <-time.After(30 * time.Second):
		t.Fatal("the trigger never waited on the clock")
		return time.Time{}
	}
}

// hookErrors collects what the trigger reports to its error hook.
type hookErrors struct {
	mu   sync.Mutex
	errs []error
}

func (h *hookErrors) hook(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs = append(h.errs, err)
}

func (h *hookErrors) get() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]error(nil), h.errs...)
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func shutdown(t *testing.T, tr *cron.Trigger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTriggerFires drives a trigger through two ticks with a fake clock
// and checks the events it makes.
func TestTriggerFires(t *testing.T) {
	clock := newFakeClock(utc("2026-03-01T10:00:30Z"))
	events := make(chan event.Event, 10)
	dispatch := func(ctx context.Context, e *event.Event) error {
		events <- e.Clone()
		return nil
	}
	sched := must[*cron.Schedule](t)(cron.Parse("*/5 * * * *"))
	tr := must[*cron.Trigger](t)(cron.NewTrigger(sched, "/cron/orders", "com.example.tick", dispatch, cron.WithClock(clock)))
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, tr)

	if at := clock.waitFor(t); !at.Equal(utc("2026-03-01T10:05:00Z")) {
		t.Fatalf("first wait until %s, want 10:05", at)
	}
	clock.Set(utc("2026-03-01T10:05:00Z"))
	e := <-events
	if err := e.Validate(); err != nil {
		t.Fatalf("the event is not valid: %v", err)
	}
	if !uuidV4.MatchString(e.ID()) || e.Source() != "/cron/orders" || e.Type() != "com.example.tick" ||
		e.Time() != "2026-03-01T10:05:00Z" || e.HasData() || e.SpecVersion() != "1.0" {
		t.Fatalf("event id %q source %q type %q time %q data %v specversion %q",
			e.ID(), e.Source(), e.Type(), e.Time(), e.HasData(), e.SpecVersion())
	}
	first := e.ID()

	if at := clock.waitFor(t); !at.Equal(utc("2026-03-01T10:10:00Z")) {
		t.Fatalf("second wait until %s, want 10:10", at)
	}
	// The timer fires late (a busy machine, a suspended laptop): the
	// event still carries the scheduled time.
	clock.Set(utc("2026-03-01T10:10:20Z"))
	e = <-events
	if e.Time() != "2026-03-01T10:10:00Z" || e.ID() == first {
		t.Fatalf("second event time %q id %q (first id %q)", e.Time(), e.ID(), first)
	}
	clock.waitFor(t)
	if s := tr.Stats(); s != (cron.Stats{Fired: 2}) {
		t.Fatalf("stats %+v, want 2 fired", s)
	}
}

// TestTriggerCountsMissedTicks holds a dispatch across three scheduled
// times: they are counted, not queued, and the schedule resumes after.
func TestTriggerCountsMissedTicks(t *testing.T) {
	clock := newFakeClock(utc("2026-03-01T10:00:30Z"))
	events := make(chan string, 10)
	release := make(chan struct{})
	dispatch := func(ctx context.Context, e *event.Event) error {
		events <- e.Time()
		<-release
		return nil
	}
	reported := &hookErrors{}
	tr := must[*cron.Trigger](t)(cron.NewTrigger(must[*cron.Schedule](t)(cron.Parse("*/5 * * * *")), "/cron", "tick", dispatch,
		cron.WithClock(clock), cron.WithErrorHook(reported.hook)))
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, tr)

	clock.waitFor(t)
	clock.Set(utc("2026-03-01T10:05:00Z"))
	if got := <-events; got != "2026-03-01T10:05:00Z" {
		t.Fatalf("first event at %s", got)
	}
	// 10:10, 10:15 and 10:20 pass while the dispatch runs.
	clock.Set(utc("2026-03-01T10:21:00Z"))
	close(release)
	if at := clock.waitFor(t); !at.Equal(utc("2026-03-01T10:25:00Z")) {
		t.Fatalf("after the overrun the trigger waits until %s, want 10:25", at)
	}
	if s := tr.Stats(); s != (cron.Stats{Fired: 1, Missed: 3}) {
		t.Fatalf("stats %+v, want 1 fired and 3 missed", s)
	}
	errs := reported.get()
	var missed *cron.MissedError
	if len(errs) != 1 || !errors.As(errs[0], &missed) {
		t.Fatalf("reported %v, want one *MissedError", errs)
	}
	if missed.Count != 3 || !missed.First.Equal(utc("2026-03-01T10:10:00Z")) || !missed.Last.Equal(utc("2026-03-01T10:20:00Z")) ||
		missed.Type != "tick" || missed.Source != "/cron" {
		t.Fatalf("reported %+v, want 3 missed from 10:10 to 10:20", missed)
	}
	if msg := missed.Error(); !strings.Contains(msg, "3 scheduled times") || !strings.Contains(msg, "2026-03-01T10:10:00Z") {
		t.Fatalf("message %q", msg)
	}
	clock.Set(utc("2026-03-01T10:25:00Z"))
	if got := <-events; got != "2026-03-01T10:25:00Z" {
		t.Fatalf("event after the overrun at %s, want 10:25", got)
	}
	select {
	case got := <-events:
		t.Fatalf("a missed tick was delivered after all: %s", got)
	default:
	}
}

// TestTriggerDispatchFailures checks that an error and a panic of the
// dispatch are reported and counted, and the schedule goes on.
func TestTriggerDispatchFailures(t *testing.T) {
	clock := newFakeClock(utc("2026-03-01T10:00:00Z"))
	calls := 0
	dispatch := func(ctx context.Context, e *event.Event) error {
		calls++ // only the trigger's goroutine touches it; read after Shutdown
		if calls == 1 {
			return errors.New("function unavailable")
		}
		panic("function exploded")
	}
	reported := &hookErrors{}
	tr := must[*cron.Trigger](t)(cron.NewTrigger(must[*cron.Schedule](t)(cron.Parse("* * * * *")), "/cron", "tick", dispatch,
		cron.WithClock(clock), cron.WithErrorHook(reported.hook)))
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.waitFor(t)
	clock.Set(utc("2026-03-01T10:01:00Z"))
	clock.waitFor(t)
	clock.Set(utc("2026-03-01T10:02:00Z"))
	clock.waitFor(t)
	shutdown(t, tr)
	if calls != 2 {
		t.Fatalf("dispatch called %d times, want 2", calls)
	}
	if s := tr.Stats(); s != (cron.Stats{Fired: 2, Failed: 2}) {
		t.Fatalf("stats %+v, want 2 fired, 2 failed", s)
	}
	errs := reported.get()
	if len(errs) != 2 {
		t.Fatalf("reported %v, want two dispatch errors", errs)
	}
	for i, want := range []struct{ at, cause string }{{"2026-03-01T10:01:00Z", "function unavailable"}, {"2026-03-01T10:02:00Z", "function exploded"}} {
		var de *cron.DispatchError
		if !errors.As(errs[i], &de) || !de.Time.Equal(utc(want.at)) || !uuidV4.MatchString(de.ID) ||
			!strings.Contains(de.Error(), want.cause) || !strings.Contains(de.Error(), want.at) {
			t.Errorf("report %d: %v, want a *DispatchError for %s saying %q", i, errs[i], want.at, want.cause)
		}
	}
	var pe *binding.PanicError
	if !errors.As(errs[1], &pe) {
		t.Errorf("the panic was reported as %T, want a *binding.PanicError inside", errors.Unwrap(errs[1]))
	}
}

// TestTriggerShutdownWaitsForDispatch checks that Shutdown waits for a
// running dispatch, and when its context ends first, cancels the
// dispatch's context and says so.
func TestTriggerShutdownWaitsForDispatch(t *testing.T) {
	clock := newFakeClock(utc("2026-03-01T10:00:00Z"))
	type key struct{}
	started := make(chan any, 1)
	cancelled := make(chan error, 1)
	dispatch := func(ctx context.Context, e *event.Event) error {
		started <- ctx.Value(key{})
		<-ctx.Done()
		cancelled <- ctx.Err()
		return ctx.Err()
	}
	tr := must[*cron.Trigger](t)(cron.NewTrigger(must[*cron.Schedule](t)(cron.Parse("* * * * *")), "/cron", "tick", dispatch, cron.WithClock(clock)))
	startCtx, cancelStart := context.WithCancel(context.WithValue(context.Background(), key{}, "kept"))
	if err := tr.Start(startCtx); err != nil {
		t.Fatal(err)
	}
	cancelStart() // Start's context bounds nothing after Start
	clock.waitFor(t)
	clock.Set(utc("2026-03-01T10:01:00Z"))
	if v := <-started; v != "kept" {
		t.Fatalf("the dispatch context carries %v, want the value of Start's context", v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := tr.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a stuck dispatch returned %v, want DeadlineExceeded", err)
	}
	if got := <-cancelled; !errors.Is(got, context.Canceled) {
		t.Fatalf("dispatch context ended with %v, want Canceled", got)
	}
	// A second Shutdown is harmless and now finds the loop gone.
	shutdown(t, tr)
	if err := tr.Start(context.Background()); !errors.Is(err, cron.ErrClosed) {
		t.Fatalf("Start after Shutdown: %v, want ErrClosed", err)
	}
}

func TestTriggerLifecycle(t *testing.T) {
	sched := must[*cron.Schedule](t)(cron.Parse("* * * * *"))
	noop := func(context.Context, *event.Event) error { return nil }

	tr := must[*cron.Trigger](t)(cron.NewTrigger(sched, "/cron", "tick", noop))
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Start: %v", err)
	}
	if err := tr.Start(context.Background()); !errors.Is(err, cron.ErrClosed) {
		t.Fatalf("Start after Shutdown: %v, want ErrClosed", err)
	}

	tr = must[*cron.Trigger](t)(cron.NewTrigger(sched, "/cron", "tick", noop))
	if err := tr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tr.Start(context.Background()); !errors.Is(err, cron.ErrRunning) {
		t.Fatalf("second Start: %v, want ErrRunning", err)
	}
	shutdown(t, tr) // goleak checks the loop has ended
}

func TestNewTriggerRefuses(t *testing.T) {
	sched := must[*cron.Schedule](t)(cron.Parse("* * * * *"))
	noop := func(context.Context, *event.Event) error { return nil }
	for _, tc := range []struct {
		name         string
		sched        *cron.Schedule
		source, typ  string
		dispatch     func(context.Context, *event.Event) error
		opts         []cron.Option
		wantInErrMsg string
	}{
		{"nil schedule", nil, "/cron", "tick", noop, nil, "nil schedule"},
		{"nil dispatch", sched, "/cron", "tick", nil, nil, "nil dispatch"},
		{"empty source", sched, "", "tick", noop, nil, "source"},
		{"source not a URI-reference", sched, "a b", "tick", noop, nil, "source"},
		{"empty type", sched, "/cron", "", noop, nil, "type"},
		{"nil clock", sched, "/cron", "tick", noop, []cron.Option{cron.WithClock(nil)}, "WithClock(nil)"},
		{"zero schedule", &cron.Schedule{}, "/cron", "tick", noop, nil, "never fires"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := cron.NewTrigger(tc.sched, tc.source, tc.typ, tc.dispatch, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.wantInErrMsg) {
				t.Fatalf("NewTrigger = %v, %v; want an error about %q", tr, err, tc.wantInErrMsg)
			}
		})
	}
}

// TestTriggerSystemClock runs the default clock in a synctest bubble,
// whose fake time starts at midnight UTC on 2000-01-01.
func TestTriggerSystemClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var times []string
		dispatch := func(ctx context.Context, e *event.Event) error {
			mu.Lock()
			defer mu.Unlock()
			times = append(times, e.Time())
			return nil
		}
		tr := must[*cron.Trigger](t)(cron.NewTrigger(must[*cron.Schedule](t)(cron.Parse("*/2 * * * *")), "/cron", "tick", dispatch))
		if err := tr.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(7 * time.Minute)
		synctest.Wait()
		if err := tr.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := []string{"2000-01-01T00:02:00Z", "2000-01-01T00:04:00Z", "2000-01-01T00:06:00Z"}
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(times, " ") != strings.Join(want, " ") {
			t.Fatalf("events at %v, want %v", times, want)
		}
	})
}
