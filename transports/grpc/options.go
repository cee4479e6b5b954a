package grpc

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/mem"

	"github.com/openevents/openevents/event"
)

// A ServerOption configures a [Server] (NewServer). Only this package's
// With… functions make ServerOptions; those that return a ClientOption
// alone are client settings, and passing one to NewServer does not
// compile.
type ServerOption interface {
	applyServer(*config)
}

// A ClientOption configures a [Client] (NewClient). Only this package's
// With… functions make ClientOptions; those that return a ServerOption
// alone are server settings, and passing one to NewClient does not
// compile.
type ClientOption interface {
	applyClient(*config)
}

// An Option is a setting that means something on both sides ([WithTLS],
// [WithKeepAlive], [WithMaxMessageBytes]): it is a [ServerOption] and a
// [ClientOption] at once.
type Option interface {
	ServerOption
	ClientOption
}

// serverFunc, clientFunc and sharedFunc implement the option interfaces;
// each option function returns the one for the sides it applies to.
type (
	serverFunc func(*config)
	clientFunc func(*config)
	sharedFunc func(*config)
)

func (f serverFunc) applyServer(c *config) { f(c) }
func (f clientFunc) applyClient(c *config) { f(c) }
func (f sharedFunc) applyServer(c *config) { f(c) }
func (f sharedFunc) applyClient(c *config) { f(c) }

// Defaults of the options.
const (
	DefaultWindow          = 1000    // unacknowledged events per Stream
	DefaultMaxMessageBytes = 4 << 20 // bytes, gRPC's own default
	DefaultSubscriberQueue = 256     // events queued per subscriber

	// DefaultMaxMessageSize is DefaultMaxMessageBytes, its name before the
	// transports took one name for the idea.
	//
	// Deprecated: use [DefaultMaxMessageBytes].
	DefaultMaxMessageSize = DefaultMaxMessageBytes
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
	onError         func(peer string, err error)

	// Limits on what a client can make a server spend (limits.go).
	maxStreams uint32
	streamIdle time.Duration
	connIdle   time.Duration
	minPing    time.Duration
}

