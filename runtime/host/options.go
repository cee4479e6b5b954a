package host

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openevents/openevents/runtime/function"
)

// Defaults of [Options].
const (
	DefaultConcurrency = 64
	DefaultTimeout     = 30 * time.Second
	DefaultStuckAfter  = 10 * time.Second
	DefaultAttempts    = 3
	DefaultBackoff     = 100 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
	DefaultSinkTimeout = 10 * time.Second
)

// ErrConfig is wrapped by every error about [Options].
var ErrConfig = errors.New("host: bad configuration")

// Options configure a [Host]. Zero values take the defaults.
type Options struct {
	// Concurrency is the most functions running at once (default
	// DefaultConcurrency).
	Concurrency int
	// QueueSize is the most callers waiting for a slot; more are refused
	// with binding.ErrOverloaded (default: Concurrency; -1: none wait).
	QueueSize int
	// Timeout bounds one attempt, through the function's context
	// (default DefaultTimeout; -1: none).
	Timeout time.Duration
	// StuckAfter is how long past its Timeout a function may still run
	// before [Host.Ready] fails (default DefaultStuckAfter).
	StuckAfter time.Duration
	// Attempts is how often a failing event is tried (default
	// DefaultAttempts; 1: no retries).
	Attempts int
	// Backoff is the first retry's longest wait; each retry doubles it up
	// to MaxBackoff, and the wait is drawn uniformly below it (full
	// jitter).
	Backoff, MaxBackoff time.Duration
	// DeadLetter, when set, gets an event whose last attempt failed, with
	// [ExtAttempts] and [ExtError] added; the event is then acknowledged.
	DeadLetter function.Sink
	// SinkTimeout bounds a dead-letter send (default DefaultSinkTimeout).
	SinkTimeout time.Duration
	// Replies get every reply event of the function.
	Replies []function.Sink
	// FunctionName labels the metrics (default "function").
	FunctionName string
	// Registerer registers the metrics (default: a registry of the host's
	// own, which [Host.Gatherer] returns).
	Registerer prometheus.Registerer
	// OnSinkError, when set, is told of every failed send to the
	// dead-letter sink (sink "dead-letter") or a reply sink (sink
	// "reply"), with the event's id. The host never logs.
	OnSinkError func(sink, id string, err error)
}

func (o *Options) setDefaults() {
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	switch o.QueueSize {
	case 0:
		o.QueueSize = o.Concurrency
	case -1:
		o.QueueSize = 0
	}
	switch o.Timeout {
	case 0:
		o.Timeout = DefaultTimeout
	case -1:
		o.Timeout = 0
	}
	if o.StuckAfter == 0 {
		o.StuckAfter = DefaultStuckAfter
	}
	if o.Attempts == 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.SinkTimeout == 0 {
		o.SinkTimeout = DefaultSinkTimeout
	}
	if o.FunctionName == "" {
		o.FunctionName = "function"
	}
}

func (o *Options) validate() error {
	switch {
	case o.Concurrency < 1:
		return fmt.Errorf("%w: concurrency %d (want at least 1)", ErrConfig, o.Concurrency)
	case o.QueueSize < 0:
		return fmt.Errorf("%w: queue size %d (want 0 or more; -1 for none)", ErrConfig, o.QueueSize)
	case o.Timeout < 0 || o.StuckAfter < 0 || o.Backoff < 0 || o.MaxBackoff < 0 || o.SinkTimeout < 0:
		return fmt.Errorf("%w: durations must be positive", ErrConfig)
	case o.Attempts < 1:
		return fmt.Errorf("%w: attempts %d (want at least 1)", ErrConfig, o.Attempts)
	case o.MaxBackoff < o.Backoff:
		return fmt.Errorf("%w: the longest backoff %v is shorter than the first %v", ErrConfig, o.MaxBackoff, o.Backoff)
	}
	return nil
}
