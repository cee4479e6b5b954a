package host

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openevents/openevents/runtime/function"
)

// Defaults of the options. [WithQueueSize]'s default is the concurrency.
const (
	DefaultConcurrency    = 64
	DefaultTimeout        = 30 * time.Second
	DefaultStuckAfter     = 10 * time.Second
	DefaultAttempts       = 3
	DefaultBackoffInitial = 100 * time.Millisecond
	DefaultBackoffMax     = 10 * time.Second
	DefaultDedupeEntries  = 100_000
	DefaultFunctionName   = "function"
)

// Upper bounds of the options, against typing errors that would allocate
// gigabytes or retry for ever.
const (
	MaxConcurrency   = 1 << 16
	MaxQueueSize     = 1 << 20
	MaxAttempts      = 100
	MaxDedupeEntries = 1 << 24
)

// An Option configures a [Host]. Options are applied in order and checked
// together by [New], which reports every bad value at once.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	concurrency    int
	queueSize      int
	queueSet       bool
	timeout        time.Duration
	cooperative    bool
	stuckAfter     time.Duration
	stuckSet       bool
	attempts       int
	backoffInitial time.Duration
	backoffMax     time.Duration
	deadLetter     function.Sink
	deadLetterSet  bool
	replies        []function.Sink
	ordered        bool
	dedupeWindow   time.Duration
	dedupeEntries  int
	logger         *slog.Logger //nolint:forbidigo // the runtime brief asks for a logger
	sinkHook       func(sink, id string, err error)
	functionName   string
	registerer     prometheus.Registerer
	tracer         Tracer
	tracerSet      bool
}

func defaultConfig() config {
	return config{
		concurrency:    DefaultConcurrency,
		timeout:        DefaultTimeout,
		attempts:       DefaultAttempts,
		backoffInitial: DefaultBackoffInitial,
		backoffMax:     DefaultBackoffMax,
		dedupeEntries:  DefaultDedupeEntries,
		logger:         slog.New(slog.DiscardHandler), //nolint:forbidigo // the runtime brief asks for a logger
		functionName:   DefaultFunctionName,
	}
}

// WithConcurrency sets how many functions may run at once, across all
// triggers; default [DefaultConcurrency], at least 1, at most
// [MaxConcurrency]. A function that outlives its timeout keeps its slot
// until it returns, so the host never runs more than n.
func WithConcurrency(n int) Option { return optionFunc(func(c *config) { c.concurrency = n }) }

// WithQueueSize sets how many Dispatch calls may wait for a slot (or for
// their partition key, see [WithPartitionOrder]) once all are busy;
// default the concurrency, 0 for none, at most [MaxQueueSize]. A call
// that finds the queue full fails at once with [ErrOverloaded].
func WithQueueSize(n int) Option {
	return optionFunc(func(c *config) { c.queueSize, c.queueSet = n, true })
}

// WithTimeout sets the per-event deadline of the context a function gets
// (every attempt has its own); default [DefaultTimeout], 0 for none. With
// a timeout the function runs on a worker goroutine and Dispatch returns
// [ErrTimeout] at the deadline even if the function ignores its context
// (unless [WithCooperativeTimeout]); without one it runs on the caller's
// goroutine (see the package doc).
func WithTimeout(d time.Duration) Option { return optionFunc(func(c *config) { c.timeout = d }) }

// WithCooperativeTimeout makes a function with a timeout run on the
// caller's goroutine, as without one: its context still ends at the
// deadline (at most a sixteenth of the timeout after it, between 1 and
// 100 ms: a watcher ends expired contexts at that tick, so that a call
// arms no timer), and an attempt whose context ended fails with
// [ErrTimeout] whatever the function returned, but Dispatch waits for the
// function to return instead of answering at the deadline. It saves the
// hand-off to a worker goroutine and the copy of the event (about 0.8 µs
// an event, some 10% of an HTTP trigger's throughput) and suits functions that
// honour their context, as every built-in and external function does.
// Default off: a Go function that ignores its context holds its caller
// until it returns. A function that overruns is counted late either way.
func WithCooperativeTimeout(on bool) Option {
	return optionFunc(func(c *config) { c.cooperative = on })
}

// WithStuckAfter sets how long a function may go on running past its
// timeout before [Host.Ready] reports it stuck; default
// [DefaultStuckAfter]. Without a timeout it counts from the function's
// start and its default is never. 0 means never.
func WithStuckAfter(d time.Duration) Option {
	return optionFunc(func(c *config) { c.stuckAfter, c.stuckSet = d, true })
}

