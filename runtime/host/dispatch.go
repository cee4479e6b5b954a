// Package host runs a function for the function runtime's triggers: at
// most Concurrency functions at once, a bounded queue of callers waiting
// for a slot, a per-event timeout, retries with backoff and jitter, a
// dead-letter sink, reply sinks, readiness and Prometheus metrics.
//
// # The model
//
// A trigger calls [Trigger.Dispatch] on its own I/O goroutine, and the
// function runs there, inline: no hand-off to a worker pool, no
// allocation per event without a timeout. Concurrency is a semaphore:
// a caller takes a slot, or waits for one if fewer than QueueSize callers
// are waiting already, or is refused at once with an error wrapping
// binding.ErrOverloaded, which every transport turns into "come back
// later" (HTTP 429 with Retry-After, gRPC RESOURCE_EXHAUSTED) and a
// message trigger into not taking more.
//
// # Outcomes and acknowledgement
//
//   - nil: the function succeeded, or failed every attempt and the event
//     went to the dead-letter sink. Either way the event is safe and the
//     trigger acknowledges it.
//   - an error wrapping binding.ErrRejected: the function refused the
//     event for good. Not retried, not dead-lettered; the trigger refuses
//     it to its sender (HTTP 400, gRPC INVALID_ARGUMENT; MQTT acknowledges
//     and reports it, since nothing would change on redelivery).
//   - binding.ErrOverloaded, binding.ErrUnavailable (draining): the event
//     was not run; the sender should try again later.
//   - any other error: every attempt failed and there is no dead-letter
//     sink (or it failed too). The trigger does not acknowledge: HTTP 500,
//     gRPC the failure's code, MQTT redelivery.
//
// A panic in the function is recovered and is a failure like an error. A
// function that outlives its timeout fails the attempt when it returns
// (the trigger's goroutine is the function's, so the answer waits for
// it); one still running StuckAfter past its deadline makes [Host.Ready]
// fail, so an orchestrator stops sending and restarts the process rather
// than goroutines piling up.
package host

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/function"
)

// Extension attributes the dead-letter sink's events carry besides the
// original event's own (names valid under CORE-NAMING-1).
const (
	// ExtAttempts is the number of attempts made (an Integer).
	ExtAttempts = "deadletterattempts"
	// ExtError is the last attempt's error (a String, at most
	// maxErrorText bytes).
	ExtError = "deadlettererror"
)

const maxErrorText = 1024

// Host runs one function for any number of triggers.
type Host struct {
	fn   function.Function
	opts Options
	m    *metrics

	slots    chan struct{} // a token per running function
	waiting  atomic.Int64  // callers waiting for a slot
	draining atomic.Bool
	stuck    atomic.Int64 // functions running StuckAfter past their deadline
}

// New returns a Host running fn with o (zero fields take the defaults).
func New(fn function.Function, o Options) (*Host, error) {
	if fn == nil {
		return nil, fmt.Errorf("%w: nil function", ErrConfig)
	}
	o.setDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	return &Host{fn: fn, opts: o, m: m, slots: make(chan struct{}, o.Concurrency)}, nil
}

// Trigger is a trigger's entry point into the host, with its metric
// series resolved once.
type Trigger struct {
	h *Host
	s series
}

// Trigger returns the entry point for the trigger called name (a metrics
// label: "http", "grpc", "mqtt", "cron").
func (h *Host) Trigger(name string) *Trigger {
	return &Trigger{h: h, s: h.m.series(name, h.opts.FunctionName)}
}

// Handle dispatches e and drops the reply (the reply sinks still get it):
// the form of a binding.Handler.
func (t *Trigger) Handle(ctx context.Context, e *event.Event) error {
	_, err := t.Dispatch(ctx, e)
	return err
}

// Dispatch runs the function for e, with retries, and returns its reply
// (valid until the next Dispatch on this goroutine) and the outcome
// described in the package documentation.
func (t *Trigger) Dispatch(ctx context.Context, e *event.Event) (*event.Event, error) {
	h := t.h
	t.s.received.Inc()
	if h.draining.Load() {
		t.s.refused.Inc()
		return nil, fmt.Errorf("%w: the runtime is draining", binding.ErrUnavailable)
	}
	if err := h.acquire(ctx); err != nil {
		t.s.overloaded.Inc()
		return nil, err
	}
	t.s.inFlight.Inc()
	defer func() {
		t.s.inFlight.Dec()
		<-h.slots
	}()

	var err error
	var reply *event.Event
	backoff := h.opts.Backoff
	for attempt := 1; ; attempt++ {
		start := time.Now()
		reply, err = h.call(ctx, e, t)
		t.s.latency.Observe(time.Since(start).Seconds())
		switch {
		case err == nil:
			t.s.succeeded.Inc()
			h.sendReplies(ctx, reply, t)
			return reply, nil
		case errors.Is(err, binding.ErrRejected):
			t.s.rejected.Inc()
			return nil, err
		}
		t.s.failed.Inc()
		if attempt >= h.opts.Attempts || ctx.Err() != nil {
			return nil, h.deadLetter(ctx, e, attempt, err, t)
		}
		t.s.retried.Inc()
		wait := rand.N(backoff + 1) // full jitter
		backoff = min(backoff*2, h.opts.MaxBackoff)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, h.deadLetter(ctx, e, attempt, err, t)
		}
	}
}

