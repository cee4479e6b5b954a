package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

const listenLong = `Listen receives CloudEvents over one binding and prints each one to
standard output as a JSON line (application/cloudevents+json), until it is
interrupted (SIGINT/SIGTERM) or --count events have arrived:

  --http ADDR           an HTTP endpoint (all three content modes)
  --grpc ADDR           the OpenEvents EventService and CloudEventService
  --mqtt URL --topic T  an MQTT subscription (5.0 or 3.1.1)

Messages that are not valid CloudEvents are refused to their sender and
reported on standard error: at most one line a second, with the number
refused since the last line and the last reason, so that a flood of bad
messages cannot stall ce listen on its own standard error. With --validate
each refusal is printed as it happens, with the requirement IDs it breaks.
ADDR is host:port; port 0 picks a free port, and the address actually bound
is printed to standard error. An address that cannot be bound (in use, say)
is a failure (exit status 1).

With --http, at most --max-in-flight requests are handled at once (64 by
default); while that many wait, for example because standard output is not
being read, further requests are answered 429 Too Many Requests with
Retry-After, as the web-hook specification asks (WEBHOOK-RESPONSE-10,
WEBHOOK-RESPONSE-11), instead of each holding its body in memory.

TLS: with --tls-cert FILE and --tls-key FILE, --http serves HTTPS and --grpc
serves gRPC over TLS; --tls-client-ca FILE then requires every client to
present a certificate signed by a CA in that PEM file (mutual TLS). With
--mqtt, ce listen is a client of the broker, and the TLS flags mean what
they mean for ce send: an ssl://, tls:// or mqtts:// URL uses TLS with the
system's trusted roots, --tls-ca FILE trusts other CAs, --tls-cert and
--tls-key present a client certificate, --tls-server-name checks another
name. A TLS flag that a binding cannot use is a usage error. The minimum
version is TLS 1.2.`

// listenOptions are the flags of ce listen.
type listenOptions struct {
	httpAddr string
	grpcAddr string
	mqttURL  string
	topic    string
	mqttVer  int
	qos      int
	validate bool
	reply    bool
	count    int
	inFlight int
	tls      tlsFlags
}

// defaultMaxInFlight bounds the HTTP requests ce listen handles at once.
const defaultMaxInFlight = 64

