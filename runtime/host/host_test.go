package host_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trace"
)

// modes are the three ways a function runs: inline (no timeout), on a
// worker (with one) and inline with a cooperative one.
var modes = []struct {
	name string
	opt  host.Option
}{
	{"inline", host.WithTimeout(0)},
	{"worker", host.WithTimeout(time.Minute)},
	{"cooperative", host.Options{Timeout: time.Minute, CooperativeTimeout: true}},
}

func TestConcurrencyNeverExceeded(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			const limit, callers, each = 3, 12, 40
			var running, peak, calls atomic.Int64
			h, reg := newHost(t, func(context.Context, *event.Event) (*event.Event, error) {
				n := running.Add(1)
				for p := peak.Load(); n > p; p = peak.Load() {
					if peak.CompareAndSwap(p, n) {
						break
					}
				}
				calls.Add(1)
				runtime.Gosched()
				running.Add(-1)
				return nil, nil
			}, m.opt, host.WithConcurrency(limit), host.WithQueueSize(callers))
			tr := h.Trigger("load")
			var wg sync.WaitGroup
			errs := make(chan error, callers*each)
			for c := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						if _, err := tr.Dispatch(context.Background(), newEvent(fmt.Sprint(c, "-", i))); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("Dispatch: %v", err)
			}
			if p := peak.Load(); p > limit || p < 1 {
				t.Errorf("peak of functions running = %d, want 1..%d", p, limit)
			}
			if calls.Load() != callers*each {
				t.Errorf("calls = %d, want %d", calls.Load(), callers*each)
			}
			if got := metric(t, reg, host.MetricSucceeded, "load"); got != callers*each {
				t.Errorf("%s = %v, want %d", host.MetricSucceeded, got, callers*each)
			}
			if got := metric(t, reg, host.MetricDuration, "load"); got != callers*each {
				t.Errorf("%s observations = %v, want %d", host.MetricDuration, got, callers*each)
			}
		})
	}
}

func TestOverload(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g := newGate(8)
			h, reg := newHost(t, g.call, m.opt, host.WithConcurrency(2), host.WithQueueSize(1))
			tr := h.Trigger("t")
			results := make(chan error, 3)
			for i := range 2 {
				go func() { _, err := tr.Dispatch(context.Background(), newEvent(fmt.Sprint(i))); results <- err }()
			}
			<-g.started
			<-g.started
			go func() { _, err := tr.Dispatch(context.Background(), newEvent("queued")); results <- err }()
			waitFor(t, "a caller in the queue", func() bool { return metric(t, reg, host.MetricQueued, "t") == 1 })

			if err := h.Ready(); !errors.Is(err, host.ErrOverloaded) {
				t.Errorf("Ready while saturated = %v, want ErrOverloaded", err)
			}
			_, err := tr.Dispatch(context.Background(), newEvent("refused"))
			if !errors.Is(err, binding.ErrOverloaded) || !errors.Is(err, host.ErrOverloaded) {
				t.Fatalf("Dispatch with slots and queue full = %v, want binding.ErrOverloaded", err)
			}
			if !strings.Contains(err.Error(), "2 function slots") {
				t.Errorf("overload error does not name the limit: %v", err)
			}
			g.open()
			for range 3 {
				if err := <-results; err != nil {
					t.Errorf("Dispatch: %v", err)
				}
			}
			if got := metric(t, reg, host.MetricOverloaded, "t"); got != 1 {
				t.Errorf("%s = %v, want 1", host.MetricOverloaded, got)
			}
			if err := h.Ready(); err != nil {
				t.Errorf("Ready once idle = %v", err)
			}
		})
	}
}

func TestQueuedCallerContextEnds(t *testing.T) {
	g := newGate(2)
	h, reg := newHost(t, g.call, host.WithConcurrency(1), host.WithQueueSize(1))
	tr := h.Trigger("t")
	done := make(chan error, 1)
	go func() { _, err := tr.Dispatch(context.Background(), newEvent("1")); done <- err }()
	<-g.started
	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 1)
	go func() { _, err := tr.Dispatch(ctx, newEvent("2")); queued <- err }()
	waitFor(t, "a caller in the queue", func() bool { return metric(t, reg, host.MetricQueued, "t") == 1 })
	cancel()
	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Errorf("queued Dispatch after its context ended = %v, want context.Canceled", err)
	}
	g.open()
	if err := <-done; err != nil {
		t.Error(err)
	}
	// The abandoned place is free again: two more calls queue and run.
	if _, err := tr.Dispatch(context.Background(), newEvent("3")); err != nil {
		t.Error(err)
	}
}

