package http_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openevents/openevents/internal/heapwatch"
	"github.com/openevents/openevents/internal/testtls"
	cehttp "github.com/openevents/openevents/transports/http"
)

// The slow-body attack: attackConns connections each declare a 4 MiB body,
// send a few bytes of it and hold. Before bodies were read as they arrive
// this pinned attackConns × 4 MiB (552 MB peak heap for 200 on net/http).
const (
	attackConns    = 200
	attackDeclared = 4 << 20
	attackHeapMax  = 64 << 20 // bound on the server's peak heap objects
	attackEnvAddr  = "CEHTTP_TEST_ATTACK_ADDR"
)

// TestSlowBodyAttack replays the slow-body attack against both servers on
// loopback. The attacker runs in a child process (this test binary again,
// told so by attackEnvAddr), so its buffers do not count in the heap this
// process measures. It asserts that the server's peak heap stays under
// attackHeapMax while the attack is held, and that the body read deadline
// answers and closes every attacking connection, well before the header
// timeout could have.
func TestSlowBodyAttack(t *testing.T) {
	if addr := os.Getenv(attackEnvAddr); addr != "" {
		attacker(addr)
		return
	}
	const bodyTimeout = time.Second
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var timeouts atomic.Int64
			url := srv.start(t, &collector{},
				cehttp.WithReadBodyTimeout(bodyTimeout),
				cehttp.WithErrorHook(func(_ string, err error) {
					if errors.Is(err, cehttp.ErrTimeout) {
						timeouts.Add(1)
					}
				}))
			addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")

			heap := heapwatch.Start(5 * time.Millisecond)

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSlowBodyAttack$", "-test.count=1")
			child.Env = append(os.Environ(), attackEnvAddr+"="+addr)
			child.Stderr = os.Stderr
			out, err := child.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := child.Start(); err != nil {
				t.Fatal(err)
			}
			var held, closed int
			var slowest time.Duration
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				switch {
				case len(f) == 2 && f[0] == "held":
					held, _ = strconv.Atoi(f[1])
				case len(f) == 3 && f[0] == "closed":
					closed, _ = strconv.Atoi(f[1])
					slowest, _ = time.ParseDuration(f[2])
				case len(f) > 0 && f[0] == "attack-error":
					t.Errorf("attacker: %s", sc.Text())
				}
			}
			if err := child.Wait(); err != nil {
				t.Errorf("attacker process: %v", err)
			}
			heap.Stop()

			t.Logf("%d connections held a declared %d MiB body each; heap objects %.1f MiB before, peak %.1f MiB; all closed within %v",
				held, attackDeclared>>20, float64(heap.Base().Objects)/(1<<20), float64(heap.Peak())/(1<<20), slowest)
			if held != attackConns {
				t.Fatalf("the attacker held %d connections, want %d", held, attackConns)
			}
			if p := heap.Peak(); p > attackHeapMax {
				t.Errorf("peak heap objects %d MiB under the attack, bound %d MiB", p>>20, attackHeapMax>>20)
			}
			if closed != attackConns {
				t.Errorf("the server closed %d of %d attacking connections", closed, attackConns)
			}
			// The header timeout is 10 s: closing within a few seconds is
			// the body deadline's doing.
			if slowest > bodyTimeout+4*time.Second {
				t.Errorf("the slowest attacking connection was closed after %v; body timeout %v", slowest, bodyTimeout)
			}
			deadline := time.Now().Add(5 * time.Second)
			for timeouts.Load() < attackConns && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := timeouts.Load(); n != attackConns {
				t.Errorf("the refuse hook saw %d body timeouts, want %d", n, attackConns)
			}
		})
	}
}

