package builtin

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// maxPooledLine is the largest line buffer a Logger keeps for reuse, so
// that one huge event does not pin its memory.
const maxPooledLine = 1 << 20

// Logger is the function Log returns. It is safe for concurrent use.
type Logger struct {
	pool sync.Pool // *[]byte line buffers

	mu sync.Mutex
	w  io.Writer
}

// Log returns a function that writes every event to w as one line: the
// event in the JSON format (so each line is a structured-mode CloudEvent)
// and a newline, with one Write call per event, calls serialised, so lines
// never interleave even if w is not safe for concurrent use. It buffers
// nothing beyond the line being written: Call returns once w.Write
// returned, so a slow w slows the callers down rather than filling memory.
// Line buffers are pooled (those over 1 MiB are not kept).
//
// Call replies nothing. An event that cannot be written in the JSON format
// (it does not validate, or its data contradicts its datacontenttype) is
// refused with an error wrapping binding.ErrRejected, since trying again
// cannot help; an error of w is returned as a transient failure.
func Log(w io.Writer) *Logger { return &Logger{w: w} }

// Call writes e as one line; see Log.
func (l *Logger) Call(_ context.Context, e *event.Event) (*event.Event, error) {
	bp, _ := l.pool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer func() {
		if cap(*bp) <= maxPooledLine {
			l.pool.Put(bp)
		}
	}()
	line, err := jsonformat.Append((*bp)[:0], e)
	if err != nil {
		return nil, fmt.Errorf("builtin: log: %w: %w", err, binding.ErrRejected)
	}
	line = append(line, '\n')
	*bp = line
	l.mu.Lock()
	_, err = l.w.Write(line)
	l.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("builtin: log: %w", err)
	}
	return nil, nil
}
