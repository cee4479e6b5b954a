package host

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/trace"
)

// States of a callCtx.
const (
	ctxArmed int32 = iota // the call runs and its context is live
	ctxEnded              // the context ended: deadline, parent, or the call returned
)

// callCtx is the context a function gets when it runs on the caller's
// goroutine with a timeout ([WithCooperativeTimeout]); the host's
// watcher ends it at its deadline. Once the call returns it ends with
// context.Canceled, as a context from context.WithTimeout does after its
// cancel, so that goroutines the function left behind stop.
//
// It is made for each call (the one allocation of a cooperative event)
// and never reused: goroutines may keep a context after its call
// returned without ever asking for Done (net/http's dialer holds the
// request's context through context.WithoutCancel and reads its values
// later), so nothing in it may change once the call began.
//
// The one exception is a [function.Contained] function, which promises
// that nothing reads its context once it returned: its slot reuses one.
type callCtx struct {
	parent   context.Context
	deadline time.Time
	due      atomic.Int64  // the deadline in ns since the host's epoch
	gen      atomic.Uint64 // counts reuses, so that a late watcher leaves the next call alone
	state    atomic.Int32
	closed   chan struct{} // the host's closed channel
	trace    trace.Holder  // the event's traceparent, when the parent has none

	mu   sync.Mutex
	done chan struct{} // made on first use
	err  error
	stop func() bool // stops the parent watcher, when Done made one
}

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.err != nil {
			c.done = c.closed
		} else {
			c.done = make(chan struct{})
		}
	}
	if c.stop == nil && c.err == nil && c.parent.Done() != nil {
		parent := c.parent
		c.stop = context.AfterFunc(parent, func() { c.end(parent.Err()) })
	}
	return c.done
}

func (c *callCtx) Err() error {
	if c.state.Load() == ctxArmed {
		return c.parent.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *callCtx) Value(key any) any {
	if v := c.parent.Value(key); v != nil {
		return v // the protocol's traceparent comes before the event's
	}
	if v, ok := c.trace.Value(key); ok {
		return v
	}
	return nil
}

func (c *callCtx) String() string { return "host.functionContext" }

// end ends the context with err, once.
func (c *callCtx) end(err error) {
	c.mu.Lock()
	c.endLocked(err)
	c.mu.Unlock()
}

func (c *callCtx) endLocked(err error) {
	if c.state.CompareAndSwap(ctxArmed, ctxEnded) {
		c.err = err
		if c.done != nil {
			close(c.done)
		}
	}
}

// expire ends the context if it is live at now (ns since the host's
// epoch), past its deadline, and still the call the watcher saw.
func (c *callCtx) expire(now int64) {
	g := c.gen.Load()
	if c.state.Load() != ctxArmed || now < c.due.Load() {
		return
	}
	c.mu.Lock()
	if c.gen.Load() == g && now >= c.due.Load() {
		c.endLocked(context.DeadlineExceeded)
	}
	c.mu.Unlock()
}

// reset readies a finished context of a Contained function for the
// slot's next call.
func (c *callCtx) reset() {
	c.mu.Lock()
	c.gen.Add(1) // under mu: a watcher that saw the last call leaves this one alone
	c.err, c.done, c.stop = nil, nil, nil
	c.mu.Unlock()
	c.trace.Reset()
}

// finish ends the context once the function returned and returns the
// error it had ended with before, if any.
func (c *callCtx) finish() error {
	c.mu.Lock()
	var err error
	if !c.state.CompareAndSwap(ctxArmed, ctxEnded) {
		err = c.err
	} else {
		c.err = context.Canceled
		if c.done != nil {
			close(c.done)
		}
	}
	stop := c.stop
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	return err
}

// watchTick is how often the watcher ends contexts past their deadline:
// a sixteenth of the timeout, between 1 ms and 100 ms. A context ends at
// most that long after its deadline.
func watchTick(timeout time.Duration) time.Duration {
	return min(max(timeout/16, time.Millisecond), 100*time.Millisecond)
}

// watch ends the slot contexts past their deadline every tick, until
// the host closes. It runs from the first cooperative call on.
func (h *Host) watch(tick time.Duration, stop <-chan struct{}) {
	defer close(h.watchDone)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			now := int64(h.now())
			for i := range h.calls {
				if c := h.calls[i].Load(); c != nil {
					c.expire(now)
				}
			}
		}
	}
}

// runCooperative runs the function on the caller's goroutine with the
// slot's context, which the watcher ends at the attempt's deadline (at
// most one tick after it). The caller waits for the function; an attempt
// whose context ended failed, whatever the function returned, and counts
// as late unless the function stopped because its context ended.
func (t *Trigger) runCooperative(ctx context.Context, e *event.Event, slot int32, start, pd time.Duration) (*event.Event, error) {
	h := t.h
	h.watchOnce.Do(func() {
		h.watching.Store(true)
		go h.watch(watchTick(h.cfg.timeout), h.watchStop)
	})
	due := min(start+h.cfg.timeout, pd)
	var c *callCtx
	if h.spare != nil { // a Contained function: the slot's context is reused
		if c = h.spare[slot]; c == nil {
			c = new(callCtx)
		}
		h.spare[slot] = nil
	} else {
		c = new(callCtx)
	}
	c.parent, c.deadline, c.closed = ctx, h.epoch.Add(due), h.closedCh
	c.due.Store(int64(due))
	if v, ok := e.Extension(trace.Extension); ok && v.Kind() == event.KindString {
		c.trace.Set(v.Text()) // copied into the context: no allocation of its own
	}
	c.state.Store(ctxArmed)
	h.begin(slot, t, start)
	h.calls[slot].Store(c)
	reply, err := call(c, h.fn, e)
	h.calls[slot].Store(nil)
	cerr := c.finish()
	if h.spare != nil {
		c.reset()
		h.spare[slot] = c
	}
	h.end(slot)
	switch {
	case cerr == nil:
		return reply, err
	case errors.Is(cerr, context.DeadlineExceeded):
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			// It did not stop because its context ended: it overran.
			t.m.late.Inc()
			h.warn("function returned after its event timed out", "trigger", t.name, "function", h.cfg.functionName, "error", err)
		}
		return nil, h.errTimeout
	default:
		return nil, cerr
	}
}

// noDeadline is parentDue's answer for a context without a deadline.
const noDeadline = time.Duration(math.MaxInt64)

// parentDue returns ctx's deadline in ns since the host's epoch, or
// noDeadline; only cooperative timeouts need it (the others never ask).
func (h *Host) parentDue(ctx context.Context) time.Duration {
	if h.calls == nil {
		return noDeadline
	}
	if d, ok := ctx.Deadline(); ok {
		return d.Sub(h.epoch)
	}
	return noDeadline
}
