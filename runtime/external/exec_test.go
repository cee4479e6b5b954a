package external_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/runtime/external"
	"github.com/openevents/openevents/runtime/function"
)

var _ function.Function = (*external.ExecFunction)(nil)

// fastRestart keeps restarts of failed children quick in tests that do
// not look at the backoff.
var fastRestart = external.WithRestartBackoff(time.Millisecond, 10*time.Millisecond)

func TestExecEcho(t *testing.T) {
	f := start(t, script(t, "echo.py"), external.WithLogger(newLogRecorder().logger()))
	e := newEvent("1", "com.example.echo", "hello\nworld")
	e.SetExtension("traceparent", event.String("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
	reply, err := f.Call(callCtx(t), e)
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if reply == nil || !reply.Equal(e) {
		t.Fatalf("reply %+v, want the event back", reply)
	}

	// JSON data keeps its line breaks through jsonformat; on the wire they
	// must become spaces, or the event would take three lines.
	j := event.New("2", "/external/test", "com.example.json")
	j.SetDataContentType("application/json")
	j.SetData([]byte("{\r\n  \"a\": [1,\n 2]\n}"))
	reply, err = f.Call(callCtx(t), &j)
	if err != nil {
		t.Fatalf("Call with multi-line JSON data: %v", err)
	}
	var got, want any
	if err := json.Unmarshal(reply.Data(), &got); err != nil {
		t.Fatalf("reply data %q: %v", reply.Data(), err)
	}
	_ = json.Unmarshal(j.Data(), &want)
	if !jsonEqual(got, want) || reply.ID() != "2" {
		t.Fatalf("reply %s data %q, want id 2 and the same JSON as %q", reply.ID(), reply.Data(), j.Data())
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestExecAnswers(t *testing.T) {
	f := start(t, script(t, "answers.py"), fastRestart, external.WithLogger(newLogRecorder().logger()))
	for _, tc := range []struct {
		typ      string
		check    func(t *testing.T, reply *event.Event, err error)
		restarts bool // the answer breaks the protocol
	}{
		{typ: "reply", check: func(t *testing.T, reply *event.Event, err error) {
			if err != nil || reply == nil || reply.Type() != "reply.done" || reply.Source() != "/answers" {
				t.Fatalf("got %+v, %v; want the reply event", reply, err)
			}
		}},
		{typ: "none", check: func(t *testing.T, reply *event.Event, err error) {
			if err != nil || reply != nil {
				t.Fatalf("got %+v, %v; want no reply and no error", reply, err)
			}
		}},
		{typ: "fail", check: func(t *testing.T, _ *event.Event, err error) {
			ce, ok := errors.AsType[*external.ChildError](err)
			if !ok || ce.Permanent || ce.Message != "the database is down" || errors.Is(err, binding.ErrRejected) {
				t.Fatalf("got %v; want a transient *ChildError", err)
			}
		}},
		{typ: "fail-null", check: func(t *testing.T, _ *event.Event, err error) {
			if _, ok := errors.AsType[*external.ChildError](err); !ok || errors.Is(err, binding.ErrRejected) {
				t.Fatalf("got %v; want a transient *ChildError", err)
			}
		}},
		{typ: "reject", check: func(t *testing.T, _ *event.Event, err error) {
			ce, ok := errors.AsType[*external.ChildError](err)
			if !ok || !ce.Permanent || !errors.Is(err, binding.ErrRejected) {
				t.Fatalf("got %v; want a permanent *ChildError matching binding.ErrRejected", err)
			}
		}},
		{typ: "invalid", check: func(t *testing.T, _ *event.Event, err error) {
			re, ok := errors.AsType[*external.ReplyError](err)
			if !ok || !errors.Is(err, external.ErrInvalidReply) || errors.Is(err, binding.ErrRejected) || errors.Is(err, event.ErrInvalid) {
				t.Fatalf("got %v; want a transient *ReplyError", err)
			}
			if _, ok := errors.AsType[*event.ValidationError](re.Err); !ok {
				t.Fatalf("ReplyError.Err = %v, want the *event.ValidationError", re.Err)
			}
		}},
		{typ: "bad-permanent", restarts: true},
		{typ: "no-error", restarts: true},
		{typ: "array", restarts: true},
		{typ: "twice", restarts: true},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			before := f.Pids()
			reply, err := f.Call(callCtx(t), newEvent("id-"+tc.typ, tc.typ, ""))
			if tc.restarts {
				pe, ok := errors.AsType[*external.ProtocolError](err)
				if !ok || !errors.Is(err, external.ErrProtocol) || errors.Is(err, binding.ErrRejected) || reply != nil {
					t.Fatalf("got %+v, %v; want a transient *ProtocolError", reply, err)
				}
				if pe.Pid != before[0] {
					t.Fatalf("ProtocolError.Pid = %d, want %d", pe.Pid, before[0])
				}
			} else {
				tc.check(t, reply, err)
			}
			// The next event is answered, by a new child after a protocol
			// error and by the same child otherwise.
			reply, err = f.Call(callCtx(t), newEvent("next-"+tc.typ, "reply", ""))
			if err != nil || reply.ID() != "next-"+tc.typ {
				t.Fatalf("next event: %+v, %v", reply, err)
			}
			after := f.Pids()
			if tc.restarts == (after[0] == before[0]) {
				t.Fatalf("pids %v then %v; restarted = %v, want %v", before, after, after[0] != before[0], tc.restarts)
			}
		})
	}
}

func TestExecUnencodableEventIsRefused(t *testing.T) {
	f := start(t, script(t, "echo.py"), external.WithLogger(newLogRecorder().logger()))
	var e event.Event // no attributes: does not validate
	_, err := f.Call(callCtx(t), &e)
	if !errors.Is(err, binding.ErrRejected) {
		t.Fatalf("got %v, want an error matching binding.ErrRejected", err)
	}
}

func TestExecCrashRestartsWithBackoff(t *testing.T) {
	logs := newLogRecorder()
	const first, most = 40 * time.Millisecond, 160 * time.Millisecond
	f := start(t, script(t, "crash.py", "boom"), external.WithRestartBackoff(first, most), external.WithLogger(logs.logger()))
	if _, err := f.Call(callCtx(t), newEvent("ok-0", "t", "")); err != nil {
		t.Fatalf("first event: %v", err)
	}
	// Five crashes in a row: the waits before the restarts double up to
	// the bound. The call after a crash starts the child again.
	want := []time.Duration{first, 2 * first, most, most}
	prev := f.Pids()[0]
	for i := range 5 {
		t0 := time.Now()
		_, err := f.Call(callCtx(t), newEvent("boom", "t", ""))
		ee, ok := errors.AsType[*external.ExitError](err)
		if !ok || !errors.Is(err, external.ErrExited) || errors.Is(err, binding.ErrRejected) {
			t.Fatalf("crash %d: %v, want a transient *ExitError", i, err)
		}
		if (i == 0) != (ee.Pid == prev) || ee.Status != "exit status 3" {
			t.Fatalf("crash %d: %+v, want exit status 3 from a new child (the last one was %d)", i, ee, prev)
		}
		pid := ee.Pid
		prev = pid
		if i > 0 && time.Since(t0) < want[i-1] {
			t.Fatalf("crash %d: the restart came after %v, before the backoff of %v", i, time.Since(t0), want[i-1])
		}
		logs.waitFor(t, 1, "external: child stderr", func(r record) bool {
			return r.Attrs["pid"].Int64() == int64(pid) && r.Attrs["line"].String() == "crashing on boom"
		})
		exit := logs.waitFor(t, 1, "external: child exited", pidIs(pid))[0]
		if exit.Attrs["status"].String() != "exit status 3" || exit.Attrs["reason"].String() != "it exited by itself" {
			t.Fatalf("exit record %+v", exit.Attrs)
		}
	}
	// An answered event ends the row of failures.
	if reply, err := f.Call(callCtx(t), newEvent("ok-1", "t", "")); err != nil || reply.ID() != "ok-1" {
		t.Fatalf("after the crashes: %+v, %v", reply, err)
	}
	if _, err := f.Call(callCtx(t), newEvent("boom", "t", "")); !errors.Is(err, external.ErrExited) {
		t.Fatalf("crash after recovery: %v", err)
	}
	if _, err := f.Call(callCtx(t), newEvent("ok-2", "t", "")); err != nil {
		t.Fatalf("after the last crash: %v", err)
	}
	starts := logs.matching("external: child started", nil)
	var got []time.Duration
	for _, r := range starts {
		got = append(got, r.Attrs["backoff"].Duration())
	}
	wantAll := append([]time.Duration{0}, append(want, most, first)...) // initial start, 5 crashes, 1 more
	if len(got) != len(wantAll) {
		t.Fatalf("start backoffs %v, want %v", got, wantAll)
	}
	for i := range got {
		if got[i] != wantAll[i] {
			t.Fatalf("start backoffs %v, want %v", got, wantAll)
		}
	}
}

func TestExecContextEndKillsTheChild(t *testing.T) {
	logs := newLogRecorder()
	f := start(t, script(t, "sleep.py"), fastRestart, external.WithLogger(logs.logger()))
	pid := f.Pids()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := f.Call(ctx, newEvent("slow", "t", "60"))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, binding.ErrRejected) {
		t.Fatalf("got %v, want a transient error matching context.DeadlineExceeded", err)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Fatalf("the call returned after %v; the child sleeps 60 s", d)
	}
	exit := logs.waitFor(t, 1, "external: child exited", pidIs(pid))[0]
	if exit.Attrs["status"].String() != "signal: killed" || exit.Attrs["reason"].String() != "the context of a call ended" {
		t.Fatalf("exit record %+v", exit.Attrs)
	}
	// The next event gets its own answer from a new child, not the
	// killed child's late answer to the slow one.
	reply, err := f.Call(callCtx(t), newEvent("quick", "t", "0"))
	if err != nil || reply.ID() != "quick" {
		t.Fatalf("next event: %+v, %v", reply, err)
	}
	if p := f.Pids(); len(p) != 1 || p[0] == pid {
		t.Fatalf("pids %v, want one new child (the old one was %d)", p, pid)
	}

	// A context that ended before the call does not touch the child.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	pid = f.Pids()[0]
	if _, err := f.Call(done, newEvent("late", "t", "0")); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
	if p := f.Pids(); len(p) != 1 || p[0] != pid {
		t.Fatalf("pids %v after an ended context, want %d still", p, pid)
	}
}

func TestExecGarbage(t *testing.T) {
	f := start(t, script(t, "garbage.py"), fastRestart, external.WithLogger(newLogRecorder().logger()))
	pid := f.Pids()[0]
	_, err := f.Call(callCtx(t), newEvent("g", "garbage", ""))
	pe, ok := errors.AsType[*external.ProtocolError](err)
	if !ok || errors.Is(err, binding.ErrRejected) || string(pe.Line) != "this is not JSON" || pe.Pid != pid {
		t.Fatalf("got %v, want a transient *ProtocolError quoting the line", err)
	}
	if reply, err := f.Call(callCtx(t), newEvent("after", "echo", "")); err != nil || reply.ID() != "after" {
		t.Fatalf("after garbage: %+v, %v", reply, err)
	}
}

func TestExecMaxLineBytes(t *testing.T) {
	e := newEvent("n", "echo", strings.Repeat("d", 5000))
	line, err := jsonformat.Append(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	// An answer of exactly the limit passes; one byte more is refused.
	f := start(t, script(t, "garbage.py"), fastRestart, external.WithMaxLineBytes(len(line)), external.WithLogger(newLogRecorder().logger()))
	if reply, err := f.Call(callCtx(t), e); err != nil || !reply.Equal(e) {
		t.Fatalf("answer of %d bytes with the limit at %d: %v", len(line), len(line), err)
	}
	e.SetID("nn")
	_, err = f.Call(callCtx(t), e)
	if pe, ok := errors.AsType[*external.ProtocolError](err); !ok || !strings.Contains(pe.Reason, "WithMaxLineBytes") {
		t.Fatalf("answer of %d bytes with the limit at %d: %v, want a *ProtocolError naming WithMaxLineBytes", len(line)+1, len(line), err)
	}
	// Far longer than the reader's buffer: refused without holding it all.
	_, err = f.Call(callCtx(t), newEvent("huge", "long", strconv.Itoa(3<<20)))
	if !errors.Is(err, external.ErrProtocol) {
		t.Fatalf("a 3 MiB answer: %v", err)
	}
	if reply, err := f.Call(callCtx(t), newEvent("after", "echo", "")); err != nil || reply.ID() != "after" {
		t.Fatalf("after long answers: %+v, %v", reply, err)
	}
	if external.DefaultMaxLineBytes != 4<<20 {
		t.Fatalf("DefaultMaxLineBytes = %d", external.DefaultMaxLineBytes)
	}
}

func TestExecStderrIsLoggedByLine(t *testing.T) {
	logs := newLogRecorder()
	const limit = 100
	f := start(t, script(t, "stderr.py"), external.WithMaxLogLineBytes(limit), external.WithLogger(logs.logger()))
	pid := f.Pids()[0]
	exact := strings.Repeat("e", limit)
	text := "hello\r\nworld\n" + exact + "\n" + strings.Repeat("y", 50*limit) + "\nafter\n"
	if reply, err := f.Call(callCtx(t), newEvent("s", "t", text)); err != nil || reply != nil {
		t.Fatalf("Call: %+v, %v", reply, err)
	}
	got := logs.waitFor(t, 5, "external: child stderr", pidIs(pid))
	want := []struct {
		line      string
		truncated bool
	}{{"hello", false}, {"world", false}, {exact, false}, {strings.Repeat("y", limit), true}, {"after", false}}
	for i, w := range want {
		_, truncated := got[i].Attrs["truncated"]
		if got[i].Attrs["line"].String() != w.line || truncated != w.truncated {
			t.Fatalf("record %d: %+v, want line %.20q… truncated=%v", i, got[i].Attrs, w.line, w.truncated)
		}
	}
}

func TestExecPool(t *testing.T) {
	f := start(t, script(t, "echo.py"), external.WithProcesses(3), external.WithLogger(newLogRecorder().logger()))
	if p := f.Pids(); len(p) != 3 || p[0] == p[1] || p[1] == p[2] {
		t.Fatalf("pids %v, want 3 children", p)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		wg.Go(func() {
			id := "p" + strconv.Itoa(i)
			reply, err := f.Call(callCtx(t), newEvent(id, "t", ""))
			if err == nil && reply.ID() != id {
				err = errors.New("reply " + reply.ID() + " to " + id)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestExecNoLoss kills children with SIGKILL while callers keep them
// busy, and retries what fails as the host does: every event must be
// answered (with its own reply) at least once, and no failure may be
// permanent.
func TestExecNoLoss(t *testing.T) {
	const callers, perCaller, kills = 8, 250, 10
	logs := newLogRecorder()
	f := start(t, script(t, "echo.py"), external.WithProcesses(2), fastRestart, external.WithLogger(logs.logger()))

	var answered, failed, attempts atomic.Int64
	progress := make(chan struct{}, callers*perCaller)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range perCaller {
				id := strconv.Itoa(c) + "-" + strconv.Itoa(i)
				for try := 0; ; try++ {
					if try == 50 {
						t.Errorf("event %s: still failing after 50 tries", id)
						return
					}
					attempts.Add(1)
					reply, err := f.Call(callCtx(t), newEvent(id, "t", id))
					if err == nil {
						if reply == nil || reply.ID() != id || string(reply.Data()) != id {
							t.Errorf("event %s answered with %+v", id, reply)
							return
						}
						answered.Add(1)
						progress <- struct{}{}
						break
					}
					failed.Add(1)
					if errors.Is(err, binding.ErrRejected) || !errors.Is(err, binding.ErrUnavailable) {
						t.Errorf("event %s: %v, want a transient failure", id, err)
						return
					}
				}
			}
		})
	}
	killed := 0
	var killErr error
	for n := 0; killed < kills && n < callers*perCaller; n++ {
		<-progress
		if n%150 == 149 {
			pids := f.Pids()
			if len(pids) == 0 {
				continue
			}
			if err := syscall.Kill(pids[killed%len(pids)], syscall.SIGKILL); err == nil {
				killed++
			} else if !errors.Is(err, syscall.ESRCH) {
				killErr = err
			}
		}
	}
	wg.Wait()
	if killErr != nil {
		t.Fatal(killErr)
	}
	if answered.Load() != callers*perCaller {
		t.Fatalf("%d of %d events answered", answered.Load(), callers*perCaller)
	}
	if killed < kills {
		t.Fatalf("killed %d children, want %d", killed, kills)
	}
	signalled := logs.matching("external: child exited", func(r record) bool { return r.Attrs["status"].String() == "signal: killed" })
	t.Logf("%d events answered in %d calls: %d transient failures; %d children killed, %d exits logged as killed, %d starts",
		answered.Load(), attempts.Load(), failed.Load(), killed, len(signalled), len(logs.matching("external: child started", nil)))
}

func TestExecOrphanedPipes(t *testing.T) {
	// The child exits but leaves a grandchild holding its standard output:
	// the call must still end, with the child's exit.
	f := start(t, script(t, "orphan.py"), fastRestart, external.WithLogger(newLogRecorder().logger()))
	_, err := f.Call(callCtx(t), newEvent("o", "t", ""))
	ee, ok := errors.AsType[*external.ExitError](err)
	if !ok || ee.Status != "exit status 4" {
		t.Fatalf("got %v, want an *ExitError with exit status 4", err)
	}
}

func TestExecEnvAndDir(t *testing.T) {
	dir := t.TempDir()
	prog := `
import json, os, sys
for line in sys.stdin:
    print(json.dumps({"error": os.environ.get("GREETING", "") + "|" + os.getcwd()}), flush=True)
`
	cmd := append(script(t, "echo.py")[:1], "-c", prog)
	f := start(t, cmd, external.WithEnv("GREETING=hi"), external.WithDir(dir), external.WithLogger(newLogRecorder().logger()))
	_, err := f.Call(callCtx(t), newEvent("e", "t", ""))
	ce, ok := errors.AsType[*external.ChildError](err)
	tmp, _ := os.Stat(dir)
	if !ok || !strings.HasPrefix(ce.Message, "hi|") {
		t.Fatalf("got %v", err)
	}
	if got, _ := os.Stat(strings.TrimPrefix(ce.Message, "hi|")); got == nil || !os.SameFile(got, tmp) {
		t.Fatalf("the child ran in %q, want %q", strings.TrimPrefix(ce.Message, "hi|"), dir)
	}
}

func TestExecClose(t *testing.T) {
	logs := newLogRecorder()
	f, err := external.Exec(script(t, "echo.py"), external.WithProcesses(2), external.WithLogger(logs.logger()))
	if err != nil {
		t.Fatal(err)
	}
	pids := f.Pids()
	if err := f.Close(callCtx(t)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if p := f.Pids(); len(p) != 0 {
		t.Fatalf("pids %v after Close", p)
	}
	for _, pid := range pids {
		exit := logs.waitFor(t, 1, "external: child exited", pidIs(pid))[0]
		if exit.Attrs["status"].String() != "exit status 0" || exit.Attrs["reason"].String() != "asked to exit by Close" {
			t.Fatalf("exit record %+v", exit.Attrs)
		}
	}
	if _, err := f.Call(callCtx(t), newEvent("x", "t", "")); !errors.Is(err, external.ErrClosed) {
		t.Fatalf("Call after Close: %v", err)
	}
	if err := f.Close(callCtx(t)); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestExecCloseKillsStubbornChildren(t *testing.T) {
	// A child that ignores the end of its input is killed when Close's
	// context ends; a call waiting for it fails, and so does a call
	// waiting for a free child.
	stubborn := append(script(t, "echo.py")[:1], "-c", "import time, sys\nsys.stdin.readline()\nprint('busy', file=sys.stderr, flush=True)\ntime.sleep(120)")
	logs := newLogRecorder()
	f, err := external.Exec(stubborn, external.WithLogger(logs.logger()))
	if err != nil {
		t.Fatal(err)
	}
	pid := f.Pids()[0]
	busy := make(chan error, 1)
	go func() { _, err := f.Call(context.Background(), newEvent("b", "t", "")); busy <- err }()
	logs.waitFor(t, 1, "external: child stderr", pidIs(pid)) // the child has the event
	waiting := make(chan error, 1)
	go func() { _, err := f.Call(context.Background(), newEvent("w", "t", "")); waiting <- err }()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = f.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v, want an error matching context.DeadlineExceeded", err)
	}
	if err := <-busy; !errors.Is(err, external.ErrExited) {
		t.Fatalf("the call in progress: %v, want ErrExited", err)
	}
	if err := <-waiting; !errors.Is(err, external.ErrClosed) {
		t.Fatalf("the waiting call: %v, want ErrClosed", err)
	}
	if p := f.Pids(); len(p) != 0 {
		t.Fatalf("pids %v after Close, the child was %d", p, pid)
	}
}

func TestExecConfig(t *testing.T) {
	echo := script(t, "echo.py")
	for name, tc := range map[string]struct {
		cmd  []string
		opts []external.ExecOption
		want error
	}{
		"no command":          {want: external.ErrConfig},
		"empty program":       {cmd: []string{""}, want: external.ErrConfig},
		"no processes":        {cmd: echo, opts: []external.ExecOption{external.WithProcesses(0)}, want: external.ErrConfig},
		"too many processes":  {cmd: echo, opts: []external.ExecOption{external.WithProcesses(external.MaxProcesses + 1)}, want: external.ErrConfig},
		"tiny line limit":     {cmd: echo, opts: []external.ExecOption{external.WithMaxLineBytes(3)}, want: external.ErrConfig},
		"tiny log line limit": {cmd: echo, opts: []external.ExecOption{external.WithMaxLogLineBytes(15)}, want: external.ErrConfig},
		"zero backoff":        {cmd: echo, opts: []external.ExecOption{external.WithRestartBackoff(0, time.Second)}, want: external.ErrConfig},
		"backoff upside down": {cmd: echo, opts: []external.ExecOption{external.WithRestartBackoff(time.Second, time.Millisecond)}, want: external.ErrConfig},
		"nil logger":          {cmd: echo, opts: []external.ExecOption{external.WithLogger(nil)}, want: external.ErrConfig},
		"nil option":          {cmd: echo, opts: []external.ExecOption{nil}, want: external.ErrConfig},
		"no such program":     {cmd: []string{"/nonexistent/openevents-function"}, want: external.ErrStart},
		"no such directory":   {cmd: echo, opts: []external.ExecOption{external.WithDir("/nonexistent/dir")}, want: external.ErrStart},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := external.Exec(tc.cmd, tc.opts...)
			if !errors.Is(err, tc.want) || f != nil {
				t.Fatalf("got %v, %v; want an error matching %v", f, err, tc.want)
			}
		})
	}
}

func TestExecWaitForAFreeChildEndsWithTheContext(t *testing.T) {
	// One child, busy with a slow event: a second call waits for it only
	// as long as its own context lasts, and the busy child is left alone.
	logs := newLogRecorder()
	prog := "import sys, time\nfor line in sys.stdin:\n    print('busy', file=sys.stderr, flush=True)\n    time.sleep(3)\n    print(line, end='', flush=True)\n"
	f := start(t, append(script(t, "echo.py")[:1], "-c", prog), external.WithLogger(logs.logger()))
	pid := f.Pids()[0]
	slow := make(chan error, 1)
	go func() { _, err := f.Call(callCtx(t), newEvent("slow", "t", "")); slow <- err }()
	logs.waitFor(t, 1, "external: child stderr", pidIs(pid))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := f.Call(ctx, newEvent("queued", "t", "")); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, binding.ErrRejected) {
		t.Fatalf("queued call: %v, want a transient error matching context.DeadlineExceeded", err)
	}
	if err := <-slow; err != nil {
		t.Fatalf("the slow call: %v", err)
	}
	if p := f.Pids(); len(p) != 1 || p[0] != pid {
		t.Fatalf("pids %v, want %d untouched", p, pid)
	}
}