func TestTimeoutReturnsAtDeadline(t *testing.T) {
	g := newGate(4)
	h, reg := newHost(t, g.call, host.WithTimeout(50*time.Millisecond), host.WithAttempts(1),
		host.WithConcurrency(1), host.WithQueueSize(0))
	tr := h.Trigger("t")
	_, err := tr.Dispatch(context.Background(), newEvent("slow"))
	// The function is still blocked in the gate: Dispatch came back at
	// the deadline without it.
	<-g.started
	var fe *host.FailedError
	if !errors.As(err, &fe) || !errors.Is(err, host.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dispatch of a function ignoring its deadline = %v, want a FailedError wrapping ErrTimeout", err)
	}
	// Its slot is still taken: with no queue, the next event is refused.
	if _, err := tr.Dispatch(context.Background(), newEvent("next")); !errors.Is(err, host.ErrOverloaded) {
		t.Fatalf("Dispatch while the late function holds the only slot = %v, want ErrOverloaded", err)
	}
	if got := metric(t, reg, host.MetricInFlight, "t"); got != 1 {
		t.Errorf("%s = %v while the late function runs, want 1", host.MetricInFlight, got)
	}
	g.open()
	waitFor(t, "the late finisher to be counted", func() bool { return metric(t, reg, host.MetricLate, "t") == 1 })
	g.mu.Lock()
	if len(g.ctxErrs) != 1 || !errors.Is(g.ctxErrs[0], context.DeadlineExceeded) {
		t.Errorf("the function's context ended with %v, want DeadlineExceeded", g.ctxErrs)
	}
	g.mu.Unlock()
	waitFor(t, "the slot to come back", func() bool {
		_, err := tr.Dispatch(context.Background(), newEvent("after"))
		if err == nil {
			<-g.started
		}
		return err == nil
	})
}

func TestTimeoutHonouredByFunction(t *testing.T) {
	g := newGate(4)
	g.honour = true
	h, reg := newHost(t, g.call, host.WithTimeout(20*time.Millisecond), host.WithAttempts(1))
	_, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
	<-g.started
	// The function returned nil after its context ended: a success that
	// raced the deadline is taken, a late one is not; either way the
	// deadline ended the function's wait.
	if err != nil && !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("Dispatch = %v", err)
	}
	waitFor(t, "the function to return", func() bool { return metric(t, reg, host.MetricInFlight, "t") == 0 })
}

func TestStuckFunctionFailsReady(t *testing.T) {
	g := newGate(2)
	h, _ := newHost(t, g.call, host.WithTimeout(10*time.Millisecond), host.WithStuckAfter(20*time.Millisecond),
		host.WithAttempts(1), host.WithConcurrency(4))
	if err := h.Ready(); err != nil {
		t.Fatalf("Ready at start = %v", err)
	}
	_, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
	if !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("Dispatch = %v, want ErrTimeout", err)
	}
	waitFor(t, "Ready to report the stuck function", func() bool { return errors.Is(h.Ready(), host.ErrStuck) })
	if err := h.Ready(); !strings.Contains(err.Error(), "1 function(s)") {
		t.Errorf("Ready = %v, want the count", err)
	}
	g.open()
	waitFor(t, "Ready once the function returned", func() bool { return h.Ready() == nil })
}

func TestPanicsAreRetried(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var calls atomic.Int64
			h, reg := newHost(t, func(context.Context, *event.Event) (*event.Event, error) {
				if calls.Add(1) < 3 {
					panic("kaboom")
				}
				return nil, nil
			}, m.opt, host.WithAttempts(3), host.WithBackoff(time.Millisecond, 2*time.Millisecond))
			if _, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1")); err != nil {
				t.Fatalf("Dispatch = %v, want success on the third attempt", err)
			}
			if calls.Load() != 3 || metric(t, reg, host.MetricRetried, "t") != 2 || metric(t, reg, host.MetricSucceeded, "t") != 1 {
				t.Errorf("calls %d, retried %v, succeeded %v; want 3, 2, 1", calls.Load(),
					metric(t, reg, host.MetricRetried, "t"), metric(t, reg, host.MetricSucceeded, "t"))
			}

			calls.Store(-100) // panics every time now
			_, err := h.Trigger("t").Dispatch(context.Background(), newEvent("2"))
			var pe *binding.PanicError
			var fe *host.FailedError
			if !errors.As(err, &fe) || fe.Attempts != 3 || !errors.As(err, &pe) || pe.Value != "kaboom" {
				t.Fatalf("Dispatch of a function that always panics = %v, want a FailedError of 3 attempts with a PanicError", err)
			}
		})
	}
}

