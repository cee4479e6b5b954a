package host

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/trace"
)

// call runs the function, turning a panic into a *binding.PanicError as
// binding.Call does for handlers.
func call(ctx context.Context, fn function.Function, e *event.Event) (reply *event.Event, err error) {
	defer binding.Recover(&err)
	return fn.Call(ctx, e)
}

// withTrace adds e's traceparent extension to ctx when ctx has none. It
// allocates only when it adds one.
func withTrace(ctx context.Context, e *event.Event) context.Context {
	if v, ok := e.Extension(trace.Extension); ok && v.Kind() == event.KindString && trace.FromContext(ctx) == "" {
		return trace.NewContext(ctx, v.Text())
	}
	return ctx
}

// States of a job.
const (
	jobIdle int32 = iota
	jobRunning
	jobFinished  // the function returned while the caller waited
	jobAbandoned // the caller gave up; the worker cleans up
)

// A job runs one attempt of a function on a worker goroutine of its own,
// so that the caller can stop waiting at the deadline. Jobs, their
// goroutines, channels, timers and buffers are reused: an attempt
// allocates its context (see fnCtx) and nothing else unless the function
// returns a reply (cloned, as the worker will run other events) or the
// event outgrows the buffers.
type job struct {
	h     *Host
	t     *Trigger
	start chan struct{} // capacity 1; closed to end the goroutine
	done  chan struct{} // capacity 1; the function returned
	timer *time.Timer
	ctx   *fnCtx // this attempt's; never reused
	state atomic.Int32

	// The function's own copy of the event: a late function may still
	// read it after the trigger reused the buffers of the original.
	ev  event.Event
	buf []byte
	ext []event.Extension

	slot  int32
	key   *keyEntry
	reply *event.Event
	err   error
}

// Bounds of what an idle job keeps, so that one huge event does not pin
// its buffers for ever.
const (
	maxRetainedBytes = 64 << 10
	maxRetainedExt   = 64
)

func (h *Host) getJob() *job {
	h.jobsMu.Lock()
	if n := len(h.jobs); n > 0 {
		j := h.jobs[n-1]
		h.jobs = h.jobs[:n-1]
		h.jobsMu.Unlock()
		return j
	}
	h.jobsMu.Unlock()
	j := &job{h: h, start: make(chan struct{}, 1), done: make(chan struct{}, 1), timer: time.NewTimer(time.Hour)}
	j.timer.Stop()
	go j.loop()
	return j
}

// putJob readies j for reuse, or ends its goroutine when the host is
// closed or enough jobs are idle.
func (h *Host) putJob(j *job) {
	j.ctx.cancel(context.Canceled) // the function returned; whoever kept its context sees it end
	j.ctx = nil
	j.ev.Reset()
	j.reply, j.err, j.t, j.key = nil, nil, nil, nil
	if cap(j.buf) > maxRetainedBytes {
		j.buf = nil
	}
	if cap(j.ext) > maxRetainedExt {
		j.ext = nil
	}
	clear(j.ext[:cap(j.ext)])
	j.state.Store(jobIdle)
	h.jobsMu.Lock()
	if h.jobsClosed || len(h.jobs) >= h.cfg.concurrency {
		h.jobsMu.Unlock()
		close(j.start)
		return
	}
	h.jobs = append(h.jobs, j)
	h.jobsMu.Unlock()
}

// loop is the job's goroutine: it runs the function each time start is
// signalled, and ends when start is closed.
func (j *job) loop() {
	for range j.start {
		h := j.h
		j.reply, j.err = call(j.ctx, h.fn, &j.ev)
		h.end(j.slot)
		if j.state.CompareAndSwap(jobRunning, jobFinished) {
			j.done <- struct{}{}
			continue
		}
		h.lateFinish(j)
	}
}

// load copies e into the job's event, with every string and the data in
// the job's buffer.
func (j *job) load(e *event.Event) {
	n := len(e.Data())
	for _, v := range e.Attributes {
		n += len(v.Text())
	}
	for _, x := range e.Extensions() {
		n += len(x.Name)
	}
	if cap(j.buf) < n {
		j.buf = make([]byte, 0, n)
	}
	a := arena{buf: j.buf[:0]}
	for name, v := range e.Attributes {
		if event.IsCoreAttribute(name) {
			j.ev.Set(name, a.value(v))
		}
	}
	j.ext = j.ext[:0]
	for _, x := range e.Extensions() {
		j.ext = append(j.ext, event.Extension{Name: a.copy(x.Name), Value: a.value(x.Value)})
	}
	if len(j.ext) > 0 {
		j.ev.SetSortedExtensions(j.ext)
	}
	if e.HasData() {
		d := a.bytes(e.Data())
		if e.IsBinaryData() {
			j.ev.SetBinaryData(d)
		} else {
			j.ev.SetData(d)
		}
	}
	j.buf = a.buf
}

// arena copies into a buffer sized beforehand, so that it never moves.
type arena struct{ buf []byte }

