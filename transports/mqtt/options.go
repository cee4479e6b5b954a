package mqtt

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// Version is an MQTT protocol version.
type Version uint8

// The supported protocol versions.
const (
	// Version5 is MQTT 5.0: binary and structured content modes.
	Version5 Version = 5
	// Version311 is MQTT 3.1.1: structured content mode only (MQTT-MODE-1,
	// MQTT-V311-1).
	Version311 Version = 4
)

// String returns "5.0" or "3.1.1".
func (v Version) String() string {
	switch v {
	case Version5:
		return "5.0"
	case Version311:
		return "3.1.1"
	}
	return fmt.Sprintf("Version(%d)", uint8(v))
}

// A PublisherOption configures a [Publisher] (NewPublisher). Only this
// package's With… functions make PublisherOptions; those that return a
// SubscriberOption alone are subscriber settings, and passing one to
// NewPublisher does not compile.
type PublisherOption interface{ applyPublisher(*config) }

// A SubscriberOption configures a [Subscriber] (NewSubscriber). Only this
// package's With… functions make SubscriberOptions; those that return a
// PublisherOption alone are publisher settings, and passing one to
// NewSubscriber does not compile.
type SubscriberOption interface{ applySubscriber(*config) }

// An Option is a setting of the connection or the session, which means
// something on both sides ([WithVersion], [WithTLS], [WithKeepAlive], …):
// it is a [PublisherOption] and a [SubscriberOption] at once.
type Option interface {
	PublisherOption
	SubscriberOption
}

// publisherFunc, subscriberFunc and sharedFunc implement the option
// interfaces; each option function returns the one for the sides it
// applies to.
type (
	publisherFunc  func(*config)
	subscriberFunc func(*config)
	sharedFunc     func(*config)
)

func (f publisherFunc) applyPublisher(c *config)   { f(c) }
func (f subscriberFunc) applySubscriber(c *config) { f(c) }
func (f sharedFunc) applyPublisher(c *config)      { f(c) }
func (f sharedFunc) applySubscriber(c *config)     { f(c) }

type config struct {
	version       Version
	mode          binding.Mode
	qos           byte
	retain        bool
	clientID      string
	tls           *tls.Config
	username      string
	password      string
	cleanStart    bool
	sessionExpiry time.Duration
	expirySet     bool
	keepAlive     time.Duration
	connectWait   time.Duration
	backoffMin    time.Duration
	backoffMax    time.Duration
	onError       func(peer string, err error)
	topic         string // a Publisher's topic for Send
	maxMessage    int
	maxAttrs      int
	concurrency   int
}

// DefaultMaxMessageBytes is the default of [WithMaxMessageBytes]: 4 MiB,
// the same as the HTTP and gRPC transports' message limits.
const DefaultMaxMessageBytes = 4 << 20

// Bounds of [WithMaxMessageBytes].
const (
	// minMaxMessage leaves room for the broker's CONNACK and SUBACK,
	// which the limit covers too.
	minMaxMessage = 1 << 10
	// maxPacket is the largest packet MQTT can frame: one byte of type
	// and flags, four of Remaining Length, and 268,435,455 bytes.
	maxPacket = 1 + 4 + 268_435_455
)

func defaultConfig() config {
	return config{
		version:     Version5,
		qos:         1,
		keepAlive:   30 * time.Second,
		connectWait: 10 * time.Second,
		backoffMin:  100 * time.Millisecond,
		backoffMax:  10 * time.Second,
		maxMessage:  DefaultMaxMessageBytes,
		maxAttrs:    event.DefaultMaxAttributes,
		concurrency: 1,
	}
}

// WithVersion selects the protocol version. The default is [Version5].
func WithVersion(v Version) Option {
	return sharedFunc(func(c *config) { c.version = v })
}

// WithMode selects the content mode a [Publisher] uses:
// [binding.ModeBinary] (the default with MQTT 5.0) or
// [binding.ModeStructured] (the default, and the only mode, with MQTT
// 3.1.1). MQTT has no batch mode. Publishers only: a [Subscriber] reads
// whatever mode each message uses.
func WithMode(m binding.Mode) PublisherOption {
	return publisherFunc(func(c *config) { c.mode = m })
}

// WithQoS sets the quality of service: for a [Publisher] of each PUBLISH,
// for a [Subscriber] the maximum granted on its subscription. 0, 1 or 2;
// the default is 1 (at least once).
func WithQoS(qos byte) Option {
	return sharedFunc(func(c *config) { c.qos = qos })
}

