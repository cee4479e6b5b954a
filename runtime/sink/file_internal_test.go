package sink

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// halfWriter writes half of its first write to w and fails; later writes
// go through. A real disk that fills up part way through a write is hard
// to arrange in a test, so this stands for it.
type halfWriter struct {
	w      io.Writer
	failed bool
}

var errDiskFull = errors.New("disk full (simulated)")

func (h *halfWriter) Write(p []byte) (int, error) {
	if !h.failed {
		h.failed = true
		n, _ := h.w.Write(p[:len(p)/2])
		return n, errDiskFull
	}
	return h.w.Write(p)
}

// TestFilePartialWrite: after a write that stopped inside a line, the next
// line starts on a line of its own.
func TestFilePartialWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, err := File(path)
	if err != nil {
		t.Fatal(err)
	}
	s.w = &halfWriter{w: s.f}
	ctx := context.Background()
	e := event.New("first", "/s", "t")
	if err := s.Send(ctx, &e); !errors.Is(err, errDiskFull) {
		t.Fatalf("first Send: %v, want the write error", err)
	}
	e.SetID("second")
	if err := s.Send(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("file %q: %d lines, want the partial one and a whole one", b, len(lines))
	}
	var got event.Event
	if err := jsonformat.Decode(lines[1], &got); err != nil || got.ID() != "second" {
		t.Errorf("second line %q: %v", lines[1], err)
	}
}

// TestFileBufferCap: a line buffer larger than maxPooledLine is not kept
// for reuse.
func TestFileBufferCap(t *testing.T) {
	s, err := File(filepath.Join(t.TempDir(), "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	big := make([]byte, 0, maxPooledLine+1)
	s.putLine(&big)
	small := make([]byte, 0, 64)
	s.putLine(&small)
	for range 4 {
		if bp, _ := s.pool.Get().(*[]byte); bp != nil && cap(*bp) > maxPooledLine {
			t.Fatalf("the pool kept a %d-byte buffer", cap(*bp))
		}
	}
}
