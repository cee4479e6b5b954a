package receive

import (
	"crypto/tls"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// Option configures a receiver. Only this package implements it (the
// method is unexported); cehttp's With… functions build its values with
// [Func].
type Option interface {
	apply(*Config)
}

// Func is an [Option] that calls itself on the config.
type Func func(*Config)

func (f Func) apply(c *Config) { f(c) }

// Defaults of the receiver options; cehttp documents each one.
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

// Config is the validated receiver configuration. The front ends read it;
// only options and [NewConfig] write it.
type Config struct {
	MaxBody           int64
	MaxAttrs          int
	MaxHeader         int
	ReadHeaderTimeout time.Duration
	ReadBodyTimeout   time.Duration
	ReadTimeout       time.Duration
	TLSTimeout        time.Duration
	IdleTimeout       time.Duration
	MaxConns          int
	MaxConnsPerAddr   int
	TLS               *tls.Config
	MaxInFlight       int64
	RetryAfter        time.Duration
	ReplyMode         binding.Mode
	Origins           []string // nil: any origin
	AllowedRate       int      // 0: no limit
	OnRefuse          func(remote string, err error)
	OnConnError       func(peer, msg string)  // nil: discard; peer "" when unknown
	Routes            map[string]http.Handler // exact paths served by other handlers
}

// NewConfig applies opts (nil entries are skipped) to the defaults and
// validates the result; the error names the offending option.
func NewConfig(opts []Option) (Config, error) {
	c := Config{
		MaxBody:           DefaultMaxBodyBytes,
		MaxAttrs:          event.DefaultMaxAttributes,
		MaxHeader:         DefaultMaxHeaderBytes,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadBodyTimeout:   DefaultReadBodyTimeout,
		ReadTimeout:       DefaultReadTimeout,
		TLSTimeout:        DefaultTLSHandshakeTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxConns:          DefaultMaxConns,
		MaxConnsPerAddr:   DefaultMaxConnsPerAddr,
		RetryAfter:        DefaultRetryAfter,
		ReplyMode:         binding.ModeBinary,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	for path := range c.Routes {
		if !strings.HasPrefix(path, "/") {
			return c, ConfigError("WithRoute needs a path starting with /, not " + strconv.Quote(path))
		}
	}
	switch {
	case c.MaxBody <= 0:
		return c, ConfigError("WithMaxBodyBytes needs a positive size")
	case c.MaxAttrs <= 0:
		return c, ConfigError("WithMaxAttributes needs a positive count")
	case c.MaxHeader <= 0:
		return c, ConfigError("WithMaxHeaderBytes needs a positive size")
	case c.ReadHeaderTimeout <= 0 || c.ReadBodyTimeout <= 0 || c.ReadTimeout <= 0 || c.TLSTimeout <= 0 || c.IdleTimeout <= 0:
		return c, ConfigError("timeouts must be positive")
	case c.ReadTimeout <= c.ReadHeaderTimeout:
		return c, ConfigError("WithReadTimeout bounds headers and body together, so it must exceed WithReadHeaderTimeout (" +
			c.ReadHeaderTimeout.String() + "), not be " + c.ReadTimeout.String())
	case c.MaxConns < 0 || c.MaxConnsPerAddr < 0:
		return c, ConfigError("WithMaxConns and WithMaxConnsPerAddr need a count >= 0 (0: no cap)")
	case c.MaxInFlight < 0:
		return c, ConfigError("WithMaxInFlight needs a size >= 0")
	case c.RetryAfter < time.Second:
		return c, ConfigError("Retry-After counts whole seconds; WithRetryAfter needs at least one")
	case c.ReplyMode != binding.ModeBinary && c.ReplyMode != binding.ModeStructured:
		return c, ConfigError("a reply is one event, sent in binary or structured mode, not " + c.ReplyMode.String())
	case c.AllowedRate < 0:
		return c, ConfigError("WithAllowedRate needs a rate >= 0")
	}
	return c, nil
}

// BodyBudget is the time a body gets once its headers are in: its own
// timeout, cut so that headers and body together stay within ReadTimeout
// however long the headers took (up to ReadHeaderTimeout).
func (c *Config) BodyBudget() time.Duration {
	return min(c.ReadBodyTimeout, c.ReadTimeout-c.ReadHeaderTimeout)
}

// RetryAfterHeader is the Retry-After value of a 429 or 503 answer.
func (c *Config) RetryAfterHeader() string {
	return strconv.FormatInt(int64(c.RetryAfter/time.Second), 10)
}
