package external

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"time"
)

// start starts a child for s. backoff is the wait that preceded it, for
// the log. The child's pipes are made here rather than by os/exec so that
// the host's ends are pollable files it owns: reads and writes can be
// interrupted with deadlines, and Wait neither closes them under a reader
// nor waits for them.
func (f *ExecFunction) start(s *slot, backoff time.Duration) (*proc, error) {
	var files [6]*os.File // stdin r/w, stdout r/w, stderr r/w
	closeAll := func() {
		for _, fl := range files {
			if fl != nil {
				_ = fl.Close()
			}
		}
	}
	for i := 0; i < len(files); i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll()
			return nil, err
		}
		files[i], files[i+1] = r, w
	}
	cmd := exec.Command(f.argv[0], f.argv[1:]...)
	cmd.Env = f.cfg.env
	cmd.Dir = f.cfg.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = files[0], files[3], files[5]
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, err
	}
	// The child has its ends; the host keeps its own.
	_, _, _ = files[0].Close(), files[3].Close(), files[5].Close()
	p := &proc{
		cmd:      cmd,
		pid:      cmd.Process.Pid,
		stdin:    files[1],
		stdout:   files[2],
		exited:   make(chan struct{}),
		released: make(chan struct{}),
	}
	s.br.Reset(p.stdout)
	f.mu.Lock()
	f.live[p] = struct{}{}
	f.mu.Unlock()
	stderrDone := make(chan struct{})
	f.wg.Add(2)
	go f.logStderr(p, files[4], stderrDone)
	go f.reap(p, files[4], stderrDone)
	f.cfg.log.started(p.pid, f.argv[0], backoff)
	return p, nil
}

// reap waits for the child to exit, records and logs its status, and
// makes sure no read or write of its pipes outlives it by more than
// pipeGrace (a grandchild may hold them open).
func (f *ExecFunction) reap(p *proc, stderr *os.File, stderrDone <-chan struct{}) {
	defer f.wg.Done()
	err := p.cmd.Wait()
	status := "exit status 0"
	if p.cmd.ProcessState != nil {
		status = p.cmd.ProcessState.String()
	} else if err != nil {
		status = err.Error()
	}
	p.status = status
	close(p.exited)
	f.mu.Lock()
	delete(f.live, p)
	f.mu.Unlock()

	grace := time.NewTimer(pipeGrace)
	defer grace.Stop()
	expired := false
	select { // log the child's last words before its exit
	case <-stderrDone:
	case <-grace.C:
		expired = true
	}
	p.killMu.Lock()
	reason := p.killReason
	p.killMu.Unlock()
	f.cfg.log.exited(p.pid, status, reason)

	if !expired {
		select {
		case <-p.released:
		case <-grace.C:
		}
	}
	past := time.Unix(1, 0)
	_ = p.stdin.SetWriteDeadline(past)
	_ = p.stdout.SetReadDeadline(past)
	_ = stderr.SetReadDeadline(past)
}

// logStderr logs each line the child writes to its standard error, at
// most cfg.maxLogLine bytes of it, until EOF or the deadline reap sets.
func (f *ExecFunction) logStderr(p *proc, r *os.File, done chan<- struct{}) {
	defer f.wg.Done()
	defer close(done)
	defer func() { _ = r.Close() }()
	limit := f.cfg.maxLogLine
	br := bufio.NewReaderSize(r, limit+1) // room for the newline of a line of max bytes
	for {
		line, err := br.ReadSlice('\n')
		if err == nil {
			line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
		}
		truncated := len(line) > limit // a full buffer without a newline
		if truncated {
			line = line[:limit]
		}
		if len(line) > 0 || err == nil {
			f.cfg.log.stderr(p.pid, line, truncated)
		}
		for errors.Is(err, bufio.ErrBufferFull) { // drop the rest of a long line
			_, err = br.ReadSlice('\n')
		}
		if err != nil {
			return
		}
	}
}
