package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/function"
)

// PartitionKeyExtension is the extension attribute whose value orders
// events with [WithPartitionOrder] (the CloudEvents partitioning
// extension, a non-empty String: EXT-PARTITION-1).
const PartitionKeyExtension = "partitionkey"

// A Host runs a function for the events its triggers dispatch, within
// the limits of its options. It is safe for concurrent use; build it with
// [New], get an entry point per trigger with [Host.Trigger], and stop it
// with [Host.Drain] then [Host.Close].
type Host struct {
	fn      function.Function
	cfg     config
	log     *slog.Logger //nolint:forbidigo // the runtime brief asks for a logger; it discards by default
	metrics *metrics
	epoch   time.Time

	// slots holds, per slot, what runs there: Ready finds stuck
	// functions and the collector counts those in flight by scanning it.
	slots     []slotState
	collector *collector
	// calls holds, per slot, the context of the cooperative call running
	// there, for the watcher to end at its deadline.
	calls     []atomic.Pointer[callCtx]
	spare     []*callCtx    // per slot, a reused context, for a function.Contained function only
	watchOnce sync.Once     // starts watch, which ends the calls' contexts at their deadline
	watching  atomic.Bool   // watch was started
	watchStop chan struct{} // closed by Close to end watch
	watchDone chan struct{} // closed by watch as it ends
	adm       admission
	dedupe    *dedupe

	// pending counts Dispatch calls under way and late functions;
	// Drain waits for it to reach 0, woken through idle.
	pending   atomic.Int64
	idle      chan struct{}
	draining  atomic.Bool
	drainCh   chan struct{} // closed when draining starts
	drainOnce sync.Once
	closedCh  chan struct{} // always closed; the Done of ended contexts

	jobsMu     sync.Mutex
	jobs       []*job // idle jobs, each with its goroutine
	jobsClosed bool

	triggersMu sync.Mutex
	triggers   map[string]*Trigger

	errOverloaded error // built once: refusing costs no allocation
	errTimeout    error
}

// New returns a host for fn. It starts no goroutine: workers start as
// the first events with a timeout arrive. Errors wrap [ErrConfig] and
// name every bad option, or come from registering the metrics.
func New(fn function.Function, opts ...Option) (*Host, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o.apply(&cfg)
	}
	err := cfg.check()
	if fn == nil {
		err = errors.Join(fmt.Errorf("host: the function is nil: %w", ErrConfig), err)
	}
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.registerer)
	if err != nil {
		return nil, fmt.Errorf("host: registering metrics: %w", err)
	}
	h := &Host{
		fn: fn, cfg: cfg, log: cfg.logger, metrics: m, epoch: time.Now(),
		slots:    make([]slotState, cfg.concurrency),
		idle:     make(chan struct{}, 1),
		drainCh:  make(chan struct{}),
		closedCh: make(chan struct{}),
		triggers: make(map[string]*Trigger),
		errOverloaded: fmt.Errorf("%w: all %d function slots are busy and %d callers wait already",
			ErrOverloaded, cfg.concurrency, cfg.queueSize),
		errTimeout: &timeoutError{msg: fmt.Sprintf("%v: no return within the timeout of %v: %v",
			ErrTimeout, cfg.timeout, context.DeadlineExceeded)},
	}
	close(h.closedCh)
	if cfg.timeout > 0 && cfg.cooperative {
		h.calls = make([]atomic.Pointer[callCtx], cfg.concurrency)
		if _, ok := fn.(function.Contained); ok {
			h.spare = make([]*callCtx, cfg.concurrency)
		}
		h.watchStop, h.watchDone = make(chan struct{}), make(chan struct{})
	}
	h.adm.init(cfg.concurrency, cfg.queueSize)
	if cfg.dedupeWindow > 0 {
		h.dedupe = newDedupe(int64(cfg.dedupeWindow), cfg.dedupeEntries)
	}
	if h.collector, err = registerCollector(m.registerer, h); err != nil {
		return nil, fmt.Errorf("host: registering metrics: %w", err)
	}
	return h, nil
}

// Gatherer returns the registry of the host's metrics when it can be
// read: always with the default (a registry of the host's own), and when
// the registerer given to [WithMetrics] is also a prometheus.Gatherer
// (a *prometheus.Registry is). Otherwise it returns nil.
func (h *Host) Gatherer() prometheus.Gatherer { return h.metrics.gatherer }

// now returns the time since the host's epoch. It reads only the
// monotonic clock, which costs half of time.Now.
func (h *Host) now() time.Duration { return time.Since(h.epoch) }