// WithRetain sets the RETAIN flag on every PUBLISH of a [Publisher]. The
// default is off: an event is delivered once, not replayed to every new
// subscriber. Publishers only.
func WithRetain(retain bool) PublisherOption {
	return publisherFunc(func(c *config) { c.retain = retain })
}

// WithClientID sets the MQTT client identifier. A [Subscriber] that wants
// its persistent session back after a restart must use the same id every
// time. The default is a random id, which makes every session new.
func WithClientID(id string) Option {
	return sharedFunc(func(c *config) { c.clientID = id })
}

// WithTLS sets the TLS configuration used for tls://, ssl:// and mqtts://
// broker URLs. The default is the zero tls.Config (system roots). With a
// tcp:// or mqtt:// URL it is a configuration error ([ErrConfig]), not
// ignored.
func WithTLS(t *tls.Config) Option {
	return sharedFunc(func(c *config) { c.tls = t })
}

// WithCredentials sets the username and password sent in CONNECT. The
// default sends neither.
func WithCredentials(username, password string) Option {
	return sharedFunc(func(c *config) { c.username, c.password = username, password })
}

// WithCleanStart sets Clean Start (MQTT 5.0) or Clean Session (3.1.1) on
// the first connection. The default is off for a [Subscriber], so that
// QoS 1 and 2 messages it had not acknowledged, and those published while
// it was away, are delivered when it comes back with the same client id.
// Reconnections never clean the session. Subscribers only: a [Publisher]
// has no subscriptions to keep and always starts clean.
func WithCleanStart(clean bool) SubscriberOption {
	return subscriberFunc(func(c *config) { c.cleanStart = clean })
}

// WithSessionExpiry sets how long the broker keeps the session of a
// disconnected MQTT 5.0 client (rounded down to seconds). Zero ends the
// session with the connection. The default is one hour with
// [WithClientID]; without it, five minutes, enough to ride out a
// reconnection, since a random client id can never resume its session
// after the process ends. MQTT 3.1.1 sessions without Clean Session last
// until the broker drops them.
func WithSessionExpiry(d time.Duration) Option {
	return sharedFunc(func(c *config) { c.sessionExpiry, c.expirySet = d, true })
}

// WithKeepAlive sets the keep-alive interval (default 30s).
func WithKeepAlive(d time.Duration) Option {
	return sharedFunc(func(c *config) { c.keepAlive = d })
}

// WithConnectTimeout bounds the first connection attempt made by
// [NewPublisher] and [NewSubscriber] (default 10s); the context passed to
// them can end it sooner.
func WithConnectTimeout(d time.Duration) Option {
	return sharedFunc(func(c *config) { c.connectWait = d })
}

// WithReconnectBackoff sets the delays between reconnection attempts after
// a connection is lost: the first attempt is immediate, then the delay
// starts at min and doubles up to max (defaults 100ms and 10s). With
// MQTT 3.1.1, paho.mqtt.golang decides the delays itself, starting at one
// second, and only max applies. A [Subscriber] also waits this backoff
// before dropping its connection after a transient handler failure.
func WithReconnectBackoff(minDelay, maxDelay time.Duration) Option {
	return sharedFunc(func(c *config) { c.backoffMin, c.backoffMax = minDelay, maxDelay })
}

// WithTopic sets the topic a [Publisher] sends to with [Publisher.Send]
// (Publish names its topic). A topic name has no wildcards: '+' and '#'
// are a configuration error. Publishers only.
func WithTopic(topic string) PublisherOption {
	return publisherFunc(func(c *config) { c.topic = topic })
}

// WithErrorHook sets a hook that a [Subscriber] calls, with the broker's
// host:port as the peer, for every message it refuses (a [*MessageError]
// with the topic and broker: not a CloudEvent, malformed
// ([ErrMalformed]), over [WithMaxMessageBytes] ([ErrMessageTooLarge]), or
// rejected by the handler), for every transient handler failure (a
// [*HandlerError]), for a connection dropped because the broker sent a
// packet over the limit that is not a PUBLISH, and for a subscription
// refused after a reconnection. It is called once per event, never
// aggregated; [Subscriber.Stats] has the counts. It must not block for
// long and must be safe for concurrent use: message errors come from the
// delivery goroutine, the others from other goroutines. The default drops
// them. Subscribers only: a [Publisher] returns its errors from
// [Publisher.Send].
//
// Every transport has WithErrorHook with this signature, called for the
// same kinds of event: a message refused or failed by the handler, and a
// connection failure that no message carries.
func WithErrorHook(f func(peer string, err error)) SubscriberOption {
	return subscriberFunc(func(c *config) { c.onError = f })
}

