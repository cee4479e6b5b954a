package grpc

import (
	"math/bits"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
)

// Defaults of the limits a [Server] puts on what a client can make it
// spend. Each has an option; doc.go ("Limits") explains how they combine.
const (
	// DefaultMaxConcurrentStreams is how many calls one connection may
	// have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS), the
	// smallest value RFC 9113 recommends.
	DefaultMaxConcurrentStreams = 100
	// DefaultStreamIdleTimeout is how long a Stream call may go without
	// sending a batch, and a Subscribe call without sending its request.
	DefaultStreamIdleTimeout = 2 * time.Minute
	// DefaultMaxConnectionIdle is how long a connection may stay without
	// calls before the server closes it with GOAWAY.
	DefaultMaxConnectionIdle = 5 * time.Minute
	// DefaultMinPingInterval is how often a client may ping; a client
	// that pings more often is sent GOAWAY ENHANCE_YOUR_CALM
	// ("too_many_pings") and disconnected. gRPC clients never ping more
	// often than every 10 seconds.
	DefaultMinPingInterval = 10 * time.Second
	// DefaultServerPingInterval is how long a connection may be silent
	// before the server pings it, and DefaultServerPingTimeout how long it
	// then waits for the answer before closing the connection, so that a
	// vanished peer does not keep its calls open.
	DefaultServerPingInterval = 2 * time.Minute
	DefaultServerPingTimeout  = 20 * time.Second
)

// WithMaxConcurrentStreams limits each connection to n calls open at once
// (default [DefaultMaxConcurrentStreams]; n must be at least 1). gRPC
// clients queue a call above the limit until one ends; a peer that opens
// it anyway gets RST_STREAM REFUSED_STREAM. Server only.
func WithMaxConcurrentStreams(n uint32) ServerOption {
	return serverFunc(func(c *config) { c.maxStreams = n })
}

// WithStreamIdleTimeout ends a Stream call that sends no batch for d, and
// a Subscribe call that does not send its request within d, with
// DEADLINE_EXCEEDED (default [DefaultStreamIdleTimeout]; 0 disables the
// limit). The clock runs only while the server waits for the client: not
// while the handler works on a batch. Server only.
func WithStreamIdleTimeout(d time.Duration) ServerOption {
	return serverFunc(func(c *config) { c.streamIdle = d })
}

// WithMaxConnectionIdle closes a connection that has had no call open for
// d with GOAWAY (default [DefaultMaxConnectionIdle]; 0 disables the
// limit). Server only.
func WithMaxConnectionIdle(d time.Duration) ServerOption {
	return serverFunc(func(c *config) { c.connIdle = d })
}

// WithMinPingInterval sets how often a client may ping the server (default
// [DefaultMinPingInterval]); pings on a connection without calls are
// allowed too. A client that pings more often is sent GOAWAY
// ENHANCE_YOUR_CALM and disconnected; 0 allows any rate. [WithKeepAlive]
// lowers it to its interval when that is shorter. Server only.
func WithMinPingInterval(d time.Duration) ServerOption {
	return serverFunc(func(c *config) { c.minPing = d })
}

// idleError is the status of a call the stream idle timeout ended.
func idleError(d time.Duration, what string) error {
	return status.Error(codes.DeadlineExceeded, "cegrpc: no "+what+" for "+d.String()+
		" (the stream idle timeout; the server sets it with WithStreamIdleTimeout)")
}

// recvFirst receives the first message of a call into m, or ends the call
// with the idle status when the client sends none within d. After a
// timeout the receiving goroutine ends with the call, once the handler has
// returned; m must not be used then.
func recvFirst(ss grpc.ServerStream, m any, d time.Duration) error {
	if d <= 0 {
		return ss.RecvMsg(m)
	}
	got := make(chan error, 1)
	go func() { got <- ss.RecvMsg(m) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-got:
		return err
	case <-t.C:
		return idleError(d, "request")
	}
}

// idleTimer is a reusable timer for the stream idle timeout; the zero
// duration disables it and its channel never fires.
type idleTimer struct {
	d time.Duration
	t *time.Timer
}

func newIdleTimer(d time.Duration) *idleTimer {
	it := &idleTimer{d: d}
	if d > 0 {
		it.t = time.NewTimer(d)
		it.t.Stop()
	}
	return it
}

// start begins a wait for the client and returns the channel that fires
// when it lasts the timeout.
func (it *idleTimer) start() <-chan time.Time {
	if it.t == nil {
		return nil
	}
	// Since Go 1.23 Reset leaves no stale value in the channel.
	it.t.Reset(it.d)
	return it.t.C
}

func (it *idleTimer) stop() {
	if it.t != nil {
		it.t.Stop()
	}
}

// Received messages are copied into buffers from a framePool and given
// back after the message is handled, so a call waiting for its next
// message holds no message buffer. There is one tier per power of two from
// 256 bytes to maxPooledFrame; larger buffers are not kept. Buffers are
// not cleared on reuse: every byte handed out is overwritten first.
const (
	minPooledShift = 8
	maxPooledShift = 23
	maxPooledFrame = 1 << maxPooledShift // twice the default message limit
)

// framePool holds receive buffers; it is safe for concurrent use.
type framePool struct {
	tiers [maxPooledShift - minPooledShift + 1]sync.Pool
}

// get returns a buffer of length n (n > 0).
func (p *framePool) get(n int) *[]byte {
	if n > maxPooledFrame {
		b := make([]byte, n)
		return &b
	}
	shift := max(bits.Len(uint(n-1)), minPooledShift)
	if b, ok := p.tiers[shift-minPooledShift].Get().(*[]byte); ok {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, 1<<shift)
	return &b
}

// put takes back a buffer from get; the caller must not use it again.
func (p *framePool) put(b *[]byte) {
	c := cap(*b)
	if c > maxPooledFrame || c < 1<<minPooledShift || c&(c-1) != 0 {
		return
	}
	*b = (*b)[:0]
	p.tiers[bits.Len(uint(c))-1-minPooledShift].Put(b)
}

// maxPooledEvents caps the event slices an eventPool keeps: a batch of more
// events decodes into a slice of its own that is dropped afterwards.
const maxPooledEvents = 4096

// eventPool holds slices of events to decode batches into; it is safe for
// concurrent use.
type eventPool struct{ p sync.Pool }

func (p *eventPool) get() *[]event.Event {
	if s, ok := p.p.Get().(*[]event.Event); ok {
		return s
	}
	return new([]event.Event)
}

// put takes back a slice of decoded events. They alias a receive buffer,
// so each is reset (which keeps its extension slice's capacity) before the
// slice is pooled, and the buffer is not kept alive by it.
func (p *eventPool) put(s *[]event.Event) {
	events := *s
	for i := range events {
		events[i].Reset()
	}
	if cap(events) == 0 || cap(events) > maxPooledEvents {
		return
	}
	*s = events[:0]
	p.p.Put(s)
}