func TestDeadLetter(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var calls atomic.Int64
			dl := &memSink{}
			h, reg := newHost(t, func(_ context.Context, e *event.Event) (*event.Event, error) {
				calls.Add(1)
				return nil, fmt.Errorf("%w:\nline two\x00 of %s", errBoom, strings.Repeat("x", 3000))
			}, m.opt, host.WithAttempts(3), host.WithBackoff(time.Millisecond, time.Millisecond), host.WithDeadLetter(dl))
			e := newEvent("dead")
			e.SetExtension("partitionkey", event.String("p1"))
			e.SetExtension("zzz", event.Integer(7))
			orig := e.Clone()

			reply, err := h.Trigger("http").Dispatch(context.Background(), e)
			if err != nil || reply != nil {
				t.Fatalf("Dispatch = %v, %v; want nil, nil once the dead-letter sink took the event", reply, err)
			}
			if calls.Load() != 3 {
				t.Errorf("calls = %d, want 3", calls.Load())
			}
			if !e.Equal(&orig) {
				t.Error("Dispatch changed the caller's event")
			}
			got := dl.got()
			if len(got) != 1 {
				t.Fatalf("dead-letter sink got %d events, want 1", len(got))
			}
			d := &got[0]
			if err := d.Validate(); err != nil {
				t.Errorf("dead-lettered event is invalid: %v", err)
			}
			if v, ok := d.Extension(host.DeadLetterAttempts); !ok || v.Kind() != event.KindInteger || v.Int() != 3 {
				t.Errorf("%s = %v, want Integer 3", host.DeadLetterAttempts, v)
			}
			v, ok := d.Extension(host.DeadLetterError)
			if !ok || v.Kind() != event.KindString || !strings.HasPrefix(v.Text(), "boom: line two  of xxx") ||
				len(v.Text()) > host.MaxDeadLetterError || !strings.HasSuffix(v.Text(), "…") {
				t.Errorf("%s = %q (%d bytes), want the error, cleaned and cut to %d bytes", host.DeadLetterError, v.Text(), len(v.Text()), host.MaxDeadLetterError)
			}
			if v, ok := d.Extension(host.DeadLetterTrigger); !ok || v.Text() != "http" {
				t.Errorf("%s = %v, want http", host.DeadLetterTrigger, v)
			}
			for _, name := range []string{host.DeadLetterAttempts, host.DeadLetterError, host.DeadLetterTrigger} {
				d.Delete(name)
			}
			if !d.Equal(&orig) {
				t.Error("the dead-lettered event differs from the original beyond the dead-letter attributes")
			}
			for name, want := range map[string]float64{host.MetricFailed: 1, host.MetricDeadLettered: 1, host.MetricRetried: 2, host.MetricSucceeded: 0} {
				if got := metric(t, reg, name, "http"); got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}

			// A dead-letter sink that fails: not acknowledged.
			dl.err = errors.New("sink down")
			_, err = h.Trigger("http").Dispatch(context.Background(), newEvent("dead2"))
			var fe *host.FailedError
			if !errors.As(err, &fe) || !errors.Is(fe.DeadLetterErr, dl.err) || !errors.Is(err, errBoom) {
				t.Errorf("Dispatch with a failing dead-letter sink = %v, want a FailedError with both errors", err)
			}
			if got := metric(t, reg, host.MetricSinkErrors, "http"); got != 1 {
				t.Errorf("%s = %v, want 1", host.MetricSinkErrors, got)
			}
		})
	}
}