// WithAttempts sets how many times an event is tried before it counts as
// failed: 1 means no retry; default [DefaultAttempts], at most
// [MaxAttempts]. Errors wrapping binding.ErrRejected are never retried.
func WithAttempts(n int) Option { return optionFunc(func(c *config) { c.attempts = n }) }

// WithBackoff sets the wait before a retry: before attempt n+1 the host
// waits a random time in [0, min(longest, initial·2ⁿ⁻¹)) ("full jitter").
// Defaults [DefaultBackoffInitial] and [DefaultBackoffMax]; initial must
// be positive and longest at least initial.
func WithBackoff(initial, longest time.Duration) Option {
	return optionFunc(func(c *config) { c.backoffInitial, c.backoffMax = initial, longest })
}

// WithDeadLetter sets the sink that gets an event whose every attempt
// failed (see the package doc for the attributes added); default none.
// The host does not close it.
func WithDeadLetter(s function.Sink) Option {
	return optionFunc(func(c *config) { c.deadLetter, c.deadLetterSet = s, true })
}

// WithReplies adds sinks that get every reply a function returns, in the
// order given, before Dispatch returns; default none. A sink's failure is
// logged and counted but does not fail the event. The host does not close
// them.
func WithReplies(sinks ...function.Sink) Option {
	return optionFunc(func(c *config) { c.replies = append(c.replies, sinks...) })
}

// WithPartitionOrder makes events with the same partitionkey extension
// attribute run one at a time in the order they reached Dispatch, while
// different keys run in parallel; default off. A waiting event takes a
// place in the queue of [WithQueueSize], so the key table holds at most
// concurrency + queue size keys.
func WithPartitionOrder(on bool) Option { return optionFunc(func(c *config) { c.ordered = on }) }

// WithDedupe skips an event whose (source, id) was acknowledged (it
// succeeded or went to the dead-letter sink) within window: the duplicate
// is counted and acknowledged without calling the function. It remembers
// at most maxEntries events (0 means [DefaultDedupeEntries], at most
// [MaxDedupeEntries]), forgetting the oldest first. window 0 turns it off
// (the default); negative values are refused.
func WithDedupe(window time.Duration, maxEntries int) Option {
	return optionFunc(func(c *config) { c.dedupeWindow, c.dedupeEntries = window, maxEntries })
}

// WithLogger sets where the host logs failures that no caller sees:
// panics (with their stack), late finishers, failed reply and dead-letter
// sinks, final failures. Default: nothing is logged. nil is refused.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.logger = l }) } //nolint:forbidigo // the runtime brief asks for a logger

// WithSinkErrorHook sets a function told of every failed send to a reply
// sink (sink "reply") or the dead-letter sink (sink "deadletter"), with
// the event's id, on the dispatching goroutine; default none. It is
// called besides the logger.
func WithSinkErrorHook(f func(sink, id string, err error)) Option {
	return optionFunc(func(c *config) { c.sinkHook = f })
}

// WithFunctionName sets the function label of the host's metrics and
// logs; default [DefaultFunctionName].
func WithFunctionName(name string) Option {
	return optionFunc(func(c *config) { c.functionName = name })
}

// WithMetrics registers the host's metrics on r; default a private
// registry nobody scrapes. Hosts may share r: the second one reuses the
// metrics the first registered, told apart by the function label.
func WithMetrics(r prometheus.Registerer) Option {
	return optionFunc(func(c *config) { c.registerer = r })
}