// attacker is the child process's side of TestSlowBodyAttack: it opens
// attackConns connections to addr, sends each one's headers and the first
// bytes of its body, reports "held N", then waits (at most 20 s) for the
// server to close each one and reports "closed N SLOWEST".
func attacker(addr string) {
	head := "POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/cloudevents+json\r\nContent-Length: " +
		strconv.Itoa(attackDeclared) + "\r\n\r\n{\"spec"
	conns := make([]net.Conn, 0, attackConns)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range attackConns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			fmt.Println("attack-error", err)
			return
		}
		conns = append(conns, c)
		if _, err := c.Write([]byte(head)); err != nil {
			fmt.Println("attack-error", err)
			return
		}
	}
	start := time.Now()
	fmt.Println("held", len(conns))
	var closed atomic.Int64
	var mu sync.Mutex
	var slowest time.Duration
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			_ = c.SetReadDeadline(start.Add(20 * time.Second))
			_, err := io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return // still open when the attacker gave up
			}
			closed.Add(1)
			mu.Lock()
			slowest = max(slowest, time.Since(start))
			mu.Unlock()
		})
	}
	wg.Wait()
	fmt.Println("closed", closed.Load(), slowest.Round(time.Millisecond))
}

// rawRequest writes req on a new connection to url's host and returns what
// the server answers until it closes the connection or 5 s pass.
func rawRequest(t *testing.T, url, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c) // EOF, reset or our deadline: the answer so far
	return string(b)
}

func statusLine(resp string) string {
	line, _, _ := strings.Cut(resp, "\r\n")
	return line
}

// TestContentEncodingRefused: a compressed body is refused with 415 and a
// message naming the coding; identity is accepted.
func TestContentEncodingRefused(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var c collector
			url := srv.start(t, &c)
			for _, tc := range []struct {
				encoding string
				want     int
			}{
				{"gzip", 415},
				{"br", 415},
				{"gzip, identity", 415},
				{"identity", 204},
				{" IDENTITY ", 204},
			} {
				hdr := binaryHeaders()
				hdr["Content-Encoding"] = tc.encoding
				code, _, body := post(t, "POST", url, hdr, `{"n":1}`)
				if code != tc.want {
					t.Errorf("Content-Encoding %q: status %d, want %d (%s)", tc.encoding, code, tc.want, body)
				}
				if tc.want == 415 && !strings.Contains(body, "Content-Encoding") {
					t.Errorf("Content-Encoding %q: the answer %q does not say what was wrong", tc.encoding, body)
				}
			}
			if n := len(c.got()); n != 2 {
				t.Errorf("the handler saw %d events, want the 2 identity ones", n)
			}
		})
	}
}

// TestHTTP10WithoutBody: an HTTP/1.0 request without Content-Length has no
// body, and the answer says so; with Content-Length it is received.
func TestHTTP10WithoutBody(t *testing.T) {
	const event = `{"specversion":"1.0","id":"1","source":"/s","type":"t"}`
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, &collector{})
			resp := rawRequest(t, url, "POST / HTTP/1.0\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\n\r\n"+event)
			if !strings.Contains(statusLine(resp), " 400 ") || !strings.Contains(resp, "no body") || !strings.Contains(resp, "Content-Length") {
				t.Errorf("HTTP/1.0 without Content-Length: got %q, want 400 saying the body is missing for want of Content-Length", resp)
			}
			resp = rawRequest(t, url, "POST / HTTP/1.0\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\nContent-Length: "+
				strconv.Itoa(len(event))+"\r\n\r\n"+event)
			if !strings.Contains(statusLine(resp), " 204 ") {
				t.Errorf("HTTP/1.0 with Content-Length: got %q, want 204", resp)
			}
			resp = rawRequest(t, url, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/cloudevents+json\r\nContent-Length: 0\r\n\r\n")
			if !strings.Contains(statusLine(resp), " 400 ") || !strings.Contains(resp, "body is empty") {
				t.Errorf("structured mode with an empty body: got %q, want 400 saying the body is empty", resp)
			}
		})
	}
}

