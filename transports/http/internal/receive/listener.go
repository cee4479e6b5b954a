package receive

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"
)

// GuardListener is what both servers accept connections through: it caps
// the connections open at once, in all and per client address, and under
// TLS completes each handshake within its own deadline before the server
// sees the connection. The servers' own handshake would only be bounded by
// their header timeout, and neither net/http nor fasthttp can cap
// connections per address and in all with the same answers.
type GuardListener struct {
	net.Listener
	cfg *Config

	mu      sync.Mutex
	open    int
	perAddr map[string]int

	// TLS only: an acceptor goroutine hands connections whose handshake
	// succeeded to Accept through ready.
	tls       *tls.Config
	ready     chan acceptResult
	done      chan struct{}
	closeOnce sync.Once
	pending   map[net.Conn]struct{} // connections in their handshake
	wg        sync.WaitGroup        // the acceptor and the handshakes
}

type acceptResult struct {
	c   net.Conn
	err error
}

// NewGuardListener wraps ln with the caps and TLS of cfg; under TLS it
// starts the acceptor goroutine, which Close stops and waits for.
func NewGuardListener(ln net.Listener, cfg *Config) *GuardListener {
	g := &GuardListener{Listener: ln, cfg: cfg, perAddr: map[string]int{}}
	if cfg.TLS != nil {
		g.tls = cfg.TLS
		g.ready = make(chan acceptResult)
		g.done = make(chan struct{})
		g.pending = map[net.Conn]struct{}{}
		g.wg.Add(1)
		go g.acceptTLS()
	}
	return g
}

// Accept returns the next connection within the caps (its TLS handshake
// done, under TLS). Connections over a cap are answered and closed here,
// so they never reach the server.
func (g *GuardListener) Accept() (net.Conn, error) {
	if g.tls != nil {
		select {
		case r := <-g.ready:
			return r.c, r.err
		case <-g.done:
			return nil, net.ErrClosed
		}
	}
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if gc := g.admit(c); gc != nil {
			return gc, nil
		}
	}
}

// Close closes the listener; under TLS it also ends the handshakes in
// progress and waits for their goroutines.
func (g *GuardListener) Close() error {
	err := g.Listener.Close()
	if g.tls != nil {
		g.closeOnce.Do(func() {
			g.mu.Lock()
			close(g.done) // under mu: acceptTLS adds to pending only before it
			pending := make([]net.Conn, 0, len(g.pending))
			for c := range g.pending {
				pending = append(pending, c)
			}
			g.mu.Unlock()
			// Closing counts each out of the caps, which takes mu.
			for _, c := range pending {
				_ = c.Close() // ends its handshake; the error is the handshake's to report
			}
		})
		g.wg.Wait()
	}
	return err
}

// acceptTLS accepts raw connections and starts a handshake for each one
// within the caps, until the listener is closed.
func (g *GuardListener) acceptTLS() {
	defer g.wg.Done()
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case g.ready <- acceptResult{err: err}:
			case <-g.done:
				return
			}
			// The server backs off on errors; this goroutine must not
			// spin either while, say, file descriptors are exhausted.
			select {
			case <-time.After(10 * time.Millisecond):
			case <-g.done:
				return
			}
			continue
		}
		gc := g.admit(c)
		if gc == nil {
			continue
		}
		g.mu.Lock()
		select {
		case <-g.done:
			g.mu.Unlock()
			_ = gc.Close()
			return
		default:
		}
		g.pending[gc] = struct{}{}
		g.wg.Add(1)
		g.mu.Unlock()
		go g.handshake(gc)
	}
}

func (g *GuardListener) handshake(raw net.Conn) {
	defer g.wg.Done()
	tc := tls.Server(raw, g.tls)
	deadline := time.Now().Add(g.cfg.TLSTimeout)
	_ = raw.SetDeadline(deadline) // a failure shows as the handshake's
	err := tc.HandshakeContext(context.Background())
	g.mu.Lock()
	delete(g.pending, raw)
	g.mu.Unlock()
	if err == nil {
		err = raw.SetDeadline(time.Time{})
	}
	if err != nil {
		if f := g.cfg.OnConnError; f != nil {
			msg := "cehttp: TLS handshake with " + raw.RemoteAddr().String() + " failed: " + err.Error()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				msg += " (not done within the handshake timeout, " + g.cfg.TLSTimeout.String() + ", WithTLSHandshakeTimeout)"
			}
			f(raw.RemoteAddr().String(), msg)
		}
		_ = tc.Close()
		return
	}
	select {
	case g.ready <- acceptResult{c: tc}:
	case <-g.done:
		_ = tc.Close()
	}
}

// admit counts c in and returns it wrapped so that closing it counts it
// out, or answers and closes it and returns nil when a cap is reached.
func (g *GuardListener) admit(c net.Conn) net.Conn {
	if g.cfg.MaxConns == 0 && g.cfg.MaxConnsPerAddr == 0 {
		return c
	}
	addr := addrKey(c.RemoteAddr())
	g.mu.Lock()
	switch {
	case g.cfg.MaxConns > 0 && g.open >= g.cfg.MaxConns:
		g.mu.Unlock()
		g.reject(c, "503 Service Unavailable", "cehttp: the server holds its maximum of "+strconv.Itoa(g.cfg.MaxConns)+" connections (WithMaxConns); try again later\n")
		return nil
	case g.cfg.MaxConnsPerAddr > 0 && g.perAddr[addr] >= g.cfg.MaxConnsPerAddr:
		g.mu.Unlock()
		// WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11: over a limit, 429
		// with Retry-After.
		g.reject(c, "429 Too Many Requests", "cehttp: "+addr+" holds the maximum of "+strconv.Itoa(g.cfg.MaxConnsPerAddr)+" connections per client address (WithMaxConnsPerAddr); reuse them or try again later\n")
		return nil
	}
	g.open++
	g.perAddr[addr]++
	g.mu.Unlock()
	return &guardConn{Conn: c, g: g, addr: addr}
}

// reject answers a plain-HTTP connection over a cap with a complete
// response, without reading its request, and closes it. A TLS connection
// is closed without an answer: one would need a handshake first.
func (g *GuardListener) reject(c net.Conn, status, msg string) {
	if g.tls == nil {
		resp := "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: " +
			g.cfg.RetryAfterHeader() + "\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(msg)) + "\r\n\r\n" + msg
		// A fresh socket's send buffer takes this at once; the deadline
		// only keeps a pathological peer from stalling the accept loop.
		_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = c.Write([]byte(resp)) // the client may be gone already
	}
	if f := g.cfg.OnConnError; f != nil {
		f(c.RemoteAddr().String(), "cehttp: refused a connection from "+c.RemoteAddr().String()+": "+msg[len("cehttp: "):len(msg)-1])
	}
	_ = c.Close()
}

func (g *GuardListener) release(addr string) {
	g.mu.Lock()
	g.open--
	if g.perAddr[addr]--; g.perAddr[addr] <= 0 {
		delete(g.perAddr, addr)
	}
	g.mu.Unlock()
}

// addrKey is the client's IP address, the unit of the per-address cap.
func addrKey(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	s := a.String()
	if host, _, err := net.SplitHostPort(s); err == nil {
		return host
	}
	return s
}

// guardConn counts its connection out of the caps when it is closed
// (once: servers may close a connection more than once).
type guardConn struct {
	net.Conn
	g    *GuardListener
	addr string
	once sync.Once
}

func (c *guardConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.g.release(c.addr) })
	return err
}

// CloseWrite half-closes a TCP connection, which net/http uses to let a
// client read its answer before the connection goes.
func (c *guardConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
