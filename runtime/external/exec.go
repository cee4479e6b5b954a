package external

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// ExecFunction is a [function.Function] run by long-lived child processes
// that speak the exec protocol (docs/exec-protocol.md) on their standard
// input and output. Make one with [Exec].
//
// It is safe for concurrent use. Each call takes a free child (waiting,
// until its context ends, while all are busy), sends it the event and
// reads its answer; so events are handled one at a time per child, in the
// order calls got the child.
//
// [function.Function]: github.com/openevents/openevents/runtime/function.Function
type ExecFunction struct {
	argv []string
	cfg  *execConfig

	free    chan *slot    // children not in a call; holds every slot when idle
	slots   []*slot       // all of them, for Close
	closing chan struct{} // closed by Close: calls fail with ErrClosed
	once    sync.Once

	mu   sync.Mutex
	live map[*proc]struct{} // children started and not yet reaped

	wg sync.WaitGroup // the goroutines of every child
}

// slot is one place for a child. The call or Close that took it from
// ExecFunction.free owns all its fields.
type slot struct {
	p         *proc     // the child, nil after it failed
	failures  int       // failures in a row, for the restart backoff
	notBefore time.Time // no restart before this
	out       []byte    // the event line being sent
	br        *bufio.Reader
	long      []byte // an answer line longer than br's buffer
}

// proc is one child process and the host's ends of its pipes.
type proc struct {
	cmd    *exec.Cmd
	pid    int
	stdin  *os.File // written by the slot owner
	stdout *os.File // read by the slot owner

	exited   chan struct{} // closed once the child was reaped
	status   string        // its exit status; read after exited
	released chan struct{} // closed when the slot let go of the child
	relOnce  sync.Once

	killMu     sync.Mutex
	killReason string // why the host killed it, "" if it did not
}

// Exec returns a function that runs cmd (the program and its arguments;
// a program name without a slash is looked up in PATH, a relative path is
// taken from [WithDir]'s directory when it is set) as
// [WithProcesses] children, starting them now. It returns an error
// matching [ErrConfig] for an empty cmd or an invalid option, and the
// start error if a child cannot be started. Close stops the children.
//
// A child that exits, breaks the protocol or is killed because a call's
// context ended is started again by the next call that needs it, after
// the restart backoff ([WithRestartBackoff]); the event it had in hand
// fails transiently (never as [binding.ErrRejected]), so a retrying host
// gets every event handled at least once.
func Exec(cmd []string, opts ...ExecOption) (*ExecFunction, error) {
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, fmt.Errorf("%w: Exec: no program to run", ErrConfig)
	}
	cfg, err := newExecConfig(opts)
	if err != nil {
		return nil, err
	}
	f := &ExecFunction{
		argv:    slices.Clone(cmd),
		cfg:     cfg,
		free:    make(chan *slot, cfg.processes),
		closing: make(chan struct{}),
		live:    make(map[*proc]struct{}),
	}
	for range cfg.processes {
		s := &slot{br: bufio.NewReaderSize(nil, 64<<10)}
		p, err := f.start(s, 0)
		if err != nil {
			for _, s := range f.slots {
				f.release(s, "Exec failed: another child could not start")
			}
			f.wg.Wait()
			return nil, fmt.Errorf("%w: %w", ErrStart, err)
		}
		s.p = p
		f.slots = append(f.slots, s)
		f.free <- s
	}
	return f, nil
}

// Call sends e to a free child and returns its answer: the reply event
// (nil for a null answer), or the child's [*ChildError]. The reply is
// the caller's.
//
// Every other failure is transient: [ErrClosed] after Close, the context's
// error wrapped when ctx ended first (while waiting for a child, for its
// restart, or while the child worked, which kills the child), an
// [*ExitError] when the child ended before it answered, a
// [*ProtocolError] for an answer the protocol does not allow, a
// [*ReplyError] for an invalid reply event, and an error matching
// [ErrStart] when no child could be started. An event that cannot be
// encoded (it does not validate) is refused: the error matches
// [binding.ErrRejected].
func (f *ExecFunction) Call(ctx context.Context, e *event.Event) (*event.Event, error) {
	s, err := f.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { f.free <- s }()
	if s.out, err = appendEventLine(s.out[:0], e); err != nil {
		return nil, fmt.Errorf("external: exec: cannot encode the event: %w (%w)", err, binding.ErrRejected)
	}
	p, err := f.ready(ctx, s)
	if err != nil {
		return nil, err
	}
	return f.exchange(ctx, s, p)
}

