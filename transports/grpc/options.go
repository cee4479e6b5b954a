package grpc

import (
	"crypto/tls"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/mem"

	"github.com/openevents/openevents/event"
)

// Option configures a [Client] (NewClient) or a [Server] (NewServer). Each
// option's documentation says which side uses it; the other side ignores
// it.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Defaults of the options.
const (
	DefaultWindow          = 1000    // unacknowledged events per Stream
	DefaultMaxMessageSize  = 4 << 20 // bytes, gRPC's own default
	DefaultSubscriberQueue = 256     // events queued per subscriber
)

type config struct {
	tls             *tls.Config
	perRPC          credentials.PerRPCCredentials
	keepaliveTime   time.Duration
	keepaliveWait   time.Duration
	maxMessageSize  int
	maxAttrs        int
	window          int
	subscriberQueue int
	dialOptions     []grpc.DialOption
	refuse          func(from string, err error)

	// Limits on what a client can make a server spend (limits.go).
	maxStreams uint32
	streamIdle time.Duration
	connIdle   time.Duration
	minPing    time.Duration
}

func newConfig(opts []Option) (*config, error) {
	c := &config{
		maxMessageSize:  DefaultMaxMessageSize,
		maxAttrs:        event.DefaultMaxAttributes,
		window:          DefaultWindow,
		subscriberQueue: DefaultSubscriberQueue,
		maxStreams:      DefaultMaxConcurrentStreams,
		streamIdle:      DefaultStreamIdleTimeout,
		connIdle:        DefaultMaxConnectionIdle,
		minPing:         DefaultMinPingInterval,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	switch {
	case c.maxMessageSize <= 0:
		return nil, errors.New("cegrpc: the maximum message size must be positive")
	case c.maxAttrs <= 0:
		return nil, errors.New("cegrpc: WithMaxAttributes needs a positive count")
	case c.window <= 0:
		return nil, errors.New("cegrpc: the stream window must be positive")
	case c.subscriberQueue <= 0:
		return nil, errors.New("cegrpc: the subscriber queue must be positive")
	case c.keepaliveTime < 0 || c.keepaliveWait < 0:
		return nil, errors.New("cegrpc: keepalive durations cannot be negative")
	case c.maxStreams == 0:
		return nil, errors.New("cegrpc: WithMaxConcurrentStreams needs at least 1 stream per connection")
	case c.streamIdle < 0:
		return nil, errors.New("cegrpc: WithStreamIdleTimeout cannot be negative (0 disables the limit)")
	case c.connIdle < 0:
		return nil, errors.New("cegrpc: WithMaxConnectionIdle cannot be negative (0 disables the limit)")
	case c.minPing < 0:
		return nil, errors.New("cegrpc: WithMinPingInterval cannot be negative")
	}
	return c, nil
}

// WithTLS secures connections with TLS. On a client it sets the client
// configuration (server name, roots, client certificates); on a server
// [Server.GRPCOptions] returns the matching grpc.Creds. Without it both
// sides speak plaintext HTTP/2, which is meant for loopback and for
// networks that are secured otherwise.
func WithTLS(cfg *tls.Config) Option {
	return optionFunc(func(c *config) { c.tls = cfg })
}

// WithPerRPCCredentials attaches credentials (a bearer token, OAuth) to
// every call of a client. gRPC refuses to send credentials that require
// transport security over a connection without TLS. Client only.
func WithPerRPCCredentials(creds credentials.PerRPCCredentials) Option {
	return optionFunc(func(c *config) { c.perRPC = creds })
}

// WithKeepalive pings an idle connection every interval and closes it when
// a ping is not answered within timeout. On a server it also allows
// clients to ping that often (see [WithMinPingInterval]). Zero durations
// keep the defaults: a client does not ping, a server pings after
// [DefaultServerPingInterval] and waits [DefaultServerPingTimeout].
func WithKeepalive(interval, timeout time.Duration) Option {
	return optionFunc(func(c *config) { c.keepaliveTime, c.keepaliveWait = interval, timeout })
}

// WithMaxMessageSize limits the size of one gRPC message, sent or received,
// to n bytes (default [DefaultMaxMessageSize]). A Stream batch is one
// message: keep batches below the limit of the receiver.
func WithMaxMessageSize(n int) Option {
	return optionFunc(func(c *config) { c.maxMessageSize = n })
}

// WithMaxAttributes limits the attributes (the required fields and the
// entries of the attributes map) of one received event; an event with
// more is answered INVALID_ARGUMENT with an
// [*event.AttributeLimitError] (a whole batch, for the stream). The
// default is [event.DefaultMaxAttributes] (1,024). Servers only.
func WithMaxAttributes(n int) Option {
	return optionFunc(func(c *config) { c.maxAttrs = n })
}

// WithWindow sets how many events a client [Stream] keeps in flight
// without acknowledgement (default [DefaultWindow]). Send blocks while the
// window is full. A batch larger than the window is sent alone. Client
// only.
func WithWindow(events int) Option {
	return optionFunc(func(c *config) { c.window = events })
}

// WithSubscriberQueue sets how many events [Server.Publish] queues for
// each subscriber (default [DefaultSubscriberQueue]); Publish blocks while
// a matching subscriber's queue is full. Server only.
func WithSubscriberQueue(events int) Option {
	return optionFunc(func(c *config) { c.subscriberQueue = events })
}

// WithDialOptions adds raw grpc.DialOptions, applied after those the other
// options produce (for example a context dialer for an in-memory
// listener). Client only.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return optionFunc(func(c *config) { c.dialOptions = append(c.dialOptions, opts...) })
}