// acquire takes a slot, waiting in the queue when there is room in it.
func (h *Host) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	if h.waiting.Add(1) > int64(h.opts.QueueSize) {
		h.waiting.Add(-1)
		return fmt.Errorf("%w: %d functions running and %d events queued (concurrency, queue)", binding.ErrOverloaded, h.opts.Concurrency, h.opts.QueueSize)
	}
	defer h.waiting.Add(-1)
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: gave up waiting for a free slot: %w", binding.ErrOverloaded, ctx.Err())
	}
}

// call runs one attempt, with the per-event timeout and panic recovery.
func (h *Host) call(ctx context.Context, e *event.Event, t *Trigger) (reply *event.Event, err error) {
	if h.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.opts.Timeout)
		defer cancel()
		stuck := time.AfterFunc(h.opts.Timeout+h.opts.StuckAfter, func() { h.stuck.Add(1) })
		defer func() {
			if !stuck.Stop() {
				h.stuck.Add(-1)
			}
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			reply, err = nil, &binding.PanicError{Value: p}
		}
	}()
	reply, err = h.fn.Call(ctx, e)
	if h.opts.Timeout > 0 && ctx.Err() != nil {
		t.s.late.Inc()
		if err == nil {
			err = fmt.Errorf("%w: the function returned after its timeout of %v", binding.ErrTimeout, h.opts.Timeout)
		}
		return nil, err
	}
	return reply, err
}

// deadLetter hands e to the dead-letter sink after its last attempt and
// returns nil when the sink took it, else the function's error.
func (h *Host) deadLetter(ctx context.Context, e *event.Event, attempts int, ferr error, t *Trigger) error {
	if h.opts.DeadLetter == nil {
		return ferr
	}
	d := e.Clone()
	d.SetExtension(ExtAttempts, event.Integer(int32(min(attempts, 1<<30))))
	msg := ferr.Error()
	if len(msg) > maxErrorText {
		msg = msg[:maxErrorText]
	}
	d.SetExtension(ExtError, event.String(msg))
	// The dead-letter sink gets its own time even when the caller's
	// context has ended: the event must not be lost for that.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.SinkTimeout)
	defer cancel()
	if err := h.opts.DeadLetter.Send(sctx, &d); err != nil {
		h.sinkError("dead-letter", e.ID(), err)
		return fmt.Errorf("%w (and the dead-letter sink failed: %w)", ferr, err)
	}
	t.s.deadLettered.Inc()
	return nil
}

// sendReplies gives reply to every reply sink; their failures are
// reported and counted, and do not fail the event, which was handled.
func (h *Host) sendReplies(ctx context.Context, reply *event.Event, t *Trigger) {
	if reply == nil || len(h.opts.Replies) == 0 {
		return
	}
	for _, s := range h.opts.Replies {
		if err := s.Send(ctx, reply); err != nil {
			t.s.replyFailed.Inc()
			h.sinkError("reply", reply.ID(), err)
		}
	}
}

func (h *Host) sinkError(sink, id string, err error) {
	if h.opts.OnSinkError != nil {
		h.opts.OnSinkError(sink, id, err)
	}
}

// Ready reports why the host should not be sent events now: draining, a
// stuck function, or every slot busy with the queue full.
func (h *Host) Ready() error {
	switch {
	case h.draining.Load():
		return errors.New("draining")
	case h.stuck.Load() > 0:
		return fmt.Errorf("%d functions running %v past their timeout", h.stuck.Load(), h.opts.StuckAfter)
	case len(h.slots) == cap(h.slots) && h.waiting.Load() >= int64(h.opts.QueueSize):
		return errors.New("saturated: every slot busy and the queue full")
	}
	return nil
}

// Drain refuses new events (binding.ErrUnavailable) and waits for the
// functions running to return, or for ctx; it then returns ctx's error.
//
// It takes every slot for itself, each as its function returns, so once it
// returns nil no function runs and none can start.
func (h *Host) Drain(ctx context.Context) error {
	h.draining.Store(true)
	for range cap(h.slots) {
		select {
		case h.slots <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("drain: functions still running: %w", ctx.Err())
		}
	}
	return nil
}
