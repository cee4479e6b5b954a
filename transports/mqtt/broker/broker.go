// Package broker runs an embedded MQTT broker (mochi-mqtt) for tests,
// examples and the runtime's zero-setup default. It speaks MQTT 3.1.1 and
// 5.0 on one TCP listener, keeps sessions in memory only, and allows every
// client unless credentials are configured.
//
// It is not a production broker: nothing survives Close, and a client that
// cannot keep up loses messages once the broker's per-client write queue is
// full (see [WithMaxPendingWrites]).
package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is a running embedded MQTT broker. Its methods are safe for
// concurrent use.
type Broker struct {
	srv       *mochi.Server
	addr      string
	tls       bool
	closeOnce sync.Once
}

// An Option configures a Broker.
type Option interface{ apply(*config) }

type config struct {
	tls           *tls.Config
	user, pass    string
	credentials   bool
	pendingWrites int
	maxMessage    int
}

// DefaultMaxMessageBytes is the default of [WithMaxMessageBytes]: 4 MiB,
// the default receive limit of the MQTT, HTTP and gRPC transports.
const DefaultMaxMessageBytes = 4 << 20

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithTLS makes the listener accept TLS connections only, with c. The
// default is plain TCP.
func WithTLS(c *tls.Config) Option {
	return optionFunc(func(cfg *config) { cfg.tls = c })
}

// WithCredentials makes the broker accept only clients that present this
// username and password. The default accepts every client.
func WithCredentials(username, password string) Option {
	return optionFunc(func(cfg *config) { cfg.user, cfg.pass, cfg.credentials = username, password, true })
}

// WithMaxPendingWrites sets how many outgoing packets the broker queues per
// client before it drops messages for that client (default 65536). Load
// tests raise it so the broker, not the client, is never the reason a
// message goes missing.
func WithMaxPendingWrites(n int) Option {
	return optionFunc(func(cfg *config) { cfg.pendingWrites = n })
}

// WithMaxMessageBytes sets the largest MQTT packet the broker reads from
// a client (default [DefaultMaxMessageBytes]). It checks the size in the
// fixed header before reading the rest, and disconnects a client that
// sends a larger packet (with reason code 0x95, packet too large, over
// MQTT 5.0), so a publisher cannot make it hold a message larger than
// this; it tells MQTT 5.0 clients the limit in CONNACK's Maximum Packet
// Size. Between 1 KiB and 268,435,455 bytes. (Subscribers set their own
// limit on what the broker sends them, see the mqtt package's option of
// the same name.)
func WithMaxMessageBytes(n int) Option {
	return optionFunc(func(cfg *config) { cfg.maxMessage = n })
}