// acquire takes a free slot, waiting until ctx ends or Close.
func (f *ExecFunction) acquire(ctx context.Context) (*slot, error) {
	select {
	case <-f.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("external: exec: no child was free before the context ended: %w", ctx.Err())
	case s := <-f.free:
		select {
		case <-f.closing:
			f.free <- s
			return nil, ErrClosed
		default:
			return s, nil
		}
	}
}

// ready returns the slot's child, starting one (after the backoff) if it
// has none or the one it had exited while idle.
func (f *ExecFunction) ready(ctx context.Context, s *slot) (*proc, error) {
	if s.p != nil {
		select {
		case <-s.p.exited:
			f.release(s, "")
			s.fail(f.cfg)
		default:
			return s.p, nil
		}
	}
	wait := time.Until(s.notBefore)
	if wait > 0 {
		if dl, ok := ctx.Deadline(); ok && dl.Before(s.notBefore) {
			return nil, fmt.Errorf("external: exec: the child restarts in %v, after the context's deadline: %w (%w)",
				wait.Round(time.Millisecond), context.DeadlineExceeded, binding.ErrUnavailable)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("external: exec: the context ended while the child waited to restart: %w", ctx.Err())
		case <-f.closing:
			t.Stop()
			return nil, ErrClosed
		case <-t.C:
		}
	}
	p, err := f.start(s, f.cfg.backoffAfter(s.failures))
	if err != nil {
		s.fail(f.cfg)
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	s.p = p
	return p, nil
}

// fail records one more failure of the slot's child.
func (s *slot) fail(cfg *execConfig) {
	s.failures++
	s.notBefore = time.Now().Add(cfg.backoffAfter(s.failures))
}

// exchange writes the event line to p and reads its answer.
func (f *ExecFunction) exchange(ctx context.Context, s *slot, p *proc) (*event.Event, error) {
	if err := ctx.Err(); err != nil { // do not kill a healthy child for a call that is over
		return nil, fmt.Errorf("external: exec: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { p.interrupt("the context of a call ended") })
	_, werr := p.stdin.Write(s.out)
	var line []byte
	rerr := werr
	if werr == nil {
		line, rerr = s.readLine(f.cfg.maxLine)
	}
	interrupted := !stop()
	if rerr != nil {
		if interrupted {
			f.release(s, "")
			s.fail(f.cfg)
			return nil, fmt.Errorf("external: exec: child %d killed: the context ended while it handled the event: %w", p.pid, ctx.Err())
		}
		if errors.Is(rerr, errLineTooLong) {
			return nil, f.broken(s, p, "answer longer than "+strconv.Itoa(f.cfg.maxLine)+" bytes (WithMaxLineBytes)", nil)
		}
		return nil, f.ended(ctx, s, p)
	}
	if s.br.Buffered() > 0 {
		return nil, f.broken(s, p, "more than one line answered one event", line)
	}
	reply := new(event.Event)
	kind, ce, err := decodeAnswer(line, reply)
	if cap(s.long) > 1<<20 { // a long answer is rare: do not keep its buffer
		s.long = nil
	}
	var v violation
	if errors.As(err, &v) {
		return nil, f.broken(s, p, string(v), line)
	}
	if interrupted { // answered, but the child was killed on the way out
		f.release(s, "")
		s.fail(f.cfg)
	} else {
		s.failures = 0
	}
	if re, ok := errors.AsType[*ReplyError](err); ok {
		re.Pid = p.pid
		return nil, re
	}
	switch kind {
	case answerReply:
		return reply, nil
	case answerError:
		return nil, ce
	}
	return nil, nil
}

// broken kills p for a protocol violation and returns the event's error.
func (f *ExecFunction) broken(s *slot, p *proc, reason string, line []byte) error {
	f.release(s, "protocol error: "+reason)
	s.fail(f.cfg)
	pe := &ProtocolError{Pid: p.pid, Reason: reason}
	if len(line) > 0 {
		pe.Line = slices.Clone(line[:min(len(line), 128)])
	}
	return pe
}

// ended handles a child whose standard output ended (or broke) before it
// answered: usually it exited. It waits for the exit status, briefly.
func (f *ExecFunction) ended(ctx context.Context, s *slot, p *proc) error {
	t := time.NewTimer(pipeGrace)
	select { // usually it has exited, and is reaped at once
	case <-p.exited:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	f.release(s, "it closed its standard output before answering")
	s.fail(f.cfg)
	select {
	case <-p.exited:
		return &ExitError{Pid: p.pid, Status: p.status}
	default:
		return &ExitError{Pid: p.pid, Status: "running"}
	}
}

// release lets go of the slot's child: it is killed (with reason, unless
// it was killed before or has exited) and the host's pipe ends are closed.
func (f *ExecFunction) release(s *slot, reason string) {
	p := s.p
	s.p = nil
	if p == nil {
		return
	}
	p.kill(reason)
	_ = p.stdin.Close()
	_ = p.stdout.Close()
	p.relOnce.Do(func() { close(p.released) })
}

// kill kills the child unless it has been reaped, recording why (the
// first reason is kept). It is safe to call from any goroutine.
func (p *proc) kill(reason string) {
	select {
	case <-p.exited:
		return
	default:
	}
	p.note(reason)
	_ = p.cmd.Process.Kill() // an error means it has exited already
}

// note records why the host ended the child; the first reason is kept
// and goes into the exit's log record.
func (p *proc) note(reason string) {
	p.killMu.Lock()
	if p.killReason == "" {
		p.killReason = reason
	}
	p.killMu.Unlock()
}

// interrupt stops a call in progress: the child is killed and the pipes
// stop blocking (for a grandchild that holds them open).
func (p *proc) interrupt(reason string) {
	p.kill(reason)
	past := time.Unix(1, 0)
	_ = p.stdin.SetWriteDeadline(past)
	_ = p.stdout.SetReadDeadline(past)
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line from p's standard output, without its newline.
// The line is valid until the next readLine.
func (s *slot) readLine(limit int) ([]byte, error) {
	s.long = s.long[:0]
	for {
		frag, err := s.br.ReadSlice('\n')
		switch {
		case err == nil:
			line := frag
			if len(s.long) > 0 {
				s.long = append(s.long, frag...)
				line = s.long
			}
			line = line[:len(line)-1]
			if len(line) > limit {
				return nil, errLineTooLong
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(s.long)+len(frag) > limit+1 {
				return nil, errLineTooLong
			}
			s.long = append(s.long, frag...)
		default:
			return nil, err
		}
	}
}

// Pids returns the process IDs of the children that are running (started
// and not yet reaped), in increasing order. It is meant for diagnostics
// and tests; a pid may belong to a child that is exiting.
func (f *ExecFunction) Pids() []int {
	f.mu.Lock()
	pids := make([]int, 0, len(f.live))
	for p := range f.live {
		pids = append(pids, p.pid)
	}
	f.mu.Unlock()
	slices.Sort(pids)
	return pids
}

// Close stops the function: new calls fail with [ErrClosed]; calls in
// progress may finish; then every child's standard input is closed, which
// asks it to exit, and Close waits for the children to exit until ctx
// ends. Children still running then are killed (their calls in progress
// fail transiently) and Close returns an error wrapping ctx's. It returns
// once every goroutine of the function has ended. Close may be called
// more than once; later calls find no child left.
func (f *ExecFunction) Close(ctx context.Context) error {
	f.once.Do(func() { close(f.closing) })
	var held []*slot
	defer func() {
		for _, s := range held {
			f.free <- s
		}
	}()
	for range f.slots {
		select {
		case s := <-f.free:
			held = append(held, s)
			if s.p != nil {
				s.p.note("asked to exit by Close")
				_ = s.p.stdin.Close() // EOF: the protocol's request to exit
			}
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	var err error
	for _, s := range held {
		if s.p == nil {
			continue
		}
		select {
		case <-s.p.exited:
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		f.mu.Lock()
		n := len(f.live)
		for p := range f.live {
			p.kill("Close: the context ended before it exited")
		}
		f.mu.Unlock()
		if n > 0 {
			err = fmt.Errorf("external: exec: Close killed %d children that had not exited: %w", n, ctx.Err())
		}
	}
	for _, s := range held {
		if s.p != nil {
			<-s.p.exited // a killed child is reaped promptly
			f.release(s, "")
		}
	}
	f.wg.Wait()
	return err
}
