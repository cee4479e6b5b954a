package sink_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/runtime/sink"
)

// readLines decodes every line of the file at path.
func readLines(t *testing.T, path string) []event.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("the file does not end with a newline")
	}
	var out []event.Event
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(line) == 0 && len(b) == 0 {
			break
		}
		var e event.Event
		if err := jsonformat.Decode(line, &e); err != nil {
			t.Fatalf("line %d: %v: %q", i+1, err, line)
		}
		out = append(out, e)
	}
	return out
}

func TestFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, err := sink.File(path)
	if err != nil {
		t.Fatal(err)
	}
	e, data := newEvent("f1")
	e.SetExtension("count", event.Integer(3))
	want := e.Clone()
	if err := s.Send(ctxT(t), e); err != nil {
		t.Fatal(err)
	}
	copy(data, "XXXXXXXXXX") // the sink must not have kept it
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, path)
	if len(got) != 1 || !got[0].Equal(&want) {
		t.Fatalf("file holds %v, want the one event", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("new file has mode %v, want no access for group and others", fi.Mode())
	}
	if err := s.Send(ctxT(t), e); !errors.Is(err, sink.ErrClosed) {
		t.Errorf("Send after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFileConcurrent: lines from concurrent Sends never interleave and
// none is lost; a second sink on the same file appends after the first.
func TestFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(`{"specversion":"1.0","id":"old","source":"/s","type":"t"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sink.File(path)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := strconv.Itoa(w) + "-" + strconv.Itoa(i)
				e, _ := newEvent(id)
				// Data from a few bytes to 64 KiB, so that some lines
				// take more than one page.
				e.SetData([]byte(`"` + strings.Repeat("d", (i*331)%(64<<10)) + `"`))
				if err := s.Send(context.Background(), e); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, path)
	if len(got) != 1+workers*each {
		t.Fatalf("%d lines, want %d", len(got), 1+workers*each)
	}
	if got[0].ID() != "old" {
		t.Errorf("first line is %q, want the line that was there before", got[0].ID())
	}
	seen := map[string]bool{}
	for _, e := range got[1:] {
		if seen[e.ID()] {
			t.Errorf("event %s written twice", e.ID())
		}
		seen[e.ID()] = true
		if e.Extensions()[0].Value.String() != "v-"+e.ID() {
			t.Errorf("event %s has the extension of another", e.ID())
		}
	}
}

func TestFileSyncEachLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, err := sink.File(path, sink.WithSync(sink.SyncEachLine), sink.WithFileMode(0o640))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e, _ := newEvent(strconv.Itoa(i))
		if err := s.Send(ctxT(t), e); err != nil {
			t.Fatal(err)
		}
	}
	// Every line is in the file before Close.
	if got := readLines(t, path); len(got) != 3 {
		t.Errorf("%d lines before Close, want 3", len(got))
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640&^umask(t) {
		t.Errorf("mode %v, want 0640 less the umask", fi.Mode().Perm())
	}
}

// umask returns the process's umask, read from a file created with 0777.
func umask(t *testing.T) os.FileMode {
	p := filepath.Join(t.TempDir(), "umask")
	if err := os.WriteFile(p, nil, 0o777); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ fi.Mode().Perm()
}

// TestFileNotRegular: a FileSink on a character device (here /dev/null)
// works, fsync skipped, with either policy.
func TestFileNotRegular(t *testing.T) {
	s, err := sink.File(os.DevNull, sink.WithSync(sink.SyncEachLine))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newEvent("n1")
	if err := s.Send(ctxT(t), e); err != nil {
		t.Errorf("Send to %s: %v", os.DevNull, err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Errorf("Close of %s: %v", os.DevNull, err)
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := sink.File(filepath.Join(dir, "missing", "events.jsonl")); err == nil || !strings.HasPrefix(err.Error(), "sink: file") {
		t.Errorf("a file in a missing directory: %v, want an error", err)
	}
	if _, err := sink.File(filepath.Join(dir, "x"), sink.WithSync(9)); err == nil {
		t.Error("WithSync(9) accepted")
	}
	if _, err := sink.File(filepath.Join(dir, "y"), sink.WithFileMode(os.ModeDir|0o700)); err == nil {
		t.Error("WithFileMode with a type bit accepted")
	}

	// An invalid event is refused and nothing is written.
	path := filepath.Join(dir, "events.jsonl")
	s, err := sink.File(path)
	if err != nil {
		t.Fatal(err)
	}
	var bad event.Event
	bad.SetID("only-an-id")
	err = s.Send(ctxT(t), &bad)
	var ee *jsonformat.EncodeError
	if !errors.As(err, &ee) || !strings.HasPrefix(err.Error(), "sink: file "+path) {
		t.Errorf("invalid event: %v, want a *jsonformat.EncodeError naming the file", err)
	}
	if err := s.Close(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("the invalid event wrote %q", b)
	}
}

// TestFileSendAllocs: a warm FileSink encodes into a pooled buffer.
func TestFileSendAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation (sync.Pool drops items under -race)")
	}
	s, err := sink.File(filepath.Join(t.TempDir(), "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close(context.Background()) }()
	e, _ := newEvent("a1")
	ctx := context.Background()
	if n := testing.AllocsPerRun(100, func() { _ = s.Send(ctx, e) }); n > 0 {
		t.Errorf("%v allocations per Send, want 0", n)
	}
}

func BenchmarkFileSend(b *testing.B) {
	for _, sync := range []struct {
		name string
		p    sink.SyncPolicy
	}{{"SyncOnClose", sink.SyncOnClose}, {"SyncEachLine", sink.SyncEachLine}} {
		b.Run(sync.name, func(b *testing.B) {
			s, err := sink.File(filepath.Join(b.TempDir(), "events.jsonl"), sink.WithSync(sync.p))
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = s.Close(context.Background()) }()
			e, _ := newEvent("bench")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Send(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
