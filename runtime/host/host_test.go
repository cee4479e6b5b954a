package host_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/host"
)

var noop = function.Func(func(context.Context, *event.Event) (*event.Event, error) { return nil, nil })

func newHost(t testing.TB, fn function.Function, o host.Options) *host.Host {
	t.Helper()
	h, err := host.New(fn, o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// sink keeps what it is sent.
type sink struct {
	mu   sync.Mutex
	got  []event.Event
	fail error
}

func (s *sink) Send(_ context.Context, e *event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, e.Clone())
	return nil
}

func (s *sink) Close(context.Context) error { return nil }

// TestConcurrencyAndOverload: with 2 slots and a queue of 1, two
// functions run, one caller waits, and the fourth is refused at once;
// never more than 2 run.
func TestConcurrencyAndOverload(t *testing.T) {
	release := make(chan struct{})
	var running, most atomic.Int32
	started := make(chan struct{}, 8)
	fn := function.Func(func(context.Context, *event.Event) (*event.Event, error) {
		n := running.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		running.Add(-1)
		return nil, nil
	})
	h := newHost(t, fn, host.Options{Concurrency: 2, QueueSize: 1})
	tr := h.Trigger("test")
	e := event.New("1", "/s", "t")
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Go(func() {
			_, err := tr.Dispatch(context.Background(), &e)
			errs <- err
		})
	}
	<-started
	<-started
	// Two run; the third is queued once the waiting count shows it.
	deadline := time.Now().Add(10 * time.Second)
	for h.Ready() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if h.Ready() == nil {
		t.Fatal("not saturated with 2 running and 1 queued")
	}
	_, err := tr.Dispatch(context.Background(), &e)
	if !errors.Is(err, binding.ErrOverloaded) {
		t.Fatalf("fourth call: %v, want ErrOverloaded", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("queued or running call: %v", err)
		}
	}
	if most.Load() != 2 {
		t.Errorf("%d functions ran at once, want 2", most.Load())
	}
}

func TestRetriesThenDeadLetter(t *testing.T) {
	var calls atomic.Int32
	boom := errors.New("boom")
	fn := function.Func(func(context.Context, *event.Event) (*event.Event, error) {
		calls.Add(1)
		return nil, boom
	})
	dl := &sink{}
	reg := prometheus.NewRegistry()
	h := newHost(t, fn, host.Options{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, DeadLetter: dl, Registerer: reg})
	e := event.New("dl-1", "/s", "t")
	e.SetExtension("tenant", event.String("a"))
	e.SetData([]byte("payload"))
	if _, err := h.Trigger("test").Dispatch(context.Background(), &e); err != nil {
		t.Fatalf("dead-lettered event: %v, want nil (acknowledged)", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d attempts, want 3", calls.Load())
	}
	if len(dl.got) != 1 {
		t.Fatalf("dead-letter sink got %d events", len(dl.got))
	}
	d := dl.got[0]
	if d.ID() != "dl-1" || string(d.Data()) != "payload" {
		t.Errorf("dead letter changed the event: %s %q", d.ID(), d.Data())
	}
	if v, _ := d.Extension("tenant"); v.String() != "a" {
		t.Errorf("extension lost: %v", v)
	}
	if v, _ := d.Extension(host.ExtAttempts); v.String() != "3" {
		t.Errorf("%s = %v", host.ExtAttempts, v)
	}
	if v, _ := d.Extension(host.ExtError); v.String() != "boom" {
		t.Errorf("%s = %v", host.ExtError, v)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("dead letter is not a valid event: %v", err)
	}
	if got := counter(t, reg, "openevents_runtime_events_retried_total"); got != 2 {
		t.Errorf("retried = %v, want 2", got)
	}
	if got := counter(t, reg, "openevents_runtime_events_dead_lettered_total"); got != 1 {
		t.Errorf("dead_lettered = %v, want 1", got)
	}

	// Without a working dead-letter sink the failure is returned, so the
	// trigger does not acknowledge.
	dl.fail = errors.New("sink down")
	if _, err := h.Trigger("test").Dispatch(context.Background(), &e); !errors.Is(err, boom) {
		t.Errorf("failed dead letter: %v, want the function's error", err)
	}
}

// counter sums a counter family's series.
func counter(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var sum float64
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestRejectedIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	fn := function.Func(func(context.Context, *event.Event) (*event.Event, error) {
		calls.Add(1)
		return nil, binding.ErrRejected
	})
	dl := &sink{}
	h := newHost(t, fn, host.Options{Attempts: 5, DeadLetter: dl})
	e := event.New("r", "/s", "t")
	if _, err := h.Trigger("test").Dispatch(context.Background(), &e); !errors.Is(err, binding.ErrRejected) {
		t.Errorf("%v, want ErrRejected", err)
	}
	if calls.Load() != 1 || len(dl.got) != 0 {
		t.Errorf("%d calls, %d dead letters; want 1 and 0", calls.Load(), len(dl.got))
	}
}

func TestPanicIsAFailure(t *testing.T) {
	var calls atomic.Int32
	fn := function.Func(func(context.Context, *event.Event) (*event.Event, error) {
		if calls.Add(1) == 1 {
			panic("first time")
		}
		return nil, nil
	})
	h := newHost(t, fn, host.Options{Attempts: 2, Backoff: time.Millisecond})
	e := event.New("p", "/s", "t")
	if _, err := h.Trigger("test").Dispatch(context.Background(), &e); err != nil {
		t.Errorf("retry after a panic: %v", err)
	}
	h1 := newHost(t, function.Func(func(context.Context, *event.Event) (*event.Event, error) { panic("always") }), host.Options{Attempts: 1})
	var pe *binding.PanicError
	if _, err := h1.Trigger("test").Dispatch(context.Background(), &e); !errors.As(err, &pe) {
		t.Errorf("%v, want a *binding.PanicError", err)
	}
}

// TestTimeout: a function that ignores its context fails the attempt
// when it returns late, and one far past its deadline makes Ready fail.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	fn := function.Func(func(context.Context, *event.Event) (*event.Event, error) {
		<-release
		return nil, nil
	})
	reg := prometheus.NewRegistry()
	h := newHost(t, fn, host.Options{Timeout: 10 * time.Millisecond, StuckAfter: 10 * time.Millisecond, Attempts: 1, Registerer: reg})
	e := event.New("slow", "/s", "t")
	done := make(chan error, 1)
	go func() {
		_, err := h.Trigger("test").Dispatch(context.Background(), &e)
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for h.Ready() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if h.Ready() == nil {
		t.Fatal("a stuck function did not make Ready fail")
	}
	close(release)
	if err := <-done; !errors.Is(err, binding.ErrTimeout) {
		t.Errorf("late function: %v, want ErrTimeout", err)
	}
	if err := h.Ready(); err != nil {
		t.Errorf("still not ready once the function returned: %v", err)
	}
	if got := counter(t, reg, "openevents_runtime_functions_late_total"); got != 1 {
		t.Errorf("late = %v, want 1", got)
	}
}

