//nolint:forbidigo // the exec function's one logger: a child's standard error and exits go to the *slog.Logger the caller chose (WithLogger); the library logs nothing of its own
package external

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// childLog writes what the children of an exec function do to a logger.
type childLog struct{ l *slog.Logger }

func defaultChildLog() childLog { return childLog{slog.Default()} }

// WithLogger sets the logger that receives, for each child, its start
// (message "external: child started", attributes pid, program and
// backoff, the wait that preceded a restart), each line it writes to its
// standard error (Info, "external: child stderr", attributes pid, line
// and, for a line cut at [WithMaxLogLineBytes], truncated=true) and its
// exit ("external: child exited", attributes pid, status and reason; Warn
// when it exited by itself, Info when the host ended it). The default is
// [slog.Default]. Nothing else is logged: failures are returned.
func WithLogger(l *slog.Logger) ExecOption {
	return execOptionFunc(func(c *execConfig) {
		if l == nil {
			c.errs = append(c.errs, fmt.Errorf("%w: WithLogger(nil)", ErrConfig))
			return
		}
		c.log = childLog{l}
	})
}

func (c childLog) started(pid int, program string, backoff time.Duration) {
	c.l.LogAttrs(context.Background(), slog.LevelInfo, "external: child started",
		slog.Int("pid", pid), slog.String("program", program), slog.Duration("backoff", backoff))
}

// exited logs an exit; reason is why the host ended the child, "" if it
// did not.
func (c childLog) exited(pid int, status, reason string) {
	level := slog.LevelInfo
	if reason == "" {
		reason = "it exited by itself"
		level = slog.LevelWarn
	}
	c.l.LogAttrs(context.Background(), level, "external: child exited",
		slog.Int("pid", pid), slog.String("status", status), slog.String("reason", reason))
}

func (c childLog) stderr(pid int, line []byte, truncated bool) {
	if !c.l.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	attrs := [3]slog.Attr{slog.Int("pid", pid), slog.String("line", string(line)), slog.Bool("truncated", true)}
	n := 2
	if truncated {
		n = 3
	}
	c.l.LogAttrs(context.Background(), slog.LevelInfo, "external: child stderr", attrs[:n]...)
}