// WithErrorHandler sets f as the error hook, without the peer.
//
// Deprecated: use [WithErrorHook], the name and signature every transport
// shares.
func WithErrorHandler(f func(error)) SubscriberOption {
	if f == nil {
		return WithErrorHook(nil)
	}
	return WithErrorHook(func(_ string, err error) { f(err) })
}

// WithMaxMessageBytes limits the size of one MQTT packet the client
// receives, headers, topic and properties included, to n bytes (default
// [DefaultMaxMessageBytes]; at least 1 KiB, since the broker's
// acknowledgements must fit too). It applies to a [Subscriber] and, for
// what little a [Publisher] receives, to a Publisher; it does not limit
// what a Publisher sends.
//
// With MQTT 5.0 the limit is sent as the Maximum Packet Size of CONNECT,
// and the broker must then withhold larger messages from this client
// (MQTT 5.0 section 3.1.2.11.4, conformance statements [MQTT-3.1.2-24]
// and [MQTT-3.1.2-25]): the subscriber never sees them and cannot report
// them. MQTT 3.1.1 has no way to tell the broker, so it sends them.
//
// Either way the client checks the size in each packet's fixed header
// before reading the rest: a larger PUBLISH is read and discarded in
// small pieces, never held whole, then acknowledged (so it cannot block
// the session by being redelivered for ever), counted in
// [Stats].TooLarge, and reported to the [WithErrorHook] hook as a
// [*MessageError] wrapping [ErrMessageTooLarge]. A larger packet of any
// other kind is a protocol error: the client drops the connection and
// reconnects. With MQTT 5.0 a broker that sends a larger packet breaks
// [MQTT-3.1.2-24], and the standard has the client disconnect with reason
// code 0x95; this client acknowledges and drops the message instead, for
// the same reason as with 3.1.1.
func WithMaxMessageBytes(n int) Option {
	return sharedFunc(func(c *config) { c.maxMessage = n })
}

// WithMaxAttributes limits the attributes (core and extension) of one
// received event: user properties with attribute names in binary mode,
// members in structured mode. A message with more is refused as not a
// CloudEvent: acknowledged, counted in [Stats].Invalid and reported to
// the [WithErrorHook] hook with an [*event.AttributeLimitError] (a
// subscriber's acknowledgement goes only to the broker, so the publisher
// cannot be told). The default is [event.DefaultMaxAttributes] (1,024).
// Subscribers only.
func WithMaxAttributes(n int) SubscriberOption {
	return subscriberFunc(func(c *config) { c.maxAttrs = n })
}

// MaxConcurrency is the largest [WithConcurrency]: MQTT's largest
// Receive Maximum, the most unacknowledged messages a session can have.
const MaxConcurrency = 65535

// WithConcurrency lets a subscriber run the handler for up to n messages
// at once; default 1, one at a time in arrival order. MQTT wants
// acknowledgements in the order messages arrived, so a message is
// acknowledged once it and every message received before it are settled:
// a fast message waits for a slow one before it, and after a transient
// failure neither it nor any later message is acknowledged on that
// connection (the broker redelivers them all: at least once). With n
// messages in the handler the subscriber stops reading, which holds the
// broker back. The handler and the [WithErrorHook] hook must be safe for
// concurrent use, and the order in which the handler sees messages is no
// longer the arrival order. Subscribers only; 1 to [MaxConcurrency].
func WithConcurrency(n int) SubscriberOption {
	return subscriberFunc(func(c *config) { c.concurrency = n })
}

// ErrConfig is wrapped by every configuration error from [NewPublisher]
// and [NewSubscriber]: a bad option, broker URL or topic filter.
var ErrConfig = errors.New("cemqtt: bad configuration")