func TestNoDeadLetterSinkReturnsFailure(t *testing.T) {
	h, _ := newHost(t, func(context.Context, *event.Event) (*event.Event, error) { return nil, errBoom },
		host.WithAttempts(2), host.WithBackoff(time.Millisecond, time.Millisecond))
	_, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
	var fe *host.FailedError
	if !errors.As(err, &fe) || fe.Attempts != 2 || !errors.Is(err, errBoom) {
		t.Fatalf("Dispatch = %v, want a FailedError of 2 attempts wrapping the function's error", err)
	}
}

func TestRejectedIsNotRetried(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var calls atomic.Int64
			dl := &memSink{}
			h, reg := newHost(t, func(context.Context, *event.Event) (*event.Event, error) {
				calls.Add(1)
				return nil, fmt.Errorf("%w: no thanks", binding.ErrRejected)
			}, m.opt, host.WithAttempts(5), host.WithDeadLetter(dl))
			_, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
			if !errors.Is(err, binding.ErrRejected) || !strings.Contains(err.Error(), "no thanks") {
				t.Fatalf("Dispatch = %v, want the function's rejection", err)
			}
			if calls.Load() != 1 || len(dl.got()) != 0 || metric(t, reg, host.MetricRejected, "t") != 1 || metric(t, reg, host.MetricRetried, "t") != 0 {
				t.Errorf("calls %d, dead-lettered %d, rejected %v, retried %v; want 1, 0, 1, 0",
					calls.Load(), len(dl.got()), metric(t, reg, host.MetricRejected, "t"), metric(t, reg, host.MetricRetried, "t"))
			}
		})
	}
}

func TestRepliesAndSinks(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			good, bad := &memSink{}, &memSink{err: errors.New("sink down")}
			var hooked []string
			h, reg := newHost(t, func(_ context.Context, e *event.Event) (*event.Event, error) {
				r := event.New("reply-"+e.ID(), "/fn", "com.example.reply")
				return &r, nil
			}, m.opt, host.WithReplies(bad, good), host.WithSinkErrorHook(func(sink, id string, err error) {
				hooked = append(hooked, sink+" "+id)
			}))
			reply, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
			if err != nil {
				t.Fatalf("Dispatch = %v; a failing reply sink must not fail the event", err)
			}
			if reply == nil || reply.ID() != "reply-1" {
				t.Fatalf("reply = %v, want reply-1", reply)
			}
			if got := good.got(); len(got) != 1 || got[0].ID() != "reply-1" {
				t.Errorf("reply sink got %v", got)
			}
			if metric(t, reg, host.MetricSinkErrors, "t") != 1 || len(hooked) != 1 || hooked[0] != "reply reply-1" {
				t.Errorf("sink errors %v, hook %v; want 1 and [reply reply-1]", metric(t, reg, host.MetricSinkErrors, "t"), hooked)
			}
			// Handle: the binding.Handler form drops the reply, the sinks still get it.
			if err := h.Trigger("t").Handle(context.Background(), newEvent("2")); err != nil {
				t.Fatal(err)
			}
			if got := good.got(); len(got) != 2 {
				t.Errorf("reply sink got %d events after Handle, want 2", len(got))
			}
		})
	}
}

func TestTraceParent(t *testing.T) {
	const fromEvent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	const fromHeader = "00-11111111111111111111111111111111-2222222222222222-00"
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			seen := make(chan string, 3)
			h, _ := newHost(t, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
				seen <- trace.FromContext(ctx)
				return nil, nil
			}, m.opt)
			tr := h.Trigger("t")
			e := newEvent("1")
			if _, err := tr.Dispatch(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if got := <-seen; got != "" {
				t.Errorf("traceparent without one = %q", got)
			}
			e.SetExtension(trace.Extension, event.String(fromEvent))
			if _, err := tr.Dispatch(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if got := <-seen; got != fromEvent {
				t.Errorf("traceparent from the event = %q, want %q", got, fromEvent)
			}
			if _, err := tr.Dispatch(trace.NewContext(context.Background(), fromHeader), e); err != nil {
				t.Fatal(err)
			}
			if got := <-seen; got != fromHeader {
				t.Errorf("traceparent the trigger put in ctx = %q, want it to win over the event's", got)
			}
			e.SetExtension(trace.Extension, event.String("00-not-a-traceparent"))
			if _, err := tr.Dispatch(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			if got := <-seen; got != "" {
				t.Errorf("an invalid traceparent extension reached the function as %q", got)
			}
		})
	}
}