// check fills in dependent defaults and reports every bad value.
func (c *config) check() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("host: "+format+": %w", append(a, ErrConfig)...))
	}
	if c.concurrency < 1 || c.concurrency > MaxConcurrency {
		bad("concurrency %d is out of range 1..%d", c.concurrency, MaxConcurrency)
	}
	if !c.queueSet {
		c.queueSize = c.concurrency
	}
	if c.queueSize < 0 || c.queueSize > MaxQueueSize {
		bad("queue size %d is out of range 0..%d", c.queueSize, MaxQueueSize)
	}
	if c.timeout < 0 {
		bad("timeout %v is negative (0 means none)", c.timeout)
	}
	if !c.stuckSet && c.timeout > 0 {
		c.stuckAfter = DefaultStuckAfter
	}
	if c.stuckAfter < 0 {
		bad("stuck-after %v is negative (0 means never)", c.stuckAfter)
	}
	if c.attempts < 1 || c.attempts > MaxAttempts {
		bad("attempts %d is out of range 1..%d", c.attempts, MaxAttempts)
	}
	if c.backoffInitial <= 0 {
		bad("initial backoff %v is not positive", c.backoffInitial)
	}
	if c.backoffMax < c.backoffInitial {
		bad("maximum backoff %v is shorter than the initial backoff %v", c.backoffMax, c.backoffInitial)
	}
	if c.deadLetterSet && c.deadLetter == nil {
		bad("dead-letter sink is nil")
	}
	for i, s := range c.replies {
		if s == nil {
			bad("reply sink %d is nil", i)
		}
	}
	if c.dedupeWindow < 0 {
		bad("dedupe window %v is negative (0 turns dedupe off)", c.dedupeWindow)
	}
	if c.dedupeEntries == 0 {
		c.dedupeEntries = DefaultDedupeEntries
	}
	if c.dedupeEntries < 0 || c.dedupeEntries > MaxDedupeEntries {
		bad("dedupe entries %d is out of range 1..%d (0 means %d)", c.dedupeEntries, MaxDedupeEntries, DefaultDedupeEntries)
	}
	if c.logger == nil {
		bad("logger is nil")
	}
	if c.tracerSet && c.tracer == nil {
		bad("tracer is nil")
	}
	return errors.Join(errs...)
}

// Options is the options as one struct, for callers that map flags or a
// file onto it; it is an [Option] itself. A zero field leaves its option
// alone (the default); -1 means "none" for QueueSize and Timeout and
// "never" for StuckAfter.
type Options struct {
	Concurrency int           // [WithConcurrency]
	QueueSize   int           // [WithQueueSize]; -1: no queue
	Timeout     time.Duration // [WithTimeout]; -1: none
	StuckAfter  time.Duration // [WithStuckAfter]; -1: never
	// CooperativeTimeout is [WithCooperativeTimeout].
	CooperativeTimeout bool
	Attempts           int // [WithAttempts]
	// Backoff and MaxBackoff are [WithBackoff]'s initial and max; a zero
	// one keeps its default.
	Backoff, MaxBackoff time.Duration
	DeadLetter          function.Sink   // [WithDeadLetter]
	Replies             []function.Sink // [WithReplies]
	PartitionOrder      bool            // [WithPartitionOrder]
	// DedupeWindow and DedupeEntries are [WithDedupe]'s.
	DedupeWindow  time.Duration
	DedupeEntries int
	Logger        *slog.Logger                     //nolint:forbidigo // [WithLogger], as the runtime brief asks
	OnSinkError   func(sink, id string, err error) // [WithSinkErrorHook]
	FunctionName  string                           // [WithFunctionName]
	Registerer    prometheus.Registerer            // [WithMetrics]
	Tracer        Tracer                           // [WithTracer]
}

func (o Options) apply(c *config) {
	if o.Concurrency != 0 {
		c.concurrency = o.Concurrency
	}
	switch o.QueueSize {
	case 0:
	case -1:
		c.queueSize, c.queueSet = 0, true
	default:
		c.queueSize, c.queueSet = o.QueueSize, true
	}
	switch o.Timeout {
	case 0:
	case -1:
		c.timeout = 0
	default:
		c.timeout = o.Timeout
	}
	if o.CooperativeTimeout {
		c.cooperative = true
	}
	switch o.StuckAfter {
	case 0:
	case -1:
		c.stuckAfter, c.stuckSet = 0, true
	default:
		c.stuckAfter, c.stuckSet = o.StuckAfter, true
	}
	if o.Attempts != 0 {
		c.attempts = o.Attempts
	}
	if o.Backoff != 0 {
		c.backoffInitial = o.Backoff
	}
	if o.MaxBackoff != 0 {
		c.backoffMax = o.MaxBackoff
	}
	if o.DeadLetter != nil {
		c.deadLetter, c.deadLetterSet = o.DeadLetter, true
	}
	c.replies = append(c.replies, o.Replies...)
	if o.PartitionOrder {
		c.ordered = true
	}
	if o.DedupeWindow != 0 || o.DedupeEntries != 0 {
		c.dedupeWindow, c.dedupeEntries = o.DedupeWindow, o.DedupeEntries
	}
	if o.Logger != nil {
		c.logger = o.Logger
	}
	if o.OnSinkError != nil {
		c.sinkHook = o.OnSinkError
	}
	if o.FunctionName != "" {
		c.functionName = o.FunctionName
	}
	if o.Registerer != nil {
		c.registerer = o.Registerer
	}
	if o.Tracer != nil {
		c.tracer, c.tracerSet = o.Tracer, true
	}
}
