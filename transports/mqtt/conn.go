package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"github.com/openevents/openevents/transports/internal/tlsdiag"
)

// dialer opens the network connections of one client and remembers the
// current one, so that a Subscriber can drop it to make the broker
// redeliver what it has not acknowledged. Every connection it opens reads
// through a [limitConn].
type dialer struct {
	cfg    *config
	mark   *[markLen]byte // marks the stubs of messages too large
	report func(error)    // see limitConn.report; may be nil
	mu     sync.Mutex
	cur    net.Conn
}

func newDialer(cfg *config, report func(error)) *dialer {
	return &dialer{cfg: cfg, mark: newMark(), report: report}
}

func (d *dialer) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.connectWait)
	defer cancel()
	var conn net.Conn
	var err error
	if isTLS(u) {
		tc := d.cfg.tls
		if tc == nil {
			tc = new(tls.Config)
		}
		td := tls.Dialer{Config: tc}
		conn, err = td.DialContext(ctx, "tcp", u.Host)
	} else {
		var nd net.Dialer
		conn, err = nd.DialContext(ctx, "tcp", u.Host)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errConnection, err)
	}
	// paho.golang writes a packet as several buffers, from several
	// goroutines. On a bare *net.TCPConn net.Buffers makes that one
	// writev; on any wrapper (limitConn, tls.Conn) it is one Write per
	// buffer, and packets written at once interleave unless the
	// connection is a sync.Locker, which paho then holds per packet.
	// (paho.mqtt.golang writes each packet whole and ignores the lock.)
	conn = packets.NewThreadSafeConn(d.limit(conn))
	d.mu.Lock()
	d.cur = conn
	d.mu.Unlock()
	return conn, nil
}

func (d *dialer) limit(c net.Conn) net.Conn {
	return &limitConn{Conn: c, max: d.cfg.maxMessage, v5: d.cfg.version == Version5, mark: d.mark, report: d.report}
}

// drop closes the current connection; the client notices and reconnects.
func (d *dialer) drop() {
	d.mu.Lock()
	c := d.cur
	d.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// connectV5 starts an autopaho connection manager and waits until its
// first connection is up. The manager lives until Disconnect; ctx bounds
// only the wait.
func connectV5(ctx context.Context, u *url.URL, cfg *config, d *dialer, clean bool, onUp func(*autopaho.ConnectionManager, *paho.Connack), onPublish func(paho.PublishReceived) (bool, error)) (*autopaho.ConnectionManager, error) {
	var lastErr error
	var errMu sync.Mutex
	failed := make(chan struct{}, 1) // a connection attempt failed
	ac := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     uint16(cfg.keepAlive / time.Second),
		CleanStartOnInitialConnection: clean,
		SessionExpiryInterval:         uint32(cfg.sessionExpiry / time.Second),
		ReconnectBackoff:              cfg.backoff,
		ConnectTimeout:                cfg.connectWait,
		AttemptConnection: func(ctx context.Context, _ autopaho.ClientConfig, u *url.URL) (net.Conn, error) {
			return d.dial(ctx, u)
		},
		OnConnectionUp: func(cm *autopaho.ConnectionManager, ca *paho.Connack) {
			if onUp != nil {
				onUp(cm, ca)
			}
		},
		OnConnectError: func(err error) {
			errMu.Lock()
			lastErr = err
			errMu.Unlock()
			select {
			case failed <- struct{}{}:
			default:
			}
		},
		ConnectPacketBuilder: func(cp *paho.Connect, _ *url.URL) (*paho.Connect, error) {
			// paho sends Request Problem Information 0 whenever it sends
			// any CONNECT property, and some brokers (mochi-mqtt) then
			// strip user properties from PUBLISH too, which would erase
			// every binary-mode attribute. Ask for them explicitly.
			if cp.Properties == nil {
				cp.Properties = new(paho.ConnectProperties)
			}
			cp.Properties.RequestProblemInfo = true
			// The broker must not send this client a larger packet
			// (MQTT 5.0 [MQTT-3.1.2-24]); limitConn enforces it anyway.
			maxSize := uint32(cfg.maxMessage)
			cp.Properties.MaximumPacketSize = &maxSize
			return cp, nil
		},
		ConnectUsername: cfg.username,
		ConnectPassword: []byte(cfg.password),
		ClientConfig: paho.ClientConfig{
			ClientID: cfg.clientID,
		},
	}
	if onPublish != nil {
		ac.EnableManualAcknowledgment = true
		// Acknowledgements go out in arrival order (MQTT requires it); a
		// short flush interval keeps the broker's send quota moving.
		ac.SendAcksInterval = ackFlushInterval
		ac.OnPublishReceived = []func(paho.PublishReceived) (bool, error){onPublish}
	}
	cm, err := autopaho.NewConnection(context.Background(), ac) //nolint:contextcheck // the manager outlives ctx; Close ends it
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	// The first connection fails fast: reconnection with backoff is for
	// connections lost later.
	wctx, cancel := context.WithTimeout(ctx, cfg.connectWait)
	defer cancel()
	go func() {
		select {
		case <-failed:
			cancel()
		case <-wctx.Done():
		}
	}()
	if err := cm.AwaitConnection(wctx); err != nil {
		_ = cm.Disconnect(context.Background()) //nolint:contextcheck // cleanup must run even when ctx is done
		errMu.Lock()
		defer errMu.Unlock()
		if lastErr != nil {
			return nil, connectError(lastErr)
		}
		return nil, fmt.Errorf("%w: %s: %w", errConnection, u.Redacted(), err)
	}
	return cm, nil
}

