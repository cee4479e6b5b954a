package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
)

// The child-process protocol. A harness runs the receiver under test in a
// child process, so that the receiver and the load generator do not share
// a Go runtime (heap, collector, scheduler):
//
//  1. The parent starts its own executable with the arguments that make
//     it a child (for ce, "bench BINDING --serve KIND"), with pipes for
//     standard input and output; the child's standard error is the
//     parent's.
//  2. The child listens on 127.0.0.1:0 and writes "listening on ADDR\n"
//     as its first line: that line is both its address and its readiness.
//  3. The parent loads ADDR, then closes the child's standard input: that
//     is the signal to stop.
//  4. The child shuts its receiver down, writes "served N\n", N the events
//     its handler accepted, and exits 0.
//
// StartInProcess runs the same Serve in the calling process, for tests.

const (
	listeningPrefix = "listening on "
	servedPrefix    = "served "
)

// Serve runs a receiver on ln until ctx ends, then shuts it down and
// returns; it owns ln. It adds each event its handler accepts to served,
// from any goroutine. An error means the receiver failed, not that it was
// stopped.
type Serve func(ctx context.Context, ln net.Listener, served *atomic.Int64) error

// Server is a running receiver under test, in a child process or in this
// one. Stop must be called exactly once.
type Server struct {
	// Addr is the receiver's host:port on loopback.
	Addr string
	stop func() (int64, error)
}

// Stop stops the receiver and returns the events its handler accepted.
// The count lets a harness check that what the load generator counted
// did arrive.
func (s *Server) Stop() (served int64, err error) { return s.stop() }

// Start runs this executable with args as a child speaking the protocol
// above and returns once the child has reported its address. Canceling
// ctx kills the child.
func Start(ctx context.Context, args ...string) (*Server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	child := exec.CommandContext(ctx, exe, args...)
	stdin, err := child.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return nil, err
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		return nil, err
	}
	out := bufio.NewReader(stdout)
	stop := func() (int64, error) {
		_ = stdin.Close()
		// Read to the end before Wait, which closes the pipe.
		rest, rerr := io.ReadAll(out)
		werr := child.Wait()
		if werr != nil {
			return 0, werr
		}
		if rerr != nil {
			return 0, rerr
		}
		return parseServed(string(rest))
	}
	line, err := out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), listeningPrefix)
	if err != nil || !ok {
		_, _ = stop()
		return nil, fmt.Errorf("the child %q did not report its address (%q): %w", strings.Join(args, " "), line, err)
	}
	return &Server{Addr: addr, stop: stop}, nil
}

func parseServed(out string) (int64, error) {
	for line := range strings.Lines(out) {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), servedPrefix); ok {
			return strconv.ParseInt(n, 10, 64)
		}
	}
	return 0, errors.New("bench: the child exited without reporting the events it served")
}

// ServeChild is the child's side of the protocol: it listens on
// 127.0.0.1:0, reports the address on stdout, runs serve until stdin
// reaches its end (the parent closed it) or ctx ends, and reports the
// events served.
func ServeChild(ctx context.Context, stdin io.Reader, stdout io.Writer, serve Serve) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, stdin) // returns when the parent closes the pipe
		cancel()
	}()
	if _, err := fmt.Fprintf(stdout, "%s%s\n", listeningPrefix, ln.Addr()); err != nil {
		_ = ln.Close()
		return err
	}
	var served atomic.Int64
	if err := serve(ctx, ln, &served); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s%d\n", servedPrefix, served.Load())
	return err
}

// StartInProcess runs serve on 127.0.0.1:0 in this process, with the
// same lifecycle as Start.
func StartInProcess(ctx context.Context, serve Serve) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var served atomic.Int64
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, &served) }()
	return &Server{Addr: ln.Addr().String(), stop: func() (int64, error) {
		cancel()
		err := <-done
		return served.Load(), err
	}}, nil
}

// StartServer starts serve in a child process with args, or in this
// process when inProcess is set (for tests, where the test binary is not
// ce).
func StartServer(ctx context.Context, inProcess bool, serve Serve, args ...string) (*Server, error) {
	if inProcess {
		return StartInProcess(ctx, serve)
	}
	return Start(ctx, args...)
}