func newListenCommand(stdout, stderr io.Writer) *cobra.Command {
	var o listenOptions
	cmd := &cobra.Command{
		Use:   "listen (--http ADDR | --grpc ADDR | --mqtt URL --topic T) [flags]",
		Short: "Receive CloudEvents and print them as JSON lines",
		Long:  listenLong,
		Example: `  ce listen --http 127.0.0.1:8080 --validate
  ce listen --grpc 127.0.0.1:9090 --count 1
  ce listen --mqtt tcp://127.0.0.1:1883 --topic 'sensors/#'
  ce listen --http 127.0.0.1:8443 --tls-cert server.pem --tls-key server-key.pem
  ce listen --grpc 127.0.0.1:9443 --tls-cert server.pem --tls-key server-key.pem --tls-client-ca clients-ca.pem
  ce listen --mqtt ssl://broker.example.com:8883 --tls-ca ca.pem --topic 'sensors/#'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			targets := 0
			for _, s := range []string{o.httpAddr, o.grpcAddr, o.mqttURL} {
				if s != "" {
					targets++
				}
			}
			if targets != 1 {
				return usageError(errors.New("give exactly one of --http, --grpc, --mqtt"))
			}
			if o.inFlight < 1 {
				return usageError(fmt.Errorf("--max-in-flight must be at least 1, not %d", o.inFlight))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			p := newPrinter(stdout, stderr, o.count, stop)
			p.validate = o.validate
			defer p.close()
			switch {
			case o.httpAddr != "":
				return listenHTTP(ctx, &o, p)
			case o.grpcAddr != "":
				return listenGRPC(ctx, &o, p)
			default:
				return listenMQTT(ctx, &o, p)
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.httpAddr, "http", "", "listen for HTTP on this host:port")
	f.StringVar(&o.grpcAddr, "grpc", "", "listen for gRPC on this host:port")
	f.StringVar(&o.mqttURL, "mqtt", "", "subscribe at this MQTT broker URL (tcp://host:port, or ssl://host:port for TLS)")
	f.StringVar(&o.topic, "topic", "", "MQTT topic filter to subscribe to")
	f.IntVar(&o.mqttVer, "mqtt-version", 5, "MQTT protocol version: 5 or 3 (3.1.1)")
	f.IntVar(&o.qos, "qos", 1, "MQTT subscription QoS: 0, 1 or 2")
	f.BoolVar(&o.validate, "validate", false, "print each refused message with its violations to standard error (without it: a summary line a second)")
	f.IntVar(&o.inFlight, "max-in-flight", defaultMaxInFlight, "HTTP requests handled at once; more are answered 429 with Retry-After")
	f.BoolVar(&o.reply, "reply", false, "answer each event with itself as the reply (HTTP only)")
	f.IntVar(&o.count, "count", 0, "stop after this many events (0: run until interrupted)")
	o.tls.addListenFlags(cmd)
	return cmd
}

// refusalInterval is the shortest time between two summary lines of
// refused messages.
const refusalInterval = time.Second

// printer writes received events as JSON lines; it is safe for concurrent
// use by transport goroutines.
type printer struct {
	mu       sync.Mutex // stdout and stderr writes
	out      io.Writer
	errOut   io.Writer
	buf      []byte
	left     int // events still wanted; <= 0 means unlimited when limit is 0
	limit    bool
	done     context.CancelFunc
	validate bool // print each refusal in full, as it happens

	// Refusals without --validate are counted here (never under mu, so a
	// refusing transport goroutine never waits for standard error) and
	// summarised by the reporter goroutine.
	refMu      sync.Mutex
	refused    int
	lastFrom   string
	lastReason string
	stop       chan struct{}
	stopped    chan struct{}
	closeOnce  sync.Once
}

func newPrinter(out, errOut io.Writer, count int, done context.CancelFunc) *printer {
	p := &printer{out: out, errOut: errOut, left: count, limit: count > 0, done: done,
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go p.reportRefusals()
	return p
}

// close stops the reporter after a last summary of refusals not yet
// reported.
func (p *printer) close() {
	p.closeOnce.Do(func() {
		close(p.stop)
		<-p.stopped
	})
}

// reportRefusals writes one summary line per refusalInterval while
// messages are being refused, until close.
func (p *printer) reportRefusals() {
	defer close(p.stopped)
	tick := time.NewTicker(refusalInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			p.flushRefusals()
		case <-p.stop:
			p.flushRefusals()
			return
		}
	}
}

func (p *printer) flushRefusals() {
	p.refMu.Lock()
	n, from, reason := p.refused, p.lastFrom, p.lastReason
	p.refused = 0
	p.refMu.Unlock()
	if n == 0 {
		return
	}
	what := "message"
	if n > 1 {
		what = "messages"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = fmt.Fprintf(p.errOut, "refused %d %s (--validate prints each); last from %s: %s\n", n, what, from, reason)
}

// Event prints e as one JSON line.
func (p *printer) Event(e *event.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limit && p.left <= 0 {
		return nil
	}
	var err error
	p.buf, err = jsonformat.Append(p.buf[:0], e)
	if err != nil {
		// The event cannot be shown in the JSON format (for example binary
		// mode data under a JSON content type that is not JSON): refuse it
		// to its sender as a permanent failure, naming the rule, rather
		// than answer as if the server had failed.
		_, _ = fmt.Fprintf(p.errOut, "refused event %s: %v\n", e.ID(), err)
		return fmt.Errorf("%w: %w", binding.ErrRejected, err)
	}
	p.buf = append(p.buf, '\n')
	if _, err := p.out.Write(p.buf); err != nil {
		return err
	}
	if p.limit {
		p.left--
		if p.left == 0 {
			p.done()
		}
	}
	return nil
}

// Refused reports a message that was not accepted: with --validate at
// once, with its violations; otherwise it is counted for the next summary
// line, without waiting for standard error.
func (p *printer) Refused(from string, err error) {
	if !p.validate {
		p.refMu.Lock()
		p.refused++
		p.lastFrom, p.lastReason = from, err.Error()
		p.refMu.Unlock()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = fmt.Fprintf(p.errOut, "refused message from %s: %v\n", from, err)
	var ve *event.ValidationError
	if errors.As(err, &ve) {
		for _, v := range ve.Violations {
			_, _ = fmt.Fprintf(p.errOut, "  %-12s %-28s %-11s %s\n", v.Pointer, v.Rule, levelOf(v.Rule), v.Message)
		}
	}
}

// Listening reports the address actually bound.
func (p *printer) Listening(what, addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = fmt.Fprintf(p.errOut, "listening for %s on %s\n", what, addr)
}

// errorHook returns a transport's WithErrorHook hook: an error wrapping
// connErr (the transport's ErrConnection) is a connection error, any
// other a refused message.
func (p *printer) errorHook(connErr error) func(peer string, err error) {
	return func(peer string, err error) {
		if errors.Is(err, connErr) {
			p.ConnError(err.Error())
			return
		}
		p.Refused(peer, err)
	}
}

// ConnError reports a connection error that reached no handler (a failed
// TLS handshake, say).
func (p *printer) ConnError(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = fmt.Fprintln(p.errOut, msg)
}

// listenError classifies a failure to bind a listening address: a
// malformed address is a usage error (exit 2), while an address in use,
// not local or not permitted is a failure of the command that ran (exit 1).
func listenError(err error) error {
	var ae *net.AddrError
	var pe *strconv.NumError
	if errors.As(err, &ae) || errors.As(err, &pe) {
		return usageError(err)
	}
	return failure(fmt.Errorf("cannot listen: %w", err))
}