func TestDrain(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	fn := function.Func(func(context.Context, *event.Event) (*event.Event, error) {
		close(started)
		<-release
		return nil, nil
	})
	h := newHost(t, fn, host.Options{})
	tr := h.Trigger("test")
	e := event.New("d", "/s", "t")
	first := make(chan error, 1)
	go func() {
		_, err := tr.Dispatch(context.Background(), &e)
		first <- err
	}()
	<-started
	drained := make(chan error, 1)
	go func() { drained <- h.Drain(context.Background()) }()
	deadline := time.Now().Add(10 * time.Second)
	for h.Ready() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := tr.Dispatch(context.Background(), &e); !errors.Is(err, binding.ErrUnavailable) {
		t.Errorf("dispatch while draining: %v, want ErrUnavailable", err)
	}
	select {
	case err := <-drained:
		t.Fatalf("Drain returned %v while a function ran", err)
	default:
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("in-flight event: %v", err)
	}
	if err := <-drained; err != nil {
		t.Errorf("Drain: %v", err)
	}
	// A drain that runs out of time says so.
	h2 := newHost(t, function.Func(func(ctx context.Context, _ *event.Event) (*event.Event, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}), host.Options{Timeout: 5 * time.Second, Attempts: 1})
	go func() { _, _ = h2.Trigger("test").Dispatch(context.Background(), &e) }()
	for h2.Ready() == nil {
		short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		err := h2.Drain(short)
		cancel()
		if err != nil {
			return
		}
	}
}

func TestReplies(t *testing.T) {
	fn := function.Func(func(_ context.Context, e *event.Event) (*event.Event, error) { return e, nil })
	rs := &sink{}
	h := newHost(t, fn, host.Options{Replies: []function.Sink{rs}})
	e := event.New("echo", "/s", "t")
	reply, err := h.Trigger("test").Dispatch(context.Background(), &e)
	if err != nil || reply == nil || reply.ID() != "echo" {
		t.Fatalf("reply %v, %v", reply, err)
	}
	if len(rs.got) != 1 {
		t.Errorf("reply sink got %d", len(rs.got))
	}
}

func TestOptionErrors(t *testing.T) {
	for _, o := range []host.Options{{Concurrency: -1}, {Attempts: -1}, {Backoff: time.Second, MaxBackoff: time.Millisecond}} {
		if _, err := host.New(noop, o); !errors.Is(err, host.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", o, err)
		}
	}
}

func BenchmarkDispatch(b *testing.B) {
	e := event.New("b", "/s", "t")
	b.Run("direct", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			_, _ = noop.Call(ctx, &e)
		}
	})
	for _, tc := range []struct {
		name    string
		timeout time.Duration
	}{{"no-timeout", -1}, {"timeout", time.Second}} {
		h := newHost(b, noop, host.Options{Timeout: tc.timeout})
		tr := h.Trigger("bench")
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = tr.Dispatch(ctx, &e)
			}
		})
		b.Run(tc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					_, _ = tr.Dispatch(ctx, &e)
				}
			})
		})
	}
}

// TestDispatchAllocations: without a per-event timeout, dispatching to a
// function that allocates nothing allocates nothing.
func TestDispatchAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	tr := newHost(t, noop, host.Options{Timeout: -1}).Trigger("allocs")
	e := event.New("a", "/s", "t")
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() { _, _ = tr.Dispatch(ctx, &e) }); n != 0 {
		t.Errorf("Dispatch allocates %v times per event, want 0", n)
	}
}