func TestDrain(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			g := newGate(4)
			h, reg := newHost(t, g.call, m.opt, host.WithConcurrency(2), host.WithQueueSize(4))
			tr := h.Trigger("t")
			running := make(chan error, 2)
			for i := range 2 {
				go func() { _, err := tr.Dispatch(context.Background(), newEvent(fmt.Sprint(i))); running <- err }()
			}
			<-g.started
			<-g.started
			queued := make(chan error, 1)
			go func() { _, err := tr.Dispatch(context.Background(), newEvent("queued")); queued <- err }()
			waitFor(t, "a caller in the queue", func() bool { return metric(t, reg, host.MetricQueued, "t") == 1 })

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := h.Drain(ctx)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "2 functions running") {
				t.Errorf("Drain with an ended context while 2 functions run = %v", err)
			}
			if err := <-queued; !errors.Is(err, binding.ErrUnavailable) {
				t.Errorf("queued call at drain = %v, want binding.ErrUnavailable", err)
			}
			if _, err := tr.Dispatch(context.Background(), newEvent("new")); !errors.Is(err, binding.ErrUnavailable) {
				t.Errorf("Dispatch while draining = %v, want binding.ErrUnavailable", err)
			}
			if err := h.Ready(); !errors.Is(err, host.ErrDraining) {
				t.Errorf("Ready while draining = %v, want ErrDraining", err)
			}
			drained := make(chan error, 1)
			go func() { drained <- h.Drain(context.Background()) }()
			select {
			case err := <-drained:
				t.Fatalf("Drain returned %v while functions still run", err)
			default:
			}
			g.open()
			for range 2 {
				if err := <-running; err != nil {
					t.Errorf("in-flight Dispatch = %v, want its success", err)
				}
			}
			if err := <-drained; err != nil {
				t.Errorf("Drain = %v", err)
			}
			if got := metric(t, reg, host.MetricUnavailable, "t"); got != 2 {
				t.Errorf("%s = %v, want 2", host.MetricUnavailable, got)
			}
		})
	}
}

func TestDrainStopsRetries(t *testing.T) {
	started := make(chan struct{}, 1)
	h, _ := newHost(t, func(context.Context, *event.Event) (*event.Event, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		return nil, errBoom
	}, host.WithAttempts(10), host.WithBackoff(time.Hour, time.Hour), host.WithTimeout(0))
	done := make(chan error, 1)
	go func() { _, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1")); done <- err }()
	<-started
	if err := h.Drain(context.Background()); err != nil {
		t.Fatalf("Drain = %v; it must cut an hour's backoff short", err)
	}
	var fe *host.FailedError
	if err := <-done; !errors.As(err, &fe) || fe.Attempts != 1 {
		t.Errorf("Dispatch whose retries the drain stopped = %v, want a FailedError after 1 attempt", err)
	}
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts []host.Option
		want string
	}{
		{"concurrency 0", []host.Option{host.WithConcurrency(0)}, "concurrency 0"},
		{"concurrency huge", []host.Option{host.WithConcurrency(host.MaxConcurrency + 1)}, "concurrency"},
		{"queue negative", []host.Option{host.WithQueueSize(-1)}, "queue size -1"},
		{"timeout negative", []host.Option{host.WithTimeout(-time.Second)}, "timeout -1s"},
		{"stuck negative", []host.Option{host.WithStuckAfter(-time.Second)}, "stuck-after"},
		{"attempts 0", []host.Option{host.WithAttempts(0)}, "attempts 0"},
		{"attempts huge", []host.Option{host.WithAttempts(host.MaxAttempts + 1)}, "attempts"},
		{"backoff 0", []host.Option{host.WithBackoff(0, time.Second)}, "initial backoff"},
		{"backoff max < initial", []host.Option{host.WithBackoff(time.Second, time.Millisecond)}, "maximum backoff"},
		{"nil dead letter", []host.Option{host.WithDeadLetter(nil)}, "dead-letter sink is nil"},
		{"nil reply sink", []host.Option{host.WithReplies(nil)}, "reply sink 0 is nil"},
		{"dedupe negative", []host.Option{host.WithDedupe(-time.Second, 0)}, "dedupe window"},
		{"dedupe entries", []host.Option{host.WithDedupe(time.Second, -1)}, "dedupe entries"},
		{"nil logger", []host.Option{host.WithLogger(nil)}, "logger is nil"},
		{"two at once", []host.Option{host.WithConcurrency(-1), host.WithAttempts(-1)}, "attempts -1"},
	}
	noop := funcOf(func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := host.New(noop, tt.opts...)
			if h != nil || !errors.Is(err, host.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, %v; want ErrConfig saying %q", h, err, tt.want)
			}
		})
	}
	if _, err := host.New(nil); !errors.Is(err, host.ErrConfig) {
		t.Errorf("New(nil) = %v, want ErrConfig", err)
	}
}