func (a *arena) bytes(b []byte) []byte {
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

func (a *arena) copy(s string) string {
	if s == "" {
		return ""
	}
	start := len(a.buf)
	a.buf = append(a.buf, s...)
	return unsafeString(a.buf[start:])
}

func (a *arena) value(v event.Value) event.Value {
	switch v.Kind() {
	case event.KindString:
		return event.String(a.copy(v.Text()))
	case event.KindURI:
		return event.URI(a.copy(v.Text()))
	case event.KindURIRef:
		return event.URIRef(a.copy(v.Text()))
	case event.KindTimestamp:
		return event.Timestamp(a.copy(v.Text()))
	case event.KindBinary:
		return event.Binary(v.Bytes()) // rare: two small copies
	}
	return v // Boolean and Integer hold no bytes
}

func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// fnCtx is the context a function gets on a worker: its parent's values
// (and the event's traceparent when the parent has none), the earlier of
// the parent's deadline and the event's, and a Done channel the waiting
// caller closes at the deadline or when the parent ends. One is made per
// attempt and never reused, since goroutines the function starts may keep
// it (net/http's dialer does); it ends with context.Canceled once the
// function returned.
type fnCtx struct {
	parent   context.Context
	deadline time.Time
	closed   chan struct{} // the host's closed channel
	trace    trace.Holder

	mu   sync.Mutex
	done chan struct{} // made on first use
	err  error
}

func (c *fnCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *fnCtx) Done() <-chan struct{} {
	c.mu.Lock()
	if c.done == nil {
		if c.err != nil {
			c.done = c.closed
		} else {
			c.done = make(chan struct{})
		}
	}
	d := c.done
	c.mu.Unlock()
	return d
}

func (c *fnCtx) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	return err
}

func (c *fnCtx) Value(key any) any {
	if v := c.parent.Value(key); v != nil {
		return v
	}
	if v, ok := c.trace.Value(key); ok {
		return v
	}
	return nil
}

func (c *fnCtx) String() string { return "host.functionContext" }

// cancel ends the context with err.
func (c *fnCtx) cancel(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
		if c.done != nil {
			close(c.done)
		}
	}
	c.mu.Unlock()
}

// runJob runs one attempt on a worker and waits for it until the
// deadline or until ctx ends. When it stops waiting before the function
// returned, the function keeps slot (and a hold on e) until it returns,
// and lost is true.
func (t *Trigger) runJob(ctx context.Context, e *event.Event, slot int32, ke *keyEntry, start time.Duration) (reply *event.Event, lost bool, err error) {
	h := t.h
	j := h.getJob()
	j.t, j.slot, j.key = t, slot, ke
	j.load(e)
	j.ctx = &fnCtx{parent: ctx, deadline: h.epoch.Add(start + h.cfg.timeout), closed: h.closedCh}
	if d, ok := ctx.Deadline(); ok && d.Before(j.ctx.deadline) {
		j.ctx.deadline = d
	}
	if v, ok := j.ev.Extension(trace.Extension); ok && v.Kind() == event.KindString {
		j.ctx.trace.Set(v.Text()) // a copy: the job's buffers are reused
	}
	j.state.Store(jobRunning)
	h.begin(slot, t, start)
	j.timer.Reset(h.cfg.timeout)
	j.start <- struct{}{}
	select {
	case <-j.done:
		j.timer.Stop()
		return j.finish()
	case <-j.timer.C:
		return j.abandon(context.DeadlineExceeded, h.errTimeout)
	case <-ctx.Done():
		j.timer.Stop()
		return j.abandon(ctx.Err(), ctx.Err())
	}
}

// finish takes the result of a job whose function returned, and readies
// the job for reuse.
func (j *job) finish() (*event.Event, bool, error) {
	reply, err := j.reply, j.err
	if reply != nil {
		c := reply.Clone() // the worker's next event reuses what reply points to
		reply = &c
	}
	j.h.putJob(j)
	return reply, false, err
}

// abandon stops waiting for j: the function sees ctxErr from its
// context, and the attempt fails with err. If the function returned
// meanwhile its result is taken instead.
func (j *job) abandon(ctxErr, err error) (*event.Event, bool, error) {
	h := j.h
	j.ctx.cancel(ctxErr)
	// Account for the late function before it can finish: the caller
	// may release its key and exit right after this.
	h.pending.Add(1)
	if j.key != nil {
		h.adm.mu.Lock()
		j.key.refs++
		j.key.running++
		h.adm.mu.Unlock()
	}
	if j.state.CompareAndSwap(jobRunning, jobAbandoned) {
		return nil, true, err
	}
	// It returned just now: undo, and take its result.
	<-j.done
	if j.key != nil {
		h.adm.mu.Lock()
		j.key.running--
		h.adm.dropRef(j.key)
		h.adm.mu.Unlock()
	}
	h.exit()
	return j.finish()
}

// lateFinish cleans up after a function that returned after its caller
// stopped waiting: it gives back the slot and the key hold it kept.
func (h *Host) lateFinish(j *job) {
	t := j.t
	t.m.late.Inc()
	h.warn("function returned after its event timed out", "trigger", t.name, "function", h.cfg.functionName, "error", j.err)
	a := &h.adm
	a.mu.Lock()
	a.giveSlot(j.slot)
	if e := j.key; e != nil {
		e.running--
		if e.running == 0 && e.lateWait != nil {
			e.lateWait.ch <- struct{}{}
			e.lateWait = nil
		}
		a.dropRef(e)
	}
	a.mu.Unlock()
	h.putJob(j)
	h.exit()
}