// WithRefuseHook has the server call hook for every received message it
// refuses before the handler sees it (malformed protobuf, an invalid
// event), with the peer's address and the error (an
// *event.ValidationError or a *protoformat.SyntaxError). The hook runs on
// the call's goroutine and must not block. Server only.
func WithRefuseHook(hook func(from string, err error)) Option {
	return optionFunc(func(c *config) { c.refuse = hook })
}

// bufferPool returns a pool for gRPC's message buffers with a tier at
// every power of two from 256 bytes to 4 MiB. gRPC's default pool jumps
// from 32 KiB to 1 MiB and zeroes a pooled buffer's whole capacity on
// reuse, so each Stream batch just over 32 KiB would cost clearing 1 MiB.
func bufferPool() mem.BufferPool {
	exps := make([]uint8, 0, 15)
	for e := uint8(8); e <= 22; e++ {
		exps = append(exps, e)
	}
	pool, err := mem.NewBinaryTieredBufferPool(exps...)
	if err != nil {
		return mem.DefaultBufferPool()
	}
	return pool
}

func (c *config) dial() []grpc.DialOption {
	pool := bufferPool()
	opts := []grpc.DialOption{
		experimental.WithBufferPool(pool),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(newCodec(pool))),
	}
	if c.tls != nil {
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(c.tls)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if c.perRPC != nil {
		opts = append(opts, grpc.WithPerRPCCredentials(c.perRPC))
	}
	if c.keepaliveTime > 0 {
		opts = append(opts, grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: c.keepaliveTime, Timeout: c.keepaliveWait, PermitWithoutStream: true}))
	}
	opts = append(opts, grpc.WithDefaultCallOptions(
		grpc.MaxCallRecvMsgSize(c.maxMessageSize), grpc.MaxCallSendMsgSize(c.maxMessageSize)))
	return append(opts, c.dialOptions...)
}

func (c *config) server() []grpc.ServerOption {
	pool := bufferPool()
	opts := []grpc.ServerOption{
		experimental.BufferPool(pool),
		// Frames skip the proto codec's work; every other message goes
		// through it unchanged, so other proto services on the same
		// server are unaffected.
		grpc.ForceServerCodecV2(newCodec(pool)),
		grpc.MaxRecvMsgSize(c.maxMessageSize),
		grpc.MaxSendMsgSize(c.maxMessageSize),
	}
	if c.tls != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(c.tls)))
	}
	// Keepalive is always on: the server pings silent connections, closes
	// idle ones and sends GOAWAY to clients that ping too often.
	params := keepalive.ServerParameters{
		MaxConnectionIdle: c.connIdle,
		Time:              DefaultServerPingInterval,
		Timeout:           DefaultServerPingTimeout,
	}
	minPing := c.minPing
	if c.keepaliveTime > 0 {
		params.Time = c.keepaliveTime
		minPing = min(minPing, c.keepaliveTime)
	}
	if c.keepaliveWait > 0 {
		params.Timeout = c.keepaliveWait
	}
	if minPing == 0 {
		// gRPC reads a zero MinTime as its own default of five minutes.
		minPing = time.Nanosecond
	}
	return append(opts,
		grpc.MaxConcurrentStreams(c.maxStreams),
		grpc.KeepaliveParams(params),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: minPing, PermitWithoutStream: true}))
}
