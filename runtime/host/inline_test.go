package host_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trace"
)

func cooperative(d time.Duration) host.Option {
	return host.Options{Timeout: d, CooperativeTimeout: true}
}

// A function that honours its context stops at the deadline: the event
// fails with ErrTimeout and the function is not counted late.
func TestCooperativeTimeoutEndsContext(t *testing.T) {
	var sawDeadline bool
	h, reg := newHost(t, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
		_, sawDeadline = ctx.Deadline()
		<-ctx.Done()
		return nil, ctx.Err()
	}, cooperative(20*time.Millisecond), host.WithAttempts(1))
	_, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
	if !errors.Is(err, host.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dispatch = %v, want ErrTimeout wrapping DeadlineExceeded", err)
	}
	if !sawDeadline {
		t.Error("the function's context had no deadline")
	}
	if got := metric(t, reg, host.MetricLate, "t"); got != 0 {
		t.Errorf("%s = %v for a function that stopped at its deadline, want 0", host.MetricLate, got)
	}
}

// A function that ignores its context holds the caller until it
// returns; its success after the deadline is not taken, and it counts
// as late.
func TestCooperativeTimeoutOverrunFails(t *testing.T) {
	h, reg := newHost(t, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
		time.Sleep(60 * time.Millisecond)
		return newEvent("reply"), nil
	}, cooperative(10*time.Millisecond), host.WithAttempts(1))
	reply, err := h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
	if !errors.Is(err, host.ErrTimeout) || reply != nil {
		t.Fatalf("Dispatch = %v, %v; want no reply and ErrTimeout", reply, err)
	}
	if got := metric(t, reg, host.MetricLate, "t"); got != 1 {
		t.Errorf("%s = %v, want 1", host.MetricLate, got)
	}
	if got := metric(t, reg, host.MetricInFlight, "t"); got != 0 {
		t.Errorf("%s = %v after Dispatch returned, want 0: the caller waits for the function", host.MetricInFlight, got)
	}
}

