package grpc

import (
	"context"
	"errors"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/protoformat"
)

// ErrStreamClosed is returned by [Stream.Send] after Close, and by
// [Ack.Wait] for batches whose acknowledgement can no longer arrive
// because the stream ended without an error status.
var ErrStreamClosed = errors.New("cegrpc: stream closed")

var streamDesc = grpc.StreamDesc{StreamName: "Stream", ServerStreams: true, ClientStreams: true}

// Stream sends batches of events over one EventService.Stream call and
// collects the acknowledgement of each. At most a window of events (see
// WithWindow) is in flight unacknowledged; Send blocks while the window is
// full, which is the stream's flow control. A Stream is safe for
// concurrent use; batches are numbered and acknowledged in the order Send
// is called.
type Stream struct {
	cs     grpc.ClientStream
	cancel context.CancelFunc
	window int

	sendMu sync.Mutex // serialises encoding and SendMsg
	buf    []byte
	out    frame
	seq    uint64

	mu       sync.Mutex
	inflight int
	pending  []*Ack
	wake     chan struct{} // closed and replaced when the window frees up
	err      error         // why the stream ended, once it has
	lost     bool          // batches were pending when it ended
	closed   bool
	recvDone chan struct{}
}

// Ack is the future acknowledgement of one batch.
type Ack struct {
	seq    uint64
	n      int
	done   chan struct{}
	result Result
	err    error
}

// Result is the outcome of one acknowledged batch.
type Result struct {
	// Sequence numbers batches of a stream from 1.
	Sequence uint64
	// Accepted counts the events the receiver's handler accepted.
	Accepted int
	// Failures lists the events that were not accepted, by index in the
	// batch; every other event was.
	Failures []*Error
}

// Done is closed when the acknowledgement arrived or can no longer arrive.
func (a *Ack) Done() <-chan struct{} { return a.done }

// Wait blocks until the batch is acknowledged and returns the result. The
// error is non-nil when the stream ended before the acknowledgement (the
// stream's [*Error], or [ErrStreamClosed]): the receiver may or may not
// have handled the events, so send them again to keep at-least-once
// delivery. It returns ctx's error if ctx ends first.
func (a *Ack) Wait(ctx context.Context) (Result, error) {
	select {
	case <-a.done:
		return a.result, a.err
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Stream opens an EventService.Stream call. The call lives until Close or
// until ctx ends.
func (c *Client) Stream(ctx context.Context) (*Stream, error) {
	ctx, cancel := context.WithCancel(ctx)
	cs, err := c.conn.NewStream(ctx, &streamDesc, eventServiceStream)
	if err != nil {
		cancel()
		return nil, errorOf(err)
	}
	s := &Stream{cs: cs, cancel: cancel, window: c.cfg.window, wake: make(chan struct{}), recvDone: make(chan struct{})}
	go s.receive()
	return s, nil
}

// Send encodes events as one batch and sends it, after waiting while the
// window is full. It returns the batch's [*Ack], or an error: an
// *protoformat.EncodeError for an event that cannot be encoded (nothing is
// sent), the stream's error once it has ended, or ctx's error. The events
// are not retained.
func (s *Stream) Send(ctx context.Context, events []event.Event) (*Ack, error) {
	if err := s.acquire(ctx, len(events)); err != nil {
		return nil, err
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	var err error
	s.buf, err = protoformat.AppendBatch(s.buf[:0], events)
	if err != nil {
		s.release(len(events))
		return nil, err
	}
	s.seq++
	s.buf = protowire.AppendTag(s.buf, 2, protowire.VarintType)
	s.buf = protowire.AppendVarint(s.buf, s.seq)
	a := &Ack{seq: s.seq, n: len(events), done: make(chan struct{})}
	s.mu.Lock()
	if s.err != nil || s.closed {
		err := s.err
		s.mu.Unlock()
		s.release(len(events))
		if err == nil {
			err = ErrStreamClosed
		}
		return nil, err
	}
	s.pending = append(s.pending, a)
	s.mu.Unlock()
	s.out.set(s.buf)
	if err := s.cs.SendMsg(&s.out); err != nil {
		// The receiving goroutine learns the real status from RecvMsg
		// and fails every pending Ack, this one included.
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		return a, errorOf(err)
	}
	return a, nil
}

// acquire reserves n events of the window.
func (s *Stream) acquire(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		switch {
		case s.err != nil:
			err := s.err
			s.mu.Unlock()
			return err
		case s.closed:
			s.mu.Unlock()
			return ErrStreamClosed
		case s.inflight == 0 || s.inflight+n <= s.window:
			s.inflight += n
			s.mu.Unlock()
			return nil
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Stream) release(n int) {
	s.mu.Lock()
	s.inflight -= n
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// receive reads acknowledgements until the call ends, then fails every
// batch still pending.
func (s *Stream) receive() {
	defer close(s.recvDone)
	var err error
	var in frame
	defer in.release()
	for {
		if err = s.cs.RecvMsg(&in); err != nil {
			break
		}
		var resp streamResponse
		if perr := resp.parse(in.bytes()); perr != nil {
			err = &Error{Code: codes.Internal, Message: "malformed acknowledgement: " + perr.Error(), Index: -1}
			s.cancel()
			break
		}
		s.mu.Lock()
		if len(s.pending) == 0 || s.pending[0].seq != resp.sequence {
			s.mu.Unlock()
			err = &Error{Code: codes.Internal, Message: "acknowledgement out of order", Index: -1}
			s.cancel()
			break
		}
		a := s.pending[0]
		s.pending = s.pending[1:]
		s.mu.Unlock()
		a.result = Result{Sequence: a.seq, Accepted: int(resp.accepted)}
		for _, f := range resp.failures {
			a.result.Failures = append(a.result.Failures, &Error{
				Code: codes.Code(f.code), Message: f.message, Rules: f.rules, Index: int(f.index),
			})
		}
		close(a.done)
		s.release(a.n)
	}
	if errors.Is(err, io.EOF) {
		err = ErrStreamClosed
	} else if _, ok := errors.AsType[*Error](err); !ok {
		err = errorOf(err)
	}
	s.mu.Lock()
	s.err = err
	pending := s.pending
	s.pending = nil
	s.lost = len(pending) > 0
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	for _, a := range pending {
		a.err = err
		close(a.done)
	}
}

// Close ends the sending side, waits until every batch sent is
// acknowledged or failed and the call has ended, and returns nil when
// every batch was acknowledged, or else the error that ended the stream
// (each unacknowledged [Ack] has it too). When ctx ends first Close
// cancels the call and returns ctx's error. Close is idempotent; Send
// fails after it.
func (s *Stream) Close(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	s.mu.Unlock()
	sendClosed := make(chan struct{})
	if first {
		// A Send blocked in flow control holds sendMu; CloseSend waits
		// for it in its own goroutine so that ctx still bounds Close.
		go func() {
			defer close(sendClosed)
			s.sendMu.Lock()
			err := s.cs.CloseSend()
			s.sendMu.Unlock()
			if err != nil {
				s.cancel()
			}
		}()
	} else {
		close(sendClosed)
	}
	select {
	case <-s.recvDone:
	case <-ctx.Done():
		s.cancel()
		<-s.recvDone
		<-sendClosed
		return ctx.Err()
	}
	s.cancel()
	<-sendClosed
	s.mu.Lock()
	err, lost := s.err, s.lost
	s.mu.Unlock()
	if !lost || errors.Is(err, ErrStreamClosed) {
		return nil
	}
	return err
}
