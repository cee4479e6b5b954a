package http

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/transports/http/internal/receive"
)

// Option configures a receiver: [NewHandler], [NewServer] and the fasthttp
// server of transports/http/fasthttp, which takes the same options.
// Options about connections (timeouts, header size, TLS) apply to the two
// servers only; a [Handler] embedded in someone else's server leaves those
// to that server. Only this package's With… functions make Options.
type Option = receive.Option

// Defaults of the receiver options. Every resource a client can make a
// server spend is bounded by one of them: memory by the body and header
// sizes and the connection caps, time by the timeouts.
const (
	DefaultMaxBodyBytes        = receive.DefaultMaxBodyBytes
	DefaultMaxHeaderBytes      = receive.DefaultMaxHeaderBytes
	DefaultReadHeaderTimeout   = receive.DefaultReadHeaderTimeout
	DefaultReadBodyTimeout     = receive.DefaultReadBodyTimeout
	DefaultReadTimeout         = receive.DefaultReadTimeout
	DefaultTLSHandshakeTimeout = receive.DefaultTLSHandshakeTimeout
	DefaultIdleTimeout         = receive.DefaultIdleTimeout
	DefaultMaxConns            = receive.DefaultMaxConns
	DefaultMaxConnsPerAddr     = receive.DefaultMaxConnsPerAddr
	DefaultRetryAfter          = receive.DefaultRetryAfter
)

type config = receive.Config

type optionFunc = receive.Func

// WithMaxBodyBytes limits the request body; a longer one is answered 413.
// The default is [DefaultMaxBodyBytes] (4 MiB; consumers accept at least
// 64 KB, CORE-SIZE-3). Memory grows with the bytes that arrive, never with
// the Content-Length a client declares.
func WithMaxBodyBytes(n int64) Option { return optionFunc(func(c *config) { c.MaxBody = n }) }

// WithMaxAttributes limits the attributes (core and extension) of one
// event, in every mode: an event with more is answered 400 with an
// [*event.AttributeLimitError]. The default is
// [event.DefaultMaxAttributes] (1,024). Decoding costs time linear in the
// attributes whatever their order; the limit bounds the list kept.
func WithMaxAttributes(n int) Option { return optionFunc(func(c *config) { c.MaxAttrs = n }) }

// WithMaxHeaderBytes limits the request line and headers (servers only);
// the default is [DefaultMaxHeaderBytes] (16 KiB).
func WithMaxHeaderBytes(n int) Option { return optionFunc(func(c *config) { c.MaxHeader = n }) }

// WithReadHeaderTimeout bounds the time to read a request's line and
// headers (servers only). The default is [DefaultReadHeaderTimeout].
func WithReadHeaderTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.ReadHeaderTimeout = d })
}

// WithReadBodyTimeout bounds the time to read a request's body once its
// headers are in: a client that declares a body and sends it slowly, or
// not at all, has its connection closed when it runs out (servers; a
// [Handler] applies it through [http.ResponseController] where its server
// supports that). The body never gets more than what [WithReadTimeout]
// leaves after the longest header read it allows. The default is
// [DefaultReadBodyTimeout].
func WithReadBodyTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.ReadBodyTimeout = d })
}

// WithReadTimeout bounds the time to read a whole request, headers and
// body, from its first byte (servers only). It must exceed
// [WithReadHeaderTimeout]. The default is [DefaultReadTimeout].
func WithReadTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.ReadTimeout = d })
}

// WithTLSHandshakeTimeout bounds the TLS handshake of a new connection
// (servers with [WithTLSConfig] only); a client that does not finish it in
// time is disconnected and reported to [WithConnErrorHook]. The default is
// [DefaultTLSHandshakeTimeout].
func WithTLSHandshakeTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.TLSTimeout = d })
}

// WithMaxConns caps the connections a server holds open at once (servers
// only). A connection beyond the cap is answered 503 with Retry-After and
// closed at once (closed without an answer under TLS, before any
// handshake). The default is [DefaultMaxConns]; 0 is no cap.
func WithMaxConns(n int) Option { return optionFunc(func(c *config) { c.MaxConns = n }) }

// WithMaxConnsPerAddr caps the connections open at once from one client IP
// address (servers only). A connection beyond it is answered 429 with
// Retry-After (WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11) and closed, or
// just closed under TLS. Clients behind one proxy share an address; raise
// the cap for them. The default is [DefaultMaxConnsPerAddr]; 0 is no cap.
func WithMaxConnsPerAddr(n int) Option { return optionFunc(func(c *config) { c.MaxConnsPerAddr = n }) }

// WithIdleTimeout bounds how long a kept-alive connection waits for its
// next request (servers only). The default is [DefaultIdleTimeout].
func WithIdleTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.IdleTimeout = d })
}

