package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"sync"
	"syscall"

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

Messages that are not valid CloudEvents are refused to their sender; with
--validate each refusal is also printed to standard error with the
requirement IDs it breaks. ADDR is host:port; port 0 picks a free port, and
the address actually bound is printed to standard error.

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
	tls      tlsFlags
}

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
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			p := newPrinter(stdout, stderr, o.count, stop)
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
	f.BoolVar(&o.validate, "validate", false, "print the violations of refused messages to standard error")
	f.BoolVar(&o.reply, "reply", false, "answer each event with itself as the reply (HTTP only)")
	f.IntVar(&o.count, "count", 0, "stop after this many events (0: run until interrupted)")
	o.tls.addListenFlags(cmd)
	return cmd
}

// printer writes received events as JSON lines; it is safe for concurrent
// use by transport goroutines.
type printer struct {
	mu     sync.Mutex
	out    io.Writer
	errOut io.Writer
	buf    []byte
	left   int // events still wanted; <= 0 means unlimited when limit is 0
	limit  bool
	done   context.CancelFunc
}

func newPrinter(out, errOut io.Writer, count int, done context.CancelFunc) *printer {
	return &printer{out: out, errOut: errOut, left: count, limit: count > 0, done: done}
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

// Refused reports a message that was not accepted, with its violations.
func (p *printer) Refused(from string, err error) {
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

// ConnError reports a connection error that reached no handler (a failed
// TLS handshake, say).
func (p *printer) ConnError(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = fmt.Fprintln(p.errOut, msg)
}