// mark is the word starts holds for a function started at d (never 0).
func mark(d time.Duration) int64 { return int64(d) + 1 }

// A Trigger is a trigger's entry point into a [Host]: it counts the
// trigger's events under its own metric labels, resolved once. It is
// safe for concurrent use and satisfies binding.Handler and the
// Dispatcher of runtime/trigger.
type Trigger struct {
	h     *Host
	name  string
	m     triggerMetrics
	stats *triggerStats
}

// Trigger returns the entry point for the trigger called name (its
// metrics label, e.g. "http 127.0.0.1:8080"). Calls with the same name
// return the same *Trigger.
func (h *Host) Trigger(name string) *Trigger {
	h.triggersMu.Lock()
	defer h.triggersMu.Unlock()
	if t, ok := h.triggers[name]; ok {
		return t
	}
	t := &Trigger{h: h, name: name, m: h.metrics.forTrigger(name, h.cfg.functionName), stats: new(triggerStats)}
	h.triggers[name] = t
	return t
}

// Name returns the trigger's name.
func (t *Trigger) Name() string { return t.name }

// Handle dispatches e and returns only the outcome: the reply, if any,
// goes to the reply sinks alone. It makes a Trigger a binding.Handler.
func (t *Trigger) Handle(ctx context.Context, e *event.Event) error {
	_, err := t.Dispatch(ctx, e)
	return err
}

// Dispatch runs the function for e, retrying transient failures, and
// returns its reply (nil if none) and the outcome the trigger answers:
//
//   - nil: acknowledge. The function succeeded, or the event was a
//     duplicate within the dedupe window, or every attempt failed and the
//     dead-letter sink took it.
//   - an error wrapping [ErrOverloaded] (binding.ErrOverloaded): every
//     slot busy and the queue full; nothing ran.
//   - an error wrapping [ErrDraining] (binding.ErrUnavailable): the host
//     is draining; nothing ran, or the queued call was ended.
//   - an error wrapping binding.ErrRejected: the function refused the
//     event; it was not retried nor dead-lettered.
//   - a [*FailedError]: every attempt failed (or retrying stopped early
//     because ctx ended or the host began draining) and no dead-letter
//     sink took the event. Do not acknowledge.
//   - ctx's error if ctx ended while the call waited in the queue.
//
// e is not kept after Dispatch returns. The reply is valid until the
// next Dispatch on the same goroutine returns; with a timeout it is a
// copy the caller owns. Dispatch blocks while it waits in the queue, for
// the function (at most the timeout per attempt) and during backoff.
func (t *Trigger) Dispatch(ctx context.Context, e *event.Event) (*event.Event, error) {
	h := t.h
	start := h.now()
	h.pending.Add(1)
	if h.cfg.tracer != nil {
		return t.dispatchTraced(ctx, e, start)
	}
	reply, sh, err := t.dispatch(ctx, e, start)
	sh.observe(h.now() - start)
	h.exit()
	return reply, err
}

// exit ends a pending call or late function, waking Drain at the last.
func (h *Host) exit() {
	if h.pending.Add(-1) == 0 && h.draining.Load() {
		select {
		case h.idle <- struct{}{}:
		default:
		}
	}
}

// dispatch is Dispatch without the accounting of its duration, which
// goes to the shard it returns (the one that counted the event).
func (t *Trigger) dispatch(ctx context.Context, e *event.Event, start time.Duration) (*event.Event, *shard, error) {
	h := t.h
	refused := t.stats.at(-1)
	if h.draining.Load() {
		refused.received.Add(1)
		t.m.unavailable.Inc()
		return nil, refused, ErrDraining
	}
	if h.dedupe != nil && h.dedupe.contains(e.Source(), e.ID(), int64(start)) {
		refused.received.Add(1)
		t.m.duplicates.Inc()
		return nil, refused, nil
	}
	var key string
	if h.cfg.ordered {
		if v, ok := e.Extension(PartitionKeyExtension); ok {
			if key = v.Text(); key == "" {
				key = v.String() // not a String as EXT-PARTITION-1 wants; order by its text anyway
			}
		}
	}
	slot, ke, err := h.admit(ctx, t, key)
	if err != nil {
		switch {
		case errors.Is(err, ErrOverloaded):
			t.m.overloaded.Inc()
		case errors.Is(err, ErrDraining):
			t.m.unavailable.Inc()
		}
		refused.received.Add(1)
		return nil, refused, err
	}
	sh := t.stats.at(slot)
	sh.received.Add(1)
	reply, err := t.attempts(ctx, e, &slot, ke, start, sh, h.parentDue(ctx))
	h.release(slot, ke)
	return reply, sh, err
}

