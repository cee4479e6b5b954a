package cron

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// A Clock tells the time and waits. [Trigger] reads time only through
// its Clock, so a test can drive it with a clock of its own instead of
// waiting real minutes. Implementations must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives once d has passed. The
	// trigger may abandon the channel without receiving from it.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the [Clock] of package time, the default of [Trigger].
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d). An abandoned timer is collected by the
// garbage collector (Go 1.23 and later), so nothing leaks.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// An Option configures a [Trigger].
type Option interface{ apply(*options) }

type options struct {
	clock Clock
	hook  func(error)
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithClock sets the clock the trigger reads and waits on. The default is
// [SystemClock]; nil is refused by [NewTrigger].
func WithClock(c Clock) Option { return optionFunc(func(o *options) { o.clock = c }) }

// WithErrorHook sets a function the trigger calls, on its own goroutine,
// with a [*DispatchError] for each failed dispatch, a [*MissedError] for
// each run of scheduled times that passed while a dispatch ran, and
// [ErrScheduleEnded] if the schedule has no further time. The host logs
// them; the hook should return quickly, as the next tick waits for it.
// The default is none: failures and missed times are then only counted
// ([Trigger.Stats]). nil means none.
func WithErrorHook(f func(error)) Option { return optionFunc(func(o *options) { o.hook = f }) }

// Stats are a [Trigger]'s counts since it was built.
type Stats struct {
	// Fired is how many events were passed to the dispatch function.
	Fired uint64
	// Failed is how many of those dispatches returned an error or
	// panicked.
	Failed uint64
	// Missed is how many scheduled times passed while a dispatch was
	// running (or while the process did not run); no event is made for
	// them.
	Missed uint64
}

// A Trigger makes an event at each time of a [Schedule] and hands it to a
// dispatch function, one at a time.
//
// Each event has a new random id ([event.NewID]), the source and type
// given to [NewTrigger], specversion 1.0, the scheduled time (not the
// moment it was made) as its time attribute in RFC 3339 UTC, and no data.
//
// Dispatches never overlap and nothing queues: if a dispatch is still
// running when later times pass, those times are counted in
// [Stats].Missed and reported, and the next event is for the first
// scheduled time after the dispatch returned. A dispatch error or panic is
// counted in [Stats].Failed and reported to the error hook
// ([WithErrorHook]); the schedule goes on.
//
// A Trigger is safe for concurrent use.
type Trigger struct {
	sched    *Schedule
	source   string
	typ      string
	dispatch func(context.Context, *event.Event) error
	clock    Clock
	hook     func(error)

	fired, failed, missed atomic.Uint64

	mu      sync.Mutex
	started bool
	closed  bool
	stop    chan struct{}      // closed by Shutdown to end the loop
	cancel  context.CancelFunc // ends the dispatch context
	done    chan struct{}      // closed when the loop has returned
}

// NewTrigger returns a stopped trigger that makes events with the given
// source and type at the times of s and passes each to dispatch. Nothing
// happens before [Trigger.Start].
//
// source and type must be valid for a CloudEvent (a non-empty
// URI-reference and a non-empty string); s and dispatch must not be nil.
// Errors say which argument or option is wrong.
func NewTrigger(s *Schedule, source, typ string, dispatch func(ctx context.Context, e *event.Event) error, opts ...Option) (*Trigger, error) {
	if s == nil {
		return nil, errors.New("cron: nil schedule")
	}
	if dispatch == nil {
		return nil, errors.New("cron: nil dispatch function")
	}
	probe := event.New(event.NewID(), source, typ)
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("cron: source %q and type %q do not make a valid event: %w", source, typ, err)
	}
	o := options{clock: SystemClock{}}
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.clock == nil {
		return nil, errors.New("cron: WithClock(nil)")
	}
	if s.Next(o.clock.Now()).IsZero() {
		return nil, fmt.Errorf("cron: schedule %q never fires", s.String())
	}
	if o.hook == nil {
		o.hook = func(error) {}
	}
	return &Trigger{
		sched: s, source: source, typ: typ, dispatch: dispatch,
		clock: o.clock, hook: o.hook,
	}, nil
}

// Start starts the schedule and returns at once: the first event is made
// at the first scheduled time after the call. ctx is not kept for
// cancellation, only for its values, which every dispatch context
// carries; the trigger runs until [Trigger.Shutdown]. Start after
// Shutdown returns [ErrClosed], a second Start [ErrRunning].
func (t *Trigger) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closed:
		return ErrClosed
	case t.started:
		return ErrRunning
	}
	t.started = true
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t.stop, t.cancel, t.done = make(chan struct{}), cancel, make(chan struct{})
	go t.run(dctx)
	return nil
}

// Shutdown stops the schedule: no event is made after it is called. It
// waits for a dispatch that is running to return, or for ctx to end; then
// it ends the dispatch's context and returns ctx's error, without waiting
// further. Shutdown is safe to call more than once, from any goroutine,
// and before Start.
func (t *Trigger) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		if t.started {
			close(t.stop)
		}
	}
	started, done, cancel := t.started, t.done, t.cancel
	t.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-done:
		cancel()
		return nil
	case <-ctx.Done():
		cancel()
		return fmt.Errorf("cron: shutdown: a dispatch was still running: %w", ctx.Err())
	}
}

// Stats returns the trigger's counts. It is safe to call from any
// goroutine at any time; the counts are read one by one, not as one
// snapshot.
func (t *Trigger) Stats() Stats {
	return Stats{Fired: t.fired.Load(), Failed: t.failed.Load(), Missed: t.missed.Load()}
}

// run is the trigger's one goroutine: wait for the next time, dispatch,
// count what passed meanwhile, repeat until stopped.
func (t *Trigger) run(ctx context.Context) {
	defer close(t.done)
	now := t.clock.Now()
	next := t.sched.Next(now)
	for {
		if next.IsZero() {
			t.hook(ErrScheduleEnded)
			return
		}
		select {
		case <-t.stop:
			return
		case <-t.clock.After(next.Sub(now)):
		}
		// A clock set back while waiting makes the wait end early by the
		// wall clock; wait again for the remainder.
		if now = t.clock.Now(); now.Before(next) {
			continue
		}
		select {
		case <-t.stop: // Shutdown won the race with the timer
			return
		default:
		}
		t.fire(ctx, next)
		now = t.clock.Now()
		m := MissedError{Source: t.source, Type: t.typ}
		for next = t.sched.Next(next); !next.IsZero() && !next.After(now); next = t.sched.Next(next) {
			if m.Count == 0 {
				m.First = next
			}
			m.Count++
			m.Last = next
		}
		if m.Count > 0 {
			t.missed.Add(m.Count)
			t.hook(&m)
		}
	}
}

// fire makes the event for the scheduled time at and dispatches it.
func (t *Trigger) fire(ctx context.Context, at time.Time) {
	e := event.New(event.NewID(), t.source, t.typ)
	e.SetTime(at.UTC().Format(time.RFC3339))
	t.fired.Add(1)
	if err := binding.Call(ctx, binding.HandlerFunc(t.dispatch), &e); err != nil {
		t.failed.Add(1)
		t.hook(&DispatchError{ID: e.ID(), Time: at.UTC(), Source: t.source, Type: t.typ, Err: err})
	}
}