// WithTLSConfig is [WithTLS] for servers, its name before senders took
// TLS too.
//
// Deprecated: use [WithTLS], which serves both sides.
func WithTLSConfig(cfg *tls.Config) Option { return optionFunc(func(c *config) { c.TLS = cfg }) }

// WithTLS sets the TLS configuration, on either side (web-hook deliveries
// travel over HTTPS, WEBHOOK-DELIVERY-1). Given to a server (an [Option])
// it makes it speak HTTPS; given to [NewSender] (a [SenderOption]) it is
// the client's configuration for an https:// target, whose default is
// the zero tls.Config (system roots), and with an http:// target it is an
// error rather than ignored. The config is not copied; do not modify it
// after use.
func WithTLS(cfg *tls.Config) TLSOption {
	return TLSOption{optionFunc: func(c *config) { c.TLS = cfg }, cfg: cfg}
}

// TLSOption is the option [WithTLS] returns: an [Option] and a
// [SenderOption] at once.
type TLSOption struct {
	optionFunc
	cfg *tls.Config
}

func (o TLSOption) applySender(c *senderConfig) { c.tls = o.cfg }

// WithMaxInFlight bounds the requests handled at once; a request beyond
// the bound is answered 429 with Retry-After at once, without reading its
// body (WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11). The default, 0, is no
// bound.
func WithMaxInFlight(n int) Option { return optionFunc(func(c *config) { c.MaxInFlight = int64(n) }) }

// WithRetryAfter sets the delay a 429 answer asks for, in whole seconds
// (at least one); the default is [DefaultRetryAfter].
func WithRetryAfter(d time.Duration) Option { return optionFunc(func(c *config) { c.RetryAfter = d }) }

// WithReplyMode sets the content mode of reply events written by a
// [Replier]: [binding.ModeBinary] (the default) or
// [binding.ModeStructured].
func WithReplyMode(m binding.Mode) Option { return optionFunc(func(c *config) { c.ReplyMode = m }) }

// WithAllowedOrigins restricts the web-hook abuse-protection handshake
// to senders naming one of origins in WebHook-Request-Origin; others are
// answered 403 without permission headers (WEBHOOK-VALIDATION-5). The
// default allows every origin.
func WithAllowedOrigins(origins ...string) Option {
	return optionFunc(func(c *config) { c.Origins = append([]string{}, origins...) })
}

// WithAllowedRate sets the requests per minute granted in the handshake's
// WebHook-Allowed-Rate; the default, 0, grants what was asked, or "*".
func WithAllowedRate(perMinute int) Option {
	return optionFunc(func(c *config) { c.AllowedRate = perMinute })
}

// WithRoute serves requests whose path is exactly path (any method) with
// h instead of as events: health, readiness and metrics endpoints next to
// the event receiver, as the function runtime has. path must start with
// '/'; a later WithRoute for the same path replaces the earlier one.
// Routed requests get the server's connection limits and timeouts but
// not WithMaxInFlight, and never reach the error hook.
func WithRoute(path string, h http.Handler) Option {
	return optionFunc(func(c *config) {
		if c.Routes == nil {
			c.Routes = make(map[string]http.Handler)
		}
		c.Routes[path] = h
	})
}

// WithErrorHook calls f for every request the receiver does not accept
// (any answer other than 2xx: a refused message or a handler's error),
// with the client's address and the error that chose the status, and for
// each connection error that no request carries (a failed TLS handshake,
// a connection broken before a request was read), with the client's
// address when the server names it and an error wrapping [ErrConnection].
// f is called on the request's goroutine, concurrently for concurrent
// requests, and must not keep err's event references. Without it these
// are discarded (library code does not log).
//
// Every transport has WithErrorHook with this signature, called for the
// same kinds of event.
func WithErrorHook(f func(peer string, err error)) Option {
	return optionFunc(func(c *config) {
		c.OnRefuse = f
		c.OnConnError = nil
		if f != nil {
			c.OnConnError = func(peer, msg string) { f(peer, fmt.Errorf("%w: %s", ErrConnection, msg)) }
		}
	})
}

// WithRefuseHook calls f for every request the receiver does not accept.
//
// Deprecated: use [WithErrorHook], which every transport has and which
// also reports connection errors; WithRefuseHook and [WithConnErrorHook]
// together are the same.
func WithRefuseHook(f func(remote string, err error)) Option {
	return optionFunc(func(c *config) { c.OnRefuse = f })
}

// WithConnErrorHook calls f with a description of each connection error
// that no request carries.
//
// Deprecated: use [WithErrorHook].
func WithConnErrorHook(f func(msg string)) Option {
	return optionFunc(func(c *config) {
		c.OnConnError = nil
		if f != nil {
			c.OnConnError = func(_, msg string) { f(msg) }
		}
	})
}