func TestOptionsStruct(t *testing.T) {
	g := newGate(2)
	h, err := host.New(funcOf(g.call), host.Options{Concurrency: 1, QueueSize: -1, Timeout: -1, FunctionName: "f"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Gatherer() == nil {
		t.Fatal("Gatherer is nil with the default registry")
	}
	done := make(chan error, 1)
	go func() { _, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1")); done <- err }()
	<-g.started
	if _, err := h.Trigger("t").Dispatch(context.Background(), newEvent("2")); !errors.Is(err, host.ErrOverloaded) {
		t.Errorf("QueueSize -1 (no queue): second call = %v, want ErrOverloaded", err)
	}
	g.open()
	if err := <-done; err != nil {
		t.Error(err)
	}
	if err := h.Drain(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestSharedRegistry(t *testing.T) {
	h1, reg := newHost(t, func(context.Context, *event.Event) (*event.Event, error) { return nil, nil }, host.WithFunctionName("a"))
	h2, err := host.New(funcOf(func(context.Context, *event.Event) (*event.Event, error) { return nil, nil }),
		host.WithMetrics(reg), host.WithFunctionName("b"))
	if err != nil {
		t.Fatalf("a second host on the same registry: %v", err)
	}
	defer h2.Close()
	for _, h := range []*host.Host{h1, h2} {
		if _, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1")); err != nil {
			t.Fatal(err)
		}
	}
	if got := metric(t, reg, host.MetricReceived, "t"); got != 2 {
		t.Errorf("%s summed = %v, want 2", host.MetricReceived, got)
	}
	if n, err := testutil.GatherAndCount(reg, host.MetricReceived); err != nil || n != 2 {
		t.Errorf("series of %s = %d (%v), want 2: one per function", host.MetricReceived, n, err)
	}
}

func TestRetryAfterTimeoutWaitsForASlot(t *testing.T) {
	g := newGate(4)
	h, reg := newHost(t, g.call, host.WithConcurrency(1), host.WithQueueSize(1), host.WithTimeout(20*time.Millisecond),
		host.WithAttempts(2), host.WithBackoff(time.Millisecond, time.Millisecond))
	done := make(chan error, 1)
	go func() { _, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1")); done <- err }()
	<-g.started
	// The first attempt times out; its function keeps the only slot, so
	// the retry waits in the queue rather than run a second function.
	waitFor(t, "the retry to queue", func() bool { return metric(t, reg, host.MetricQueued, "t") == 1 })
	if got := metric(t, reg, host.MetricInFlight, "t"); got != 1 {
		t.Errorf("%s = %v, want 1", host.MetricInFlight, got)
	}
	g.open()
	if err := <-done; err != nil {
		t.Fatalf("Dispatch = %v, want the retry's success", err)
	}
	if metric(t, reg, host.MetricLate, "t") != 1 || metric(t, reg, host.MetricRetried, "t") != 1 {
		t.Errorf("late %v, retried %v; want 1 and 1", metric(t, reg, host.MetricLate, "t"), metric(t, reg, host.MetricRetried, "t"))
	}
}

func TestRetryAfterTimeoutOverloaded(t *testing.T) {
	g := newGate(4)
	h, _ := newHost(t, g.call, host.WithConcurrency(1), host.WithQueueSize(0), host.WithTimeout(20*time.Millisecond),
		host.WithAttempts(3), host.WithBackoff(time.Millisecond, time.Millisecond))
	_, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
	<-g.started
	var fe *host.FailedError
	if !errors.As(err, &fe) || !errors.Is(err, host.ErrTimeout) || !errors.Is(err, host.ErrOverloaded) {
		t.Errorf("Dispatch = %v, want a FailedError with the timeout and the retry's overload", err)
	}
	g.open()
}