// The slot's context is reused: a call after a timed-out one starts
// with a live context, and a parent's cancellation reaches Done.
func TestCooperativeContextReuse(t *testing.T) {
	var mu sync.Mutex
	var seen []error
	h, _ := newHost(t, func(ctx context.Context, e *event.Event) (*event.Event, error) {
		mu.Lock()
		seen = append(seen, ctx.Err())
		mu.Unlock()
		if e.ID() == "wait" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, nil
	}, cooperative(15*time.Millisecond), host.WithAttempts(1), host.WithConcurrency(1))
	tr := h.Trigger("t")
	if _, err := tr.Dispatch(context.Background(), newEvent("wait")); !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("first Dispatch = %v, want ErrTimeout", err)
	}
	for i := range 50 {
		if _, err := tr.Dispatch(context.Background(), newEvent(fmt.Sprint(i))); err != nil {
			t.Fatalf("Dispatch %d after a timeout = %v", i, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(5*time.Millisecond, cancel)
	_, err := tr.Dispatch(ctx, newEvent("wait"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dispatch under a cancelled parent = %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, e := range seen {
		if e != nil {
			t.Errorf("call %d began with ctx.Err() = %v", i, e)
		}
	}
}

// Many callers through few slots: every context starts live and ends
// by its own deadline, never another call's.
func TestCooperativeUnderLoad(t *testing.T) {
	const callers, each = 8, 200
	h, _ := newHost(t, func(ctx context.Context, e *event.Event) (*event.Event, error) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("context already ended at start: %w", err)
		}
		if e.ID() == "slow" {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
				return nil, errors.New("the deadline never came")
			}
			return nil, ctx.Err()
		}
		return nil, nil
	}, cooperative(2*time.Millisecond), host.WithAttempts(1), host.WithConcurrency(3), host.WithQueueSize(callers))
	tr := h.Trigger("t")
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := "fast"
				if i%10 == c%10 {
					id = "slow"
				}
				_, err := tr.Dispatch(context.Background(), newEvent(id))
				switch {
				case id == "slow" && !errors.Is(err, host.ErrTimeout):
					errs <- fmt.Errorf("slow call: %w, want ErrTimeout", err)
				case id == "fast" && err != nil && !errors.Is(err, host.ErrTimeout):
					errs <- fmt.Errorf("fast call: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A parent deadline earlier than the timeout is the function's, for a
// single event and for each event of a batch.
func TestCooperativeParentDeadline(t *testing.T) {
	var mu sync.Mutex
	var seen []time.Time
	h, _ := newHost(t, func(ctx context.Context, _ *event.Event) (*event.Event, error) {
		d, _ := ctx.Deadline()
		mu.Lock()
		seen = append(seen, d)
		mu.Unlock()
		<-ctx.Done()
		return nil, ctx.Err()
	}, cooperative(time.Minute), host.WithAttempts(1))
	tr := h.Trigger("t")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	want, _ := ctx.Deadline()
	if _, err := tr.Dispatch(ctx, newEvent("1")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dispatch under a 30 ms parent: %v, want DeadlineExceeded", err)
	}
	bctx, bcancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer bcancel()
	bwant, _ := bctx.Deadline()
	errs := make([]error, 2)
	tr.DispatchBatch(bctx, batchOf("2", "3"), errs)
	for i, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("batch event %d under a 30 ms parent: %v, want DeadlineExceeded", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, d := range seen {
		w := want
		if i > 0 {
			w = bwant
		}
		if !d.Equal(w) {
			t.Errorf("call %d saw deadline %v, want the parent's %v", i, d, w)
		}
	}
}

// A goroutine the function leaves behind may keep its context (net/http's
// dialer does, through context.WithoutCancel, without asking for Done):
// the context stays that call's, race-free while later calls run on the
// slot, and ends with context.Canceled once the call returned.
func TestCooperativeContextOutlivesCall(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	leaked := make(chan context.Context, 1)
	h, _ := newHost(t, func(ctx context.Context, e *event.Event) (*event.Event, error) {
		if e.ID() == "leak" {
			leaked <- ctx // net/http's dialer keeps it under context.WithoutCancel
		}
		return nil, nil
	}, cooperative(time.Minute), host.WithConcurrency(1))
	tr := h.Trigger("t")
	e := newEvent("leak")
	e.SetExtension(trace.Extension, event.String(tp))
	if _, err := tr.Dispatch(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	old := <-leaked
	done := make(chan struct{})
	go func() { // reads the old context while the slot runs other calls
		defer close(done)
		for range 200 {
			_ = old.Value(struct{}{})
			_ = trace.FromContext(old)
			_ = old.Err()
		}
	}()
	for i := range 200 {
		if _, err := tr.Dispatch(context.Background(), newEvent(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if err := old.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("a returned call's context: Err() = %v, want context.Canceled", err)
	}
	select {
	case <-old.Done():
	default:
		t.Error("a returned call's context is not done")
	}
	if got := trace.FromContext(old); got != tp {
		t.Errorf("a returned call's context carries traceparent %q, want its own %q", got, tp)
	}
}

// containedNoop is a noop that promises to keep nothing of a call.
type containedNoop struct{}

func (containedNoop) Call(context.Context, *event.Event) (*event.Event, error) { return nil, nil }
func (containedNoop) Contained()                                               {}

// A function.Contained function gets a context its slot reuses: no
// allocation per event, and contexts still end at their deadlines while
// calls come and go (run under -race, with the watcher ticking).
func TestCooperativeContainedReuse(t *testing.T) {
	h, err := host.New(containedNoop{}, cooperative(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Drain(context.Background()); h.Close() })
	tr := h.Trigger("t")
	if !raceEnabled {
		e := newEvent("1")
		if n := testing.AllocsPerRun(1000, func() { _, _ = tr.Dispatch(context.Background(), e) }); n != 0 {
			t.Errorf("a contained function's Dispatch allocates %v times, want 0", n)
		}
	}
	var calls atomic.Int64
	slow, err := host.New(containedFunc(func(ctx context.Context, e *event.Event) (*event.Event, error) {
		calls.Add(1)
		if e.ID() == "slow" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return nil, nil
	}), cooperative(5*time.Millisecond), host.WithAttempts(1), host.WithConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = slow.Drain(context.Background()); slow.Close() })
	st := slow.Trigger("t")
	for i := range 300 {
		id := fmt.Sprint(i)
		if i%25 == 0 {
			id = "slow"
		}
		_, err := st.Dispatch(context.Background(), newEvent(id))
		switch {
		case id == "slow" && !errors.Is(err, host.ErrTimeout):
			t.Fatalf("call %d (slow): %v, want ErrTimeout", i, err)
		case id != "slow" && err != nil && !errors.Is(err, host.ErrTimeout):
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

// containedFunc is a Func that claims function.Contained.
type containedFunc func(ctx context.Context, e *event.Event) (*event.Event, error)

func (f containedFunc) Call(ctx context.Context, e *event.Event) (*event.Event, error) {
	return f(ctx, e)
}
func (containedFunc) Contained() {}