// connectError maps a failed connection attempt to our errors.
func connectError(err error) error {
	if ce, ok := errors.AsType[*autopaho.ConnackError](err); ok {
		return &ReasonError{Packet: "CONNACK", Code: ce.ReasonCode, Reason: ce.Reason}
	}
	if errors.Is(err, errConnection) {
		return err
	}
	return fmt.Errorf("%w: %w", errConnection, err)
}

// optionsV311 builds the paho.mqtt.golang options shared by publisher and
// subscriber.
func optionsV311(u *url.URL, cfg *config, d *dialer, clean bool) *mqtt3.ClientOptions {
	o := mqtt3.NewClientOptions()
	o.AddBroker(u.String())
	o.SetProtocolVersion(4)
	o.SetClientID(cfg.clientID)
	o.SetUsername(cfg.username)
	o.SetPassword(cfg.password)
	o.SetCleanSession(clean)
	o.SetKeepAlive(cfg.keepAlive)
	o.SetConnectTimeout(cfg.connectWait)
	o.SetAutoReconnect(true)
	o.SetConnectRetry(false)
	o.SetMaxReconnectInterval(cfg.backoffMax)
	o.SetOrderMatters(true)
	o.SetCustomOpenConnectionFn(func(u *url.URL, _ mqtt3.ClientOptions) (net.Conn, error) {
		return d.dial(context.Background(), u)
	})
	return o
}

// wait waits for a paho.mqtt.golang token or the end of ctx.
func wait(ctx context.Context, t mqtt3.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// connectV311 connects a 3.1.1 client and maps a refused CONNACK.
func connectV311(ctx context.Context, c mqtt3.Client, cfg *config) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.connectWait)
	defer cancel()
	t := c.Connect()
	if err := wait(ctx, t); err != nil {
		c.Disconnect(0)
		if ct, ok := t.(*mqtt3.ConnectToken); ok && ct.ReturnCode() != 0 && ct.ReturnCode() < 6 {
			// 3.1.1 CONNACK return codes 1-5, as their 5.0 reason codes.
			return &ReasonError{Packet: "CONNACK", Code: [...]byte{0, 0x84, 0x85, 0x88, 0x86, 0x87}[ct.ReturnCode()], Reason: err.Error()}
		}
		return fmt.Errorf("%w: %w", errConnection, err)
	}
	return nil
}

// current returns the connection in use, for identity comparison.
func (d *dialer) current() net.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur
}

// explainTLS adds what the TLS layer knows to a failed connection to a
// broker reached with WithTLS (see tlsdiag.Explain). A broker's refusal
// (a [*ReasonError]) is not a TLS failure and is returned as it is.
func explainTLS(ctx context.Context, err error, u *url.URL, c *config) error {
	if c.tls == nil {
		return err
	}
	if _, ok := errors.AsType[*ReasonError](err); ok {
		return err
	}
	return tlsdiag.Explain(ctx, err, tlsdiag.HostPort(u.Host, "8883"), c.tls)
}

// ackFlushInterval is how often paho sends the MQTT 5.0 acknowledgements
// a subscriber gave (in arrival order); Shutdown waits a few of them so
// that the last ones go out before the connection closes.
const ackFlushInterval = 2 * time.Millisecond