func (c *config) validate(publisher bool) error {
	switch c.version {
	case Version5, Version311:
	default:
		return fmt.Errorf("%w: unsupported protocol version %d (want 5 or 3.1.1)", ErrConfig, c.version)
	}
	if c.mode == 0 {
		c.mode = binding.ModeBinary
		if c.version == Version311 {
			c.mode = binding.ModeStructured
		}
	}
	if publisher {
		switch {
		case c.mode == binding.ModeBatch:
			return fmt.Errorf("%w: MQTT has no batch content mode", ErrConfig)
		case c.mode == binding.ModeBinary && c.version == Version311:
			// MQTT-MODE-1: 3.1.1 has no place for attributes outside the payload.
			return fmt.Errorf("%w: binary mode needs MQTT 5.0; MQTT 3.1.1 carries structured events only (MQTT-MODE-1)", ErrConfig)
		case c.mode != binding.ModeBinary && c.mode != binding.ModeStructured:
			return fmt.Errorf("%w: unknown content mode %v", ErrConfig, c.mode)
		}
	}
	if strings.ContainsAny(c.topic, "+#") {
		// MQTT 5.0 [MQTT-3.3.2-2], MQTT 3.1.1 [MQTT-3.3.2-2]: no wildcards in a topic name.
		return fmt.Errorf("%w: topic %q has a wildcard, which a PUBLISH may not carry", ErrConfig, c.topic)
	}
	if c.qos > 2 {
		return fmt.Errorf("%w: QoS %d (want 0, 1 or 2)", ErrConfig, c.qos)
	}
	if c.sessionExpiry < 0 || c.sessionExpiry > time.Duration(1<<32-1)*time.Second {
		return fmt.Errorf("%w: session expiry %v out of range", ErrConfig, c.sessionExpiry)
	}
	if c.keepAlive < 0 || c.keepAlive > 65535*time.Second {
		return fmt.Errorf("%w: keep-alive %v out of range", ErrConfig, c.keepAlive)
	}
	if c.maxMessage < minMaxMessage || c.maxMessage > maxPacket {
		return fmt.Errorf("%w: WithMaxMessageBytes(%d) is out of range: at least %d bytes (room for the broker's acknowledgements), at most %d (the largest MQTT packet)", ErrConfig, c.maxMessage, minMaxMessage, maxPacket)
	}
	if c.concurrency < 1 || c.concurrency > MaxConcurrency {
		return fmt.Errorf("%w: WithConcurrency(%d) is out of range 1..%d", ErrConfig, c.concurrency, MaxConcurrency)
	}
	if c.maxAttrs <= 0 {
		return fmt.Errorf("%w: WithMaxAttributes(%d) needs a positive count", ErrConfig, c.maxAttrs)
	}
	if c.connectWait <= 0 {
		return fmt.Errorf("%w: connect timeout must be positive", ErrConfig)
	}
	if c.backoffMin <= 0 || c.backoffMax < c.backoffMin {
		return fmt.Errorf("%w: reconnect backoff %v..%v", ErrConfig, c.backoffMin, c.backoffMax)
	}
	if !c.expirySet {
		c.sessionExpiry = time.Hour
		if c.clientID == "" {
			c.sessionExpiry = 5 * time.Minute
		}
	}
	if c.clientID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		c.clientID = "openevents-" + hex.EncodeToString(b[:])
	}
	return nil
}

// backoff returns the delay before reconnection attempt n: none before
// the first (n == 0), then the minimum, doubling up to the maximum.
func (c *config) backoff(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := c.backoffMin
	for i := 1; i < n && d < c.backoffMax; i++ {
		d *= 2
	}
	return min(d, c.backoffMax)
}

// parseBroker checks a broker URL: tcp://, mqtt://, tls://, ssl:// or
// mqtts://, with a host and port; a TLS configuration (WithTLS) with a
// plaintext scheme is refused rather than ignored, so a caller who asked
// for TLS never connects in the clear.
func parseBroker(s string, c *config) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: broker URL: %w", ErrConfig, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "tcp", "mqtt", "tls", "ssl", "mqtts":
	default:
		return nil, fmt.Errorf("%w: broker URL %q: scheme must be tcp, mqtt, tls, ssl or mqtts", ErrConfig, s)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return nil, fmt.Errorf("%w: broker URL %q needs host:port", ErrConfig, s)
	}
	if c.tls != nil && !isTLS(u) {
		return nil, fmt.Errorf("%w: WithTLS was given but broker URL %q is plaintext; use tls://, ssl:// or mqtts://", ErrConfig, s)
	}
	return u, nil
}

func isTLS(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "tls", "ssl", "mqtts":
		return true
	}
	return false
}