// New starts a broker listening on addr (host:port; port 0 picks a free
// port, see [Broker.Addr]). It returns once the listener is bound. The
// caller must call [Broker.Close].
func New(addr string, opts ...Option) (*Broker, error) {
	cfg := config{pendingWrites: 1 << 16, maxMessage: DefaultMaxMessageBytes}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.pendingWrites <= 0 {
		return nil, errors.New("broker: WithMaxPendingWrites needs a positive count")
	}
	if cfg.maxMessage < 1<<10 || cfg.maxMessage > 268_435_455 {
		return nil, fmt.Errorf("broker: WithMaxMessageBytes(%d) is out of range: at least 1024 bytes, at most 268435455 (the largest MQTT packet)", cfg.maxMessage)
	}
	caps := mochi.NewDefaultServerCapabilities()
	caps.MaximumClientWritesPending = int32(min(cfg.pendingWrites, 1<<30))
	caps.MaximumInflight = uint16(min(cfg.pendingWrites, 1<<16-1))
	caps.MaximumPacketSize = uint32(cfg.maxMessage)
	srv := mochi.New(&mochi.Options{
		Capabilities: caps,
		// mochi writes its own log lines to stdout unless given a logger;
		// a library must not print, so its log goes nowhere.
		Logger:                 slog.New(slog.DiscardHandler), //nolint:forbidigo // a discarding logger silences mochi; nothing is logged
		InlineClient:           false,
		SysTopicResendInterval: 3600,
	})
	var err error
	if cfg.credentials {
		err = srv.AddHook(new(auth.Hook), &auth.Options{Ledger: &auth.Ledger{
			Auth: auth.AuthRules{{Username: auth.RString(cfg.user), Password: auth.RString(cfg.pass), Allow: true}},
			ACL:  auth.ACLRules{{Filters: auth.Filters{"#": auth.ReadWrite}}},
		}})
	} else {
		err = srv.AddHook(new(auth.AllowHook), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(&announceLimit{max: uint32(cfg.maxMessage)}, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	nl, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: listen on %s: %w", addr, err)
	}
	if cfg.tls != nil {
		nl = tls.NewListener(nl, cfg.tls)
	}
	l := &listener{l: nl, conns: map[net.Conn]struct{}{}}
	if err := srv.AddListener(l); err != nil {
		_ = nl.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	return &Broker{srv: srv, addr: nl.Addr().String(), tls: cfg.tls != nil}, nil
}

// Addr returns the host:port the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// URL returns the broker's URL for clients: tcp://host:port, or
// tls://host:port with [WithTLS].
func (b *Broker) URL() string {
	if b.tls {
		return "tls://" + b.addr
	}
	return "tcp://" + b.addr
}

// DisconnectClient drops the network connection of the client with this
// id, as a network failure would; its session stays. It reports whether
// the client was connected. Tests use it to exercise reconnection.
func (b *Broker) DisconnectClient(id string) bool {
	cl, ok := b.srv.Clients.Get(id)
	if !ok || cl.Closed() {
		return false
	}
	cl.Stop(errors.New("dropped by test"))
	return true
}

// Close stops the listener, disconnects every client and waits for their
// connections to end. It is safe to call more than once.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() { _ = b.srv.Close() })
	return nil
}

// listener is the broker's TCP listener. mochi's own adds to its client
// WaitGroup while Close may already be waiting on it (a data race when a
// connection arrives during Close); this one tracks its connections
// itself, and its Close ends and waits for all of them before mochi
// waits.
type listener struct {
	l      net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

const listenerID = "openevents"

func (l *listener) ID() string       { return listenerID }
func (l *listener) Address() string  { return l.l.Addr().String() }
func (l *listener) Protocol() string { return "tcp" }

//nolint:forbidigo // the listener interface names slog.Logger; nothing is logged
func (l *listener) Init(_ *slog.Logger) error { return nil } // bound in New

func (l *listener) Serve(establish listeners.EstablishFn) {
	for {
		c, err := l.l.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			_ = c.Close()
			return
		}
		l.conns[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			_ = establish(listenerID, c) // a client's end is not the broker's error
			l.mu.Lock()
			delete(l.conns, c)
			l.mu.Unlock()
		}()
	}
}

func (l *listener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	_ = l.l.Close()
	// Close every connection and wait until each establish call has
	// returned before letting mochi close its clients: mochi v2.7.9 takes
	// its clients' read lock twice in closeListenerClients, which
	// deadlocks when a connection being attached asks for the write lock
	// in between (seen in CI: a test hung in Broker.Close).
	l.mu.Lock()
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	closeClients(listenerID)
}

// announceLimit puts the broker's Maximum Packet Size in every MQTT 5.0
// CONNACK, which mochi does not do itself: a client may then refuse to
// send a larger packet instead of being disconnected for it.
type announceLimit struct {
	mochi.HookBase
	max uint32
}

func (h *announceLimit) ID() string { return "openevents-announce-limit" }

func (h *announceLimit) Provides(b byte) bool { return b == mochi.OnPacketEncode }

func (h *announceLimit) OnPacketEncode(_ *mochi.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Connack && pk.ProtocolVersion == 5 {
		pk.Properties.MaximumPacketSize = h.max
	}
	return pk
}