// attempts runs the function for e on *slot until an attempt succeeds,
// the event is rejected or the attempts are spent, then dead-letters it
// if it failed: everything Dispatch does between admission and release,
// which the caller does. A function that outlives its timeout keeps the
// slot; attempts then readmits, and *slot is whatever it holds at the end
// (-1 for none). sh counts the event; pd is ctx's deadline (parentDue).
func (t *Trigger) attempts(ctx context.Context, e *event.Event, slot *int32, ke *keyEntry, start time.Duration, sh *shard, pd time.Duration) (*event.Event, error) {
	h := t.h
	var (
		reply     *event.Event
		err       error
		attempt   int
		exhausted bool
	)
	for {
		attempt++
		if *slot < 0 {
			var rerr error
			if *slot, rerr = h.readmit(ctx, t, ke); rerr != nil {
				err = fmt.Errorf("%w; the retry found no slot: %w", err, rerr)
				break
			}
			start = h.now()
		}
		var lost bool
		switch {
		case h.calls != nil:
			reply, err = t.runCooperative(ctx, e, *slot, start, pd)
		case h.cfg.timeout > 0:
			reply, lost, err = t.runJob(ctx, e, *slot, ke, start)
		default:
			reply, err = t.runInline(ctx, e, *slot, start)
		}
		if lost {
			*slot = -1 // the late function gives it back
		}
		if err == nil {
			sh.succeeded.Add(1)
			if h.dedupe != nil {
				h.dedupe.record(e.Source(), e.ID(), int64(start))
			}
			if reply != nil && len(h.cfg.replies) > 0 {
				t.sendReplies(ctx, reply)
			}
			return reply, nil
		}
		if errors.Is(err, binding.ErrRejected) {
			t.m.rejected.Inc()
			return nil, err
		}
		if attempt >= h.cfg.attempts {
			exhausted = true
			break
		}
		if ctx.Err() != nil || h.draining.Load() {
			break
		}
		t.m.retried.Inc()
		if !h.backoff(ctx, attempt) {
			break
		}
		if *slot >= 0 {
			start = h.now()
		}
	}
	t.m.failed.Inc()
	if exhausted && h.cfg.deadLetter != nil && ctx.Err() == nil {
		dlErr := t.deadLetter(ctx, e, attempt, err)
		if dlErr == nil {
			t.m.deadLettered.Inc()
			if h.dedupe != nil {
				h.dedupe.record(e.Source(), e.ID(), int64(h.now()))
			}
			return nil, nil
		}
		t.m.deadLetterErrors.Inc()
		if h.cfg.sinkHook != nil {
			h.cfg.sinkHook("deadletter", e.ID(), dlErr)
		}
		h.logError("dead-letter sink failed; the event is not acknowledged",
			"trigger", t.name, "function", h.cfg.functionName, "id", e.ID(), "source", e.Source(), "error", dlErr)
		return nil, &FailedError{Attempts: attempt, Err: err, DeadLetterErr: dlErr}
	}
	h.logFailure(t, e, attempt, err)
	return nil, &FailedError{Attempts: attempt, Err: err}
}

// runInline runs the function on the caller's goroutine.
func (t *Trigger) runInline(ctx context.Context, e *event.Event, slot int32, start time.Duration) (*event.Event, error) {
	h := t.h
	h.begin(slot, t, start)
	reply, err := call(withTrace(ctx, e), h.fn, e)
	h.end(slot)
	return reply, err
}

// backoff waits before attempt n+1: a random time below
// min(max, initial·2ⁿ⁻¹). It returns false if ctx ended or the host
// began draining first.
func (h *Host) backoff(ctx context.Context, n int) bool {
	d := h.cfg.backoffMax
	if n-1 < 62 {
		if c := h.cfg.backoffInitial << (n - 1); c > 0 && c < d {
			d = c
		}
	}
	d = rand.N(d) // full jitter; d > 0 as New checked
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	case <-h.drainCh:
		return false
	}
}

