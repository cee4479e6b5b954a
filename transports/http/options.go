package http

import (
	"crypto/tls"
	"errors"
	"strconv"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// Option configures a receiver: [NewHandler], [NewServer] and
// [NewFastServer]. Options about connections (timeouts, header size, TLS)
// apply to the two servers only; a [Handler] embedded in someone else's
// server leaves those to that server.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// Defaults of the receiver options. Every resource a client can make a
// server spend is bounded by one of them: memory by the body and header
// sizes and the connection caps, time by the timeouts.
const (
	DefaultMaxBodyBytes        = 4 << 20
	DefaultMaxHeaderBytes      = 16 << 10
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultReadBodyTimeout     = 30 * time.Second
	DefaultReadTimeout         = time.Minute
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultIdleTimeout         = 2 * time.Minute
	DefaultMaxConns            = 1024
	DefaultMaxConnsPerAddr     = 256
	DefaultRetryAfter          = time.Second
)

type config struct {
	maxBody           int64
	maxAttrs          int
	maxHeader         int
	readHeaderTimeout time.Duration
	readBodyTimeout   time.Duration
	readTimeout       time.Duration
	tlsTimeout        time.Duration
	idleTimeout       time.Duration
	maxConns          int
	maxConnsPerAddr   int
	tls               *tls.Config
	maxInFlight       int64
	retryAfter        time.Duration
	replyMode         binding.Mode
	origins           []string // nil: any origin
	allowedRate       int      // 0: no limit
	onRefuse          func(remote string, err error)
	onConnError       func(msg string) // nil: discard
}

func newConfig(opts []Option) (config, error) {
	c := config{
		maxBody:           DefaultMaxBodyBytes,
		maxAttrs:          event.DefaultMaxAttributes,
		maxHeader:         DefaultMaxHeaderBytes,
		readHeaderTimeout: DefaultReadHeaderTimeout,
		readBodyTimeout:   DefaultReadBodyTimeout,
		readTimeout:       DefaultReadTimeout,
		tlsTimeout:        DefaultTLSHandshakeTimeout,
		idleTimeout:       DefaultIdleTimeout,
		maxConns:          DefaultMaxConns,
		maxConnsPerAddr:   DefaultMaxConnsPerAddr,
		retryAfter:        DefaultRetryAfter,
		replyMode:         binding.ModeBinary,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	switch {
	case c.maxBody <= 0:
		return c, errors.New("cehttp: WithMaxBodyBytes needs a positive size")
	case c.maxAttrs <= 0:
		return c, errors.New("cehttp: WithMaxAttributes needs a positive count")
	case c.maxHeader <= 0:
		return c, errors.New("cehttp: WithMaxHeaderBytes needs a positive size")
	case c.readHeaderTimeout <= 0 || c.readBodyTimeout <= 0 || c.readTimeout <= 0 || c.tlsTimeout <= 0 || c.idleTimeout <= 0:
		return c, errors.New("cehttp: timeouts must be positive")
	case c.readTimeout <= c.readHeaderTimeout:
		return c, errors.New("cehttp: WithReadTimeout bounds headers and body together, so it must exceed WithReadHeaderTimeout (" +
			c.readHeaderTimeout.String() + "), not be " + c.readTimeout.String())
	case c.maxConns < 0 || c.maxConnsPerAddr < 0:
		return c, errors.New("cehttp: WithMaxConns and WithMaxConnsPerAddr need a count >= 0 (0: no cap)")
	case c.maxInFlight < 0:
		return c, errors.New("cehttp: WithMaxInFlight needs a size >= 0")
	case c.retryAfter < time.Second:
		return c, errors.New("cehttp: Retry-After counts whole seconds; WithRetryAfter needs at least one")
	case c.replyMode != binding.ModeBinary && c.replyMode != binding.ModeStructured:
		return c, errors.New("cehttp: a reply is one event, sent in binary or structured mode, not " + c.replyMode.String())
	case c.allowedRate < 0:
		return c, errors.New("cehttp: WithAllowedRate needs a rate >= 0")
	}
	return c, nil
}

// WithMaxBodyBytes limits the request body; a longer one is answered 413.
// The default is [DefaultMaxBodyBytes] (4 MiB; consumers accept at least
// 64 KB, CORE-SIZE-3). Memory grows with the bytes that arrive, never with
// the Content-Length a client declares.
func WithMaxBodyBytes(n int64) Option { return optionFunc(func(c *config) { c.maxBody = n }) }

// WithMaxAttributes limits the attributes (core and extension) of one
// event, in every mode: an event with more is answered 400 with an
// [*event.AttributeLimitError]. The default is
// [event.DefaultMaxAttributes] (1,024). Decoding costs time linear in the
// attributes whatever their order; the limit bounds the list kept.
func WithMaxAttributes(n int) Option { return optionFunc(func(c *config) { c.maxAttrs = n }) }

// WithMaxHeaderBytes limits the request line and headers (servers only);
// the default is [DefaultMaxHeaderBytes] (16 KiB).
func WithMaxHeaderBytes(n int) Option { return optionFunc(func(c *config) { c.maxHeader = n }) }

// WithReadHeaderTimeout bounds the time to read a request's line and
// headers (servers only). The default is [DefaultReadHeaderTimeout].
func WithReadHeaderTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.readHeaderTimeout = d })
}

