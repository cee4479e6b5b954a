package external

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of the [ExecOption] values.
const (
	// DefaultProcesses is the number of children an [ExecFunction] runs.
	DefaultProcesses = 1
	// DefaultMaxLineBytes bounds one answer line of a child (newline
	// excluded); a longer line is a protocol error.
	DefaultMaxLineBytes = 4 << 20
	// DefaultMaxLogLineBytes bounds one logged line of a child's standard
	// error; the rest of a longer line is dropped and the record says so.
	DefaultMaxLogLineBytes = 8 << 10
	// DefaultRestartBackoff is the wait before the first restart of a
	// child that failed; each further failure in a row doubles it.
	DefaultRestartBackoff = 100 * time.Millisecond
	// DefaultMaxRestartBackoff is the most the restart wait grows to.
	DefaultMaxRestartBackoff = 10 * time.Second
	// MaxProcesses is the largest value [WithProcesses] accepts.
	MaxProcesses = 1024
)

// pipeGrace is how long a child's standard output and error are still
// read after the child has exited: long enough to take the answer and
// the last words a dying child wrote, short enough that a grandchild
// that kept the pipes open cannot hold a call or Close.
const pipeGrace = 2 * time.Second

// ErrConfig is matched (errors.Is) by the error [Exec], [HTTP] or [GRPC]
// returns for an invalid argument or option.
var ErrConfig = errors.New("external: invalid configuration")

// An ExecOption configures [Exec]. Options are applied in order; a later
// one overrides an earlier one of the same kind.
type ExecOption interface {
	applyExec(*execConfig)
}

type execOptionFunc func(*execConfig)

func (f execOptionFunc) applyExec(c *execConfig) { f(c) }

type execConfig struct {
	processes  int
	env        []string
	dir        string
	maxLine    int
	maxLogLine int
	backoff    time.Duration
	maxBackoff time.Duration
	log        childLog
	errs       []error
}

func newExecConfig(opts []ExecOption) (*execConfig, error) {
	c := &execConfig{
		processes:  DefaultProcesses,
		maxLine:    DefaultMaxLineBytes,
		maxLogLine: DefaultMaxLogLineBytes,
		backoff:    DefaultRestartBackoff,
		maxBackoff: DefaultMaxRestartBackoff,
	}
	for _, o := range opts {
		if o == nil {
			c.errs = append(c.errs, fmt.Errorf("%w: a nil ExecOption", ErrConfig))
			continue
		}
		o.applyExec(c)
	}
	if c.log.l == nil {
		c.log = defaultChildLog()
	}
	return c, errors.Join(c.errs...)
}

// WithProcesses makes the function run n children (1 to [MaxProcesses];
// default [DefaultProcesses]) and hand each call to a free one, so up to
// n events are handled at once. Calls beyond n wait for a free child
// until their context ends.
func WithProcesses(n int) ExecOption {
	return execOptionFunc(func(c *execConfig) {
		if n < 1 || n > MaxProcesses {
			c.errs = append(c.errs, fmt.Errorf("%w: WithProcesses(%d): must be 1 to %d", ErrConfig, n, MaxProcesses))
			return
		}
		c.processes = n
	})
}

// WithEnv sets the children's whole environment, as KEY=VALUE strings,
// instead of the default, the host's own environment. To add to the
// host's, pass append(os.Environ(), "KEY=VALUE"). env is copied.
func WithEnv(env ...string) ExecOption {
	env = append([]string{}, env...) // non-nil even when empty: an empty environment, not the host's
	return execOptionFunc(func(c *execConfig) { c.env = env })
}

// WithDir sets the children's working directory; the default is the
// host's.
func WithDir(dir string) ExecOption {
	return execOptionFunc(func(c *execConfig) { c.dir = dir })
}

// WithMaxLineBytes bounds one answer line of a child, its newline
// excluded (default [DefaultMaxLineBytes]; at least 4, the length of
// "null"). A longer answer is a protocol error: the event fails with a
// [*ProtocolError] and the child is restarted. The memory a child can make
// the host hold follows this bound.
func WithMaxLineBytes(n int) ExecOption {
	return execOptionFunc(func(c *execConfig) {
		if n < 4 {
			c.errs = append(c.errs, fmt.Errorf("%w: WithMaxLineBytes(%d): must be 4 or more", ErrConfig, n))
			return
		}
		c.maxLine = n
	})
}

// WithMaxLogLineBytes bounds one logged line of a child's standard error
// (default [DefaultMaxLogLineBytes]; at least 16). The first n bytes of a
// longer line are logged with the attribute truncated=true and the rest,
// up to the next newline, is dropped.
func WithMaxLogLineBytes(n int) ExecOption {
	return execOptionFunc(func(c *execConfig) {
		if n < 16 {
			c.errs = append(c.errs, fmt.Errorf("%w: WithMaxLogLineBytes(%d): must be 16 or more", ErrConfig, n))
			return
		}
		c.maxLogLine = n
	})
}

// WithRestartBackoff sets how long a failed child waits before it is
// started again: first (default [DefaultRestartBackoff]), doubled for each
// further failure in a row up to most (default
// [DefaultMaxRestartBackoff]). A failure is an exit or a protocol error
// while the child is working or idle, a kill because a call's context
// ended, or a failed start; an answered event ends the row. Both must be
// positive and first no more than most.
func WithRestartBackoff(first, most time.Duration) ExecOption {
	return execOptionFunc(func(c *execConfig) {
		if first <= 0 || most < first {
			c.errs = append(c.errs, fmt.Errorf("%w: WithRestartBackoff(%v, %v): need 0 < first <= most", ErrConfig, first, most))
			return
		}
		c.backoff, c.maxBackoff = first, most
	})
}

// backoffAfter is the restart wait after failures failures in a row.
func (c *execConfig) backoffAfter(failures int) time.Duration {
	d := c.backoff
	for i := 1; i < failures && d < c.maxBackoff; i++ {
		d *= 2
	}
	return min(d, c.maxBackoff)
}
