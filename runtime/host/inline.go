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

// States of a slotCtx.
const (
	ctxIdle  int32 = iota // no call
	ctxArmed              // a call runs and its context is live
	ctxEnded              // the call's context ended (deadline or parent)
)

// slotCtx is the context a function gets when it runs on the caller's
// goroutine with a timeout ([WithCooperativeTimeout]). Each slot owns
// one, reused from call to call; the host's watcher ends it at its
// deadline. A call costs a few stores and one compare-and-swap, and
// allocates nothing unless the function asks for Done while its parent
// can end on its own (a request whose client may go away), which needs a
// watcher of the parent. As with the event, a function must not use it
// after it returned.
type slotCtx struct {
	parent   context.Context // set by begin, read by the caller's goroutine
	deadline time.Time
	due      atomic.Int64 // the deadline in ns since the host's epoch
	state    atomic.Int32
	watching atomic.Bool // Done started a watcher of the parent
	closed   chan struct{}
	trace    trace.Holder // the event's traceparent, when the parent has none

	mu   sync.Mutex
	done chan struct{} // made on first use; kept across calls until closed
	err  error
	stop func() bool // stops the parent watcher
}

func (c *slotCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *slotCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.err != nil {
			c.done = c.closed
		} else {
			c.done = make(chan struct{})
		}
	}
	if c.stop == nil && c.state.Load() == ctxArmed && c.parent.Done() != nil {
		parent := c.parent
		c.watching.Store(true)
		c.stop = context.AfterFunc(parent, func() { c.cancelFor(parent, parent.Err()) })
	}
	return c.done
}

func (c *slotCtx) Err() error {
	if c.state.Load() != ctxEnded {
		return c.parent.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *slotCtx) Value(key any) any {
	if v := c.parent.Value(key); v != nil {
		return v // the protocol's traceparent comes before the event's
	}
	if v, ok := c.trace.Value(key); ok {
		return v
	}
	return nil
}

func (c *slotCtx) String() string { return "host.functionContext" }

// expire ends the call if it is still running at now (ns since epoch)
// and past its deadline.
func (c *slotCtx) expire(now int64) {
	if c.state.Load() != ctxArmed || now < c.due.Load() {
		return
	}
	c.mu.Lock()
	if c.state.Load() == ctxArmed && now >= c.due.Load() {
		c.endLocked(context.DeadlineExceeded)
	}
	c.mu.Unlock()
}

// cancelFor ends the call whose parent is parent, if it still runs.
func (c *slotCtx) cancelFor(parent context.Context, err error) {
	c.mu.Lock()
	if c.state.Load() == ctxArmed && c.parent == parent {
		c.endLocked(err)
	}
	c.mu.Unlock()
}

// endLocked ends the running call's context with err; c.mu is held. The
// state moves only under c.mu here, and only by compare-and-swap in
// finish, so exactly one of them wins.
func (c *slotCtx) endLocked(err error) {
	if c.state.CompareAndSwap(ctxArmed, ctxEnded) {
		c.err = err
		if c.done != nil {
			close(c.done)
		}
	}
}

// begin arms c for a call under parent that must end by deadline (due in
// ns since the host's epoch).
func (c *slotCtx) begin(parent context.Context, deadline time.Time, due int64) {
	c.parent, c.deadline = parent, deadline
	c.due.Store(due)
	c.state.Store(ctxArmed)
}

// finish disarms c once the function returned, and returns the error its
// context ended with, if it did. The parent stays for a late Value or
// Err from a goroutine the function left behind.
func (c *slotCtx) finish() error {
	if c.state.CompareAndSwap(ctxArmed, ctxIdle) && !c.watching.Load() {
		return nil // the usual case: no lock
	}
	c.mu.Lock()
	c.state.CompareAndSwap(ctxArmed, ctxIdle)
	err := c.err
	if err != nil {
		c.done = nil // closed, or the shared closed channel
		c.err = nil
	}
	stop := c.stop
	c.stop = nil
	c.watching.Store(false)
	c.state.Store(ctxIdle)
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
			for _, c := range h.slotCtxs {
				c.expire(now)
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
	c := h.slotCtxs[slot]
	due := min(start+h.cfg.timeout, pd)
	deadline := h.epoch.Add(due)
	h.begin(slot, t, start)
	if v, ok := e.Extension(trace.Extension); ok && v.Kind() == event.KindString {
		c.trace.Set(v.Text()) // no allocation, unlike withTrace
	} else {
		c.trace.Reset()
	}
	c.begin(ctx, deadline, int64(due))
	reply, err := call(c, h.fn, e)
	cerr := c.finish()
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
	if h.slotCtxs == nil {
		return noDeadline
	}
	if d, ok := ctx.Deadline(); ok {
		return d.Sub(h.epoch)
	}
	return noDeadline
}