// WithReadBodyTimeout bounds the time to read a request's body once its
// headers are in: a client that declares a body and sends it slowly, or
// not at all, has its connection closed when it runs out (servers; a
// [Handler] applies it through [http.ResponseController] where its server
// supports that). The body never gets more than what [WithReadTimeout]
// leaves after the longest header read it allows. The default is
// [DefaultReadBodyTimeout].
func WithReadBodyTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.readBodyTimeout = d })
}

// WithReadTimeout bounds the time to read a whole request, headers and
// body, from its first byte (servers only). It must exceed
// [WithReadHeaderTimeout]. The default is [DefaultReadTimeout].
func WithReadTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.readTimeout = d })
}

// WithTLSHandshakeTimeout bounds the TLS handshake of a new connection
// (servers with [WithTLSConfig] only); a client that does not finish it in
// time is disconnected and reported to [WithConnErrorHook]. The default is
// [DefaultTLSHandshakeTimeout].
func WithTLSHandshakeTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.tlsTimeout = d })
}

// WithMaxConns caps the connections a server holds open at once (servers
// only). A connection beyond the cap is answered 503 with Retry-After and
// closed at once (closed without an answer under TLS, before any
// handshake). The default is [DefaultMaxConns]; 0 is no cap.
func WithMaxConns(n int) Option { return optionFunc(func(c *config) { c.maxConns = n }) }

// WithMaxConnsPerAddr caps the connections open at once from one client IP
// address (servers only). A connection beyond it is answered 429 with
// Retry-After (WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11) and closed, or
// just closed under TLS. Clients behind one proxy share an address; raise
// the cap for them. The default is [DefaultMaxConnsPerAddr]; 0 is no cap.
func WithMaxConnsPerAddr(n int) Option { return optionFunc(func(c *config) { c.maxConnsPerAddr = n }) }

// WithIdleTimeout bounds how long a kept-alive connection waits for its
// next request (servers only). The default is [DefaultIdleTimeout].
func WithIdleTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.idleTimeout = d })
}

// WithTLSConfig makes the servers speak HTTPS with cfg (web-hook
// deliveries travel over HTTPS, WEBHOOK-DELIVERY-1). The default is plain
// HTTP. The config is not copied; do not modify it after use.
func WithTLSConfig(cfg *tls.Config) Option { return optionFunc(func(c *config) { c.tls = cfg }) }

// WithMaxInFlight bounds the requests handled at once; a request beyond
// the bound is answered 429 with Retry-After at once, without reading its
// body (WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11). The default, 0, is no
// bound.
func WithMaxInFlight(n int) Option { return optionFunc(func(c *config) { c.maxInFlight = int64(n) }) }

// WithRetryAfter sets the delay a 429 answer asks for, in whole seconds
// (at least one); the default is [DefaultRetryAfter].
func WithRetryAfter(d time.Duration) Option { return optionFunc(func(c *config) { c.retryAfter = d }) }

// WithReplyMode sets the content mode of reply events written by a
// [Replier]: [binding.ModeBinary] (the default) or
// [binding.ModeStructured].
func WithReplyMode(m binding.Mode) Option { return optionFunc(func(c *config) { c.replyMode = m }) }

// WithAllowedOrigins restricts the web-hook abuse-protection handshake
// to senders naming one of origins in WebHook-Request-Origin; others are
// answered 403 without permission headers (WEBHOOK-VALIDATION-5). The
// default allows every origin.
func WithAllowedOrigins(origins ...string) Option {
	return optionFunc(func(c *config) { c.origins = append([]string{}, origins...) })
}

// WithAllowedRate sets the requests per minute granted in the handshake's
// WebHook-Allowed-Rate; the default, 0, grants what was asked, or "*".
func WithAllowedRate(perMinute int) Option {
	return optionFunc(func(c *config) { c.allowedRate = perMinute })
}

// WithRefuseHook calls f for every request the receiver does not accept
// (any answer other than 2xx), with the remote address and the error that
// chose the status. f is called on the request's goroutine, concurrently
// for concurrent requests, and must not keep err's event references.
func WithRefuseHook(f func(remote string, err error)) Option {
	return optionFunc(func(c *config) { c.onRefuse = f })
}

// WithConnErrorHook calls f with a description of each connection error
// that no request carries and so no [WithRefuseHook] sees: a failed TLS
// handshake, a connection broken before a request was read. Without it
// they are discarded (library code does not log). f may be called
// concurrently.
func WithConnErrorHook(f func(msg string)) Option {
	return optionFunc(func(c *config) { c.onConnError = f })
}

// bodyBudget is the time a body gets once its headers are in: its own
// timeout, cut so that headers and body together stay within readTimeout
// however long the headers took (up to readHeaderTimeout).
func (c *config) bodyBudget() time.Duration {
	return min(c.readBodyTimeout, c.readTimeout-c.readHeaderTimeout)
}

func (c *config) retryAfterHeader() string {
	return strconv.FormatInt(int64(c.retryAfter/time.Second), 10)
}