// TestBodyDeadlineAnswers: a body that stops arriving is answered 408
// naming the limit once WithReadBodyTimeout runs out.
func TestBodyDeadlineAnswers(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, &collector{}, cehttp.WithReadBodyTimeout(200*time.Millisecond))
			start := time.Now()
			resp := rawRequest(t, url, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\nContent-Length: 100\r\n\r\n{\"sp")
			if !strings.Contains(statusLine(resp), " 408 ") {
				t.Errorf("got %q, want 408", resp)
			}
			if !strings.Contains(resp, "WithReadBodyTimeout") {
				t.Errorf("the answer %q does not name the limit", resp)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("answered after %v; body timeout 200ms", d)
			}
		})
	}
}

// holdConns opens n connections to url and keeps them open until the test
// ends; the server counts each one as it accepts it.
func holdConns(t *testing.T, url string, n int) []net.Conn {
	t.Helper()
	var conns []net.Conn
	for range n {
		c, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		conns = append(conns, c)
	}
	return conns
}

// TestMaxConns: the connection beyond WithMaxConns is answered 503 with
// Retry-After and closed; once one closes, a new one is served again.
func TestMaxConns(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, &collector{}, cehttp.WithMaxConns(2), cehttp.WithMaxConnsPerAddr(0))
			held := holdConns(t, url, 2)
			resp := rawRequest(t, url, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if !strings.Contains(statusLine(resp), " 503 ") || !strings.Contains(resp, "Retry-After: 1") || !strings.Contains(resp, "WithMaxConns") {
				t.Errorf("third connection: got %q, want 503 with Retry-After naming WithMaxConns", resp)
			}
			_ = held[0].Close()
			// The server counts the closed connection out when it notices;
			// try a bounded number of times.
			var last string
			for range 100 {
				last = rawRequest(t, url, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
				if strings.Contains(statusLine(last), " 405 ") {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Errorf("after a connection closed: got %q, want the request served (405 for GET)", last)
		})
	}
}

// TestMaxConnsPerAddr: one address beyond WithMaxConnsPerAddr is answered
// 429 with Retry-After; another address is still served.
func TestMaxConnsPerAddr(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, &collector{}, cehttp.WithMaxConnsPerAddr(2))
			holdConns(t, url, 2)
			resp := rawRequest(t, url, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if !strings.Contains(statusLine(resp), " 429 ") || !strings.Contains(resp, "Retry-After: 1") || !strings.Contains(resp, "WithMaxConnsPerAddr") {
				t.Errorf("third connection from 127.0.0.1: got %q, want 429 with Retry-After naming WithMaxConnsPerAddr", resp)
			}
			// Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is
			// another client address.
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
			c, err := d.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
			if err != nil {
				t.Fatalf("dial from 127.0.0.2: %v", err)
			}
			defer func() { _ = c.Close() }()
			if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			b, _ := io.ReadAll(c)
			if !strings.Contains(statusLine(string(b)), " 405 ") {
				t.Errorf("from 127.0.0.2: got %q, want the request served (405 for GET)", b)
			}
		})
	}
}

// TestTLSHandshakeTimeout: a client that connects to a TLS server and
// never sends its ClientHello is disconnected when WithTLSHandshakeTimeout
// runs out (long before the header timeout), and the hook is told why.
func TestTLSHandshakeTimeout(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var logged lockedBuffer
			url := srv.start(t, &collector{}, cehttp.WithTLS(cfg), cehttp.WithErrorHook(logged.hook),
				cehttp.WithTLSHandshakeTimeout(200*time.Millisecond))
			addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			start := time.Now()
			_ = c.SetReadDeadline(start.Add(5 * time.Second))
			_, err = io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server kept a connection without a handshake for 5 s; handshake timeout 200ms")
			}
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(logged.String(), "WithTLSHandshakeTimeout") && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(logged.String(), "WithTLSHandshakeTimeout") {
				t.Errorf("conn error hook got %q, want the handshake timeout named", logged.String())
			}
			// A client that does shake hands is still served.
			tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatalf("TLS client after the timeout: %v", err)
			}
			_ = tc.Close()
		})
	}
}