func newServerConfig(opts []ServerOption) (*config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.applyServer(c)
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func newClientConfig(opts []ClientOption) (*config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.applyClient(c)
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func defaultConfig() *config {
	return &config{
		maxMessageSize:  DefaultMaxMessageBytes,
		maxAttrs:        event.DefaultMaxAttributes,
		window:          DefaultWindow,
		subscriberQueue: DefaultSubscriberQueue,
		maxStreams:      DefaultMaxConcurrentStreams,
		streamIdle:      DefaultStreamIdleTimeout,
		connIdle:        DefaultMaxConnectionIdle,
		minPing:         DefaultMinPingInterval,
	}
}

// ErrConfig is wrapped by every error of a constructor about its
// arguments or options (NewServer, NewClient), as in cehttp and cemqtt.
var ErrConfig = errors.New("cegrpc: bad configuration")

// configError returns an error wrapping [ErrConfig] with msg.
func configError(msg string) error { return fmt.Errorf("%w: %s", ErrConfig, msg) }

// validate returns an error naming the option whose value is out of range.
func (c *config) validate() error {
	switch {
	case c.maxMessageSize <= 0:
		return configError("WithMaxMessageBytes needs a positive size")
	case c.maxAttrs <= 0:
		return configError("WithMaxAttributes needs a positive count")
	case c.window <= 0:
		return configError("WithWindow needs a positive count (the stream window)")
	case c.subscriberQueue <= 0:
		return configError("WithSubscriberQueue needs a positive count")
	case c.keepaliveTime < 0 || c.keepaliveWait < 0:
		return configError("WithKeepAlive durations cannot be negative")
	case c.maxStreams == 0:
		return configError("WithMaxConcurrentStreams needs at least 1 stream per connection")
	case c.streamIdle < 0:
		return configError("WithStreamIdleTimeout cannot be negative (0 disables the limit)")
	case c.connIdle < 0:
		return configError("WithMaxConnectionIdle cannot be negative (0 disables the limit)")
	case c.minPing < 0:
		return configError("WithMinPingInterval cannot be negative")
	}
	return nil
}

// WithTLS secures connections with TLS. On a client it sets the client
// configuration (server name, roots, client certificates); on a server
// [Server.GRPCOptions] returns the matching grpc.Creds. Without it both
// sides speak plaintext HTTP/2, which is meant for loopback and for
// networks that are secured otherwise. Both sides.
func WithTLS(cfg *tls.Config) Option {
	return sharedFunc(func(c *config) { c.tls = cfg })
}

// WithPerRPCCredentials attaches credentials (a bearer token, OAuth) to
// every call of a client. gRPC refuses to send credentials that require
// transport security over a connection without TLS. Client only.
func WithPerRPCCredentials(creds credentials.PerRPCCredentials) ClientOption {
	return clientFunc(func(c *config) { c.perRPC = creds })
}

// WithKeepAlive pings an idle connection every interval and closes it when
// a ping is not answered within timeout. On a server it also allows
// clients to ping that often (see [WithMinPingInterval]). Zero durations
// keep the defaults: a client does not ping, a server pings after
// [DefaultServerPingInterval] and waits [DefaultServerPingTimeout]. Both
// sides.
func WithKeepAlive(interval, timeout time.Duration) Option {
	return sharedFunc(func(c *config) { c.keepaliveTime, c.keepaliveWait = interval, timeout })
}

// WithKeepalive is [WithKeepAlive], its name before the transports took
// one name for the idea.
//
// Deprecated: use [WithKeepAlive].
func WithKeepalive(interval, timeout time.Duration) Option {
	return WithKeepAlive(interval, timeout)
}

// WithMaxMessageBytes limits the size of one gRPC message, sent or
// received, to n bytes (default [DefaultMaxMessageBytes]). A Stream batch
// is one message: keep batches below the limit of the receiver. Both
// sides.
func WithMaxMessageBytes(n int) Option {
	return sharedFunc(func(c *config) { c.maxMessageSize = n })
}

// WithMaxMessageSize is [WithMaxMessageBytes], its name before the
// transports took one name for the idea.
//
// Deprecated: use [WithMaxMessageBytes].
func WithMaxMessageSize(n int) Option { return WithMaxMessageBytes(n) }

// WithMaxAttributes limits the attributes (the required fields and the
// entries of the attributes map) of one received event; an event with
// more is answered INVALID_ARGUMENT with an
// [*event.AttributeLimitError] (a whole batch, for the stream). The
// default is [event.DefaultMaxAttributes] (1,024). Servers only.
func WithMaxAttributes(n int) ServerOption {
	return serverFunc(func(c *config) { c.maxAttrs = n })
}

// WithWindow sets how many events a client [Stream] keeps in flight
// without acknowledgement (default [DefaultWindow]). Send blocks while the
// window is full. A batch larger than the window is sent alone. Client
// only.
func WithWindow(events int) ClientOption {
	return clientFunc(func(c *config) { c.window = events })
}

// WithSubscriberQueue sets how many events [Server.Publish] queues for
// each subscriber (default [DefaultSubscriberQueue]); Publish blocks while
// a matching subscriber's queue is full. Server only.
func WithSubscriberQueue(events int) ServerOption {
	return serverFunc(func(c *config) { c.subscriberQueue = events })
}

// WithDialOptions adds raw grpc.DialOptions, applied after those the other
// options produce (for example a context dialer for an in-memory
// listener). Client only.
func WithDialOptions(opts ...grpc.DialOption) ClientOption {
	return clientFunc(func(c *config) { c.dialOptions = append(c.dialOptions, opts...) })
}

// WithErrorHook has the server call f, with the client's address, for
// every message it does not accept: refused before the handler (malformed
// protobuf, an invalid event: a *protoformat.SyntaxError or an
// *event.ValidationError) or failed by the handler (its error, a
// *binding.PanicError for a panic), once per failed event of a Stream
// batch (a batch that does not decode is reported once, with all its
// violations); and
// for a failed TLS handshake, an error wrapping [ErrConnection]. f runs on
// the call's goroutine (the handshake's for TLS) and must not block.
//
// Every transport has WithErrorHook with this signature, called for the
// same kinds of event.
func WithErrorHook(f func(peer string, err error)) ServerOption {
	return serverFunc(func(c *config) { c.onError = f })
}

// WithRefuseHook has the server call hook for every received message it
// refuses before the handler sees it.
//
// Deprecated: use [WithErrorHook], which every transport has; it also
// reports the handler's failures and failed TLS handshakes.
func WithRefuseHook(hook func(from string, err error)) ServerOption {
	return serverFunc(func(c *config) { c.refuse = hook })
}

// ErrConnection is wrapped by the connection errors passed to the
// [WithErrorHook] hook.
var ErrConnection = errors.New("cegrpc: connection error")

// reportingCreds passes failed server handshakes to a hook.
type reportingCreds struct {
	credentials.TransportCredentials
	report func(peer string, err error)
}

func (r reportingCreds) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := r.TransportCredentials.ServerHandshake(c)
	if err != nil {
		r.report(c.RemoteAddr().String(), fmt.Errorf("%w: TLS handshake: %w", ErrConnection, err))
	}
	return conn, info, err
}

func (r reportingCreds) Clone() credentials.TransportCredentials {
	return reportingCreds{r.TransportCredentials.Clone(), r.report}
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
		creds := credentials.NewTLS(c.tls)
		if c.onError != nil {
			creds = reportingCreds{creds, c.onError}
		}
		opts = append(opts, grpc.Creds(creds))
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
