package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// SyncPolicy says when a [FileSink] asks the operating system to put what
// it wrote on stable storage (fsync). Only a regular file is fsynced: a
// FileSink on a pipe, a terminal or /dev/stdout skips it under any policy.
type SyncPolicy uint8

const (
	// SyncOnClose (the default) calls fsync only in Close: a line is in
	// the operating system's cache once Send returns, and survives a crash
	// of the process but not of the machine.
	SyncOnClose SyncPolicy = iota
	// SyncEachLine calls fsync after every line, before Send returns: a
	// line survives a crash of the machine once Send returned, at the cost
	// of a disk flush per event (milliseconds on many disks).
	SyncEachLine
)

// DefaultFileMode is the permission a FileSink gives a file it creates:
// events may carry personal data, so only the owner may read them.
const DefaultFileMode fs.FileMode = 0o600

// maxPooledLine is the largest line buffer a FileSink keeps for reuse; a
// larger event's buffer is left to the garbage collector, so one huge
// event does not pin its memory.
const maxPooledLine = 1 << 20

// A FileOption configures [File].
type FileOption interface{ applyFile(*fileConfig) }

type fileConfig struct {
	sync SyncPolicy
	mode fs.FileMode
}

type fileOptionFunc func(*fileConfig)

func (f fileOptionFunc) applyFile(c *fileConfig) { f(c) }

// WithSync sets when the file is fsynced (default SyncOnClose).
func WithSync(p SyncPolicy) FileOption { return fileOptionFunc(func(c *fileConfig) { c.sync = p }) }

// WithFileMode sets the permission of a file File creates (default
// DefaultFileMode, before the umask); an existing file keeps its own.
func WithFileMode(m fs.FileMode) FileOption {
	return fileOptionFunc(func(c *fileConfig) { c.mode = m })
}

// FileSink appends events to a file, one event in the JSON format per
// line (JSON Lines). It is safe for concurrent use: lines never
// interleave.
type FileSink struct {
	path    string
	sync    SyncPolicy
	regular bool      // a regular file: fsync applies
	pool    sync.Pool // *[]byte line buffers

	mu      sync.Mutex
	f       *os.File
	w       io.Writer   // f; a test may wrap it
	partial bool        // the last write stopped inside a line
	closed  atomic.Bool // set under mu; read without it to fail fast
}

// File opens path for appending, creating it if needed (with
// WithFileMode's permission), and returns a sink that writes each event to
// it as one line. It returns the error of opening the file, or of an
// invalid option.
func File(path string, opts ...FileOption) (*FileSink, error) {
	cfg := fileConfig{sync: SyncOnClose, mode: DefaultFileMode}
	for _, o := range opts {
		o.applyFile(&cfg)
	}
	if cfg.sync != SyncOnClose && cfg.sync != SyncEachLine {
		return nil, fmt.Errorf("sink: file %s: WithSync(%d): unknown sync policy", path, cfg.sync)
	}
	if cfg.mode&^fs.ModePerm != 0 {
		return nil, fmt.Errorf("sink: file %s: WithFileMode(%v): only permission bits are allowed", path, cfg.mode)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, cfg.mode)
	if err != nil {
		return nil, fmt.Errorf("sink: file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sink: file: %w", err)
	}
	return &FileSink{path: path, sync: cfg.sync, regular: fi.Mode().IsRegular(), f: f, w: f}, nil
}

// Send writes e as one line: the event in the JSON format followed by a
// newline, in a single write call, so that concurrent Sends and other
// processes appending to the file (O_APPEND) do not split it. With
// SyncEachLine it returns after fsync.
//
// Errors: a *jsonformat.EncodeError for an event that does not validate or
// whose data cannot be written as its content type says (nothing is
// written), the write or fsync error, or ErrClosed after Close. A write
// that fails part way leaves a partial line; the next Send then starts on
// a new line, so one failure spoils one line, not two. e is not retained.
func (s *FileSink) Send(_ context.Context, e *event.Event) error {
	if s.closed.Load() {
		return ErrClosed
	}
	bp, _ := s.pool.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer s.putLine(bp)
	line, err := jsonformat.Append((*bp)[:0], e)
	if err != nil {
		return fmt.Errorf("sink: file %s: %w", s.path, err)
	}
	line = append(line, '\n')
	*bp = line

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	if s.partial {
		if _, err := s.w.Write(newline); err != nil {
			return fmt.Errorf("sink: file %s: ending a partial line: %w", s.path, err)
		}
		s.partial = false
	}
	if n, err := s.w.Write(line); err != nil {
		s.partial = n > 0
		return fmt.Errorf("sink: file %s: %w", s.path, err)
	}
	if s.sync == SyncEachLine && s.regular {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("sink: file %s: fsync: %w", s.path, err)
		}
	}
	return nil
}

var newline = []byte{'\n'}

func (s *FileSink) putLine(bp *[]byte) {
	if cap(*bp) <= maxPooledLine {
		s.pool.Put(bp)
	}
}

// Close makes later Sends fail with ErrClosed, fsyncs the file (every line
// Send wrote is already in the operating system's hands: the sink keeps no
// buffer of its own) and closes it. It returns the fsync or close error; a
// second Close returns nil. ctx is unused.
func (s *FileSink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil
	}
	s.closed.Store(true)
	var errs []error
	if s.regular {
		if err := s.f.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("sink: file %s: fsync: %w", s.path, err))
		}
	}
	if err := s.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("sink: file %s: %w", s.path, err))
	}
	return errors.Join(errs...)
}