// sendReplies gives reply to every reply sink; failures are logged and
// counted, not returned: the event was handled.
func (t *Trigger) sendReplies(ctx context.Context, reply *event.Event) {
	for i, s := range t.h.cfg.replies {
		if err := s.Send(ctx, reply); err != nil {
			t.m.replyErrors.Inc()
			if t.h.cfg.sinkHook != nil {
				t.h.cfg.sinkHook("reply", reply.ID(), err)
			}
			t.h.warn("reply sink failed", "trigger", t.name, "function", t.h.cfg.functionName,
				"sink", i, "id", reply.ID(), "error", err)
		}
	}
}

func (h *Host) logFailure(t *Trigger, e *event.Event, attempts int, err error) {
	attrs := []any{"trigger", t.name, "function", h.cfg.functionName, "id", e.ID(), "source", e.Source(),
		"attempts", attempts, "error", err}
	if pe := (*binding.PanicError)(nil); errors.As(err, &pe) {
		attrs = append(attrs, "stack", string(pe.Stack))
	}
	h.warn("event failed; not acknowledged", attrs...)
}

// Ready reports whether the host should get more events: nil, or an
// error wrapping [ErrDraining] while draining, [ErrStuck] while a function
// has run longer than the stuck-after limit, or [ErrOverloaded] while
// every slot is busy and the queue is full. It scans one word per slot
// and takes the admission lock once; call it from a readiness probe.
func (h *Host) Ready() error {
	if h.draining.Load() {
		return ErrDraining
	}
	if n := h.stuck(); n > 0 {
		return fmt.Errorf("%w: %d function(s) have run longer than %v", ErrStuck, n, h.cfg.timeout+h.cfg.stuckAfter)
	}
	if full, waiting := h.adm.saturated(); full {
		return fmt.Errorf("%w: all %d function slots are busy and %d callers wait", ErrOverloaded, h.cfg.concurrency, waiting)
	}
	return nil
}

// stuck counts the functions that have run longer than stuckAfter.
func (h *Host) stuck() int {
	if h.cfg.stuckAfter <= 0 {
		return 0
	}
	now, limit := mark(h.now()), int64(h.cfg.timeout+h.cfg.stuckAfter)
	n := 0
	for i := range h.slots {
		if s := h.slots[i].start.Load(); s != 0 && now-s > limit {
			n++
		}
	}
	return n
}

// running counts the functions running now, late ones included.
func (h *Host) running() int {
	n := 0
	for i := range h.slots {
		if h.slots[i].start.Load() != 0 {
			n++
		}
	}
	return n
}

// Drain stops intake and waits for the work under way: from now on
// Dispatch returns [ErrDraining], calls waiting in the queue are ended
// with it, retries stop after the current attempt, and Ready fails. It
// returns nil once no Dispatch call and no function (late ones included)
// is left, or, when ctx ends first, an error wrapping ctx's error that
// says how many are left. It may be called again, with a new ctx.
func (h *Host) Drain(ctx context.Context) error {
	h.beginDrain()
	for {
		if h.pending.Load() == 0 {
			return nil
		}
		select {
		case <-h.idle:
		case <-ctx.Done():
			return fmt.Errorf("host: drain: %d dispatches and late functions still under way (%d functions running): %w",
				h.pending.Load(), h.running(), ctx.Err())
		}
	}
}

func (h *Host) beginDrain() {
	h.drainOnce.Do(func() {
		h.draining.Store(true)
		close(h.drainCh)
		h.adm.drain()
	})
}

// Close refuses further events, as Drain does without waiting, and ends
// the idle worker goroutines; a worker still running a late function
// ends when it returns. Its metrics leave the registerer. It does not
// close the sinks, which the caller owns. Call it once the host is
// drained.
func (h *Host) Close() {
	h.beginDrain()
	h.jobsMu.Lock()
	jobs := h.jobs
	h.jobs, h.jobsClosed = nil, true
	h.jobsMu.Unlock()
	for _, j := range jobs {
		close(j.start)
	}
	h.collector.mu.Lock()
	delete(h.collector.hosts, h)
	h.collector.mu.Unlock()
	if h.watchStop != nil {
		h.watchOnce.Do(func() {}) // no watcher may start from now on
		if h.watching.CompareAndSwap(true, false) {
			close(h.watchStop)
			<-h.watchDone
		}
	}
}

// warn and logError are the host's only logging, for failures no caller
// sees; the logger discards unless [WithLogger] set one.
func (h *Host) warn(msg string, args ...any) {
	h.log.Warn(msg, args...) //nolint:forbidigo // WithLogger, as the runtime brief asks
}

func (h *Host) logError(msg string, args ...any) {
	h.log.Error(msg, args...) //nolint:forbidigo // WithLogger, as the runtime brief asks
}
