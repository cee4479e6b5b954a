package host

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/openevents/openevents/event"
)

// slotCtx is the context a function gets when it runs on the caller's
// goroutine with a timeout ([WithCooperativeTimeout]). Each slot owns
// one, with one timer, reused from call to call: a call allocates
// nothing unless the function asks for Done while its parent can end on
// its own (a request whose client may go away), which needs a watcher.
// As with the event, a function must not use it after it returned.
type slotCtx struct {
	parent   context.Context
	deadline time.Time
	closed   chan struct{} // the host's closed channel
	timer    *time.Timer   // runs expire at the deadline

	mu    sync.Mutex
	armed bool          // a call is running
	done  chan struct{} // made on first use; kept across calls until closed
	err   error
	stop  func() bool // stops the parent watcher, when there is one
}

func newSlotCtx(closed chan struct{}) *slotCtx {
	c := &slotCtx{closed: closed}
	c.timer = time.AfterFunc(time.Hour, c.expire)
	c.timer.Stop()
	return c
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
	if c.armed && c.err == nil && c.stop == nil && c.parent.Done() != nil {
		parent := c.parent
		c.stop = context.AfterFunc(parent, func() { c.cancelFor(parent, parent.Err()) })
	}
	return c.done
}

func (c *slotCtx) Err() error {
	c.mu.Lock()
	err, parent := c.err, c.parent
	c.mu.Unlock()
	if err == nil && parent != nil {
		err = parent.Err()
	}
	return err
}

func (c *slotCtx) Value(key any) any {
	c.mu.Lock()
	parent := c.parent
	c.mu.Unlock()
	if parent == nil {
		return nil
	}
	return parent.Value(key)
}

func (c *slotCtx) String() string { return "host.functionContext" }

// expire is the timer's function. A timer that fired for an earlier
// call may run it late, during the next one; the deadline check makes
// that harmless, as the next call's own timer still runs.
func (c *slotCtx) expire() {
	c.mu.Lock()
	if c.armed && !time.Now().Before(c.deadline) {
		c.cancelLocked(context.DeadlineExceeded)
	}
	c.mu.Unlock()
}

// cancelFor ends the call whose parent is parent, if it still runs.
func (c *slotCtx) cancelFor(parent context.Context, err error) {
	c.mu.Lock()
	if c.armed && c.parent == parent {
		c.cancelLocked(err)
	}
	c.mu.Unlock()
}

func (c *slotCtx) cancelLocked(err error) {
	if c.err == nil {
		c.err = err
		if c.done != nil {
			close(c.done)
		}
	}
}

// begin arms c for a call under parent that must end by deadline.
func (c *slotCtx) begin(parent context.Context, deadline time.Time, timeout time.Duration) {
	c.mu.Lock()
	c.parent, c.deadline, c.armed = parent, deadline, true
	c.mu.Unlock()
	c.timer.Reset(timeout)
}

// end disarms c once the function returned and reports the error its
// context ended with, if it did: context.DeadlineExceeded as well when
// the timer fired but expire has not run yet. The parent stays for a
// late Value or Err from a goroutine the function left behind.
func (c *slotCtx) end() error {
	expired := !c.timer.Stop()
	c.mu.Lock()
	c.armed = false
	err := c.err
	if err != nil {
		c.done = nil // closed, or the shared closed channel
		c.err = nil
	} else if expired {
		err = context.DeadlineExceeded
	}
	stop := c.stop
	c.stop = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	return err
}

// runCooperative runs the function on the caller's goroutine with the
// slot's context, which ends at the attempt's deadline. The caller waits
// for the function; an attempt that returned after its deadline failed
// and counts as late, whatever the function returned.
func (t *Trigger) runCooperative(ctx context.Context, e *event.Event, slot int32, start time.Duration) (*event.Event, error) {
	h := t.h
	c := h.slotCtxs[slot]
	if c == nil {
		c = newSlotCtx(h.closedCh)
		h.slotCtxs[slot] = c // the slot is ours until release
	}
	timeout := h.cfg.timeout
	deadline := h.epoch.Add(start + timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
		timeout = time.Until(d)
	}
	h.starts[slot].Store(mark(start))
	t.m.inFlight.Inc()
	c.begin(withTrace(ctx, e), deadline, timeout)
	reply, err := call(c, h.fn, e)
	cerr := c.end()
	t.m.inFlight.Dec()
	h.starts[slot].Store(0)
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
