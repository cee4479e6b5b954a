// Command receiver is sdk-go v2's HTTP receiver as a conformance peer: it
// answers every event it receives with that event (an echo), so the
// conformance suite sees what sdk-go decoded and how it encodes a reply.
//
// It is built as sdk-go's users build a receiver: cloudevents.NewHTTP with
// a listener, then cloudevents.NewClient. NewClientHTTP is not used: its
// default options stamp a time (and an id where missing) on every outgoing
// event, replies included, which would hide what was decoded.
//
//	receiver [-addr 127.0.0.1:0]
//
// Once listening it prints one line, READY http://HOST:PORT/, on stdout,
// then serves until SIGTERM or SIGINT and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "receiver:", err)
		os.Exit(1) //nolint:forbidigo // a program, as in cmd/: it decides its exit status
	}
}

func run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// sdk-go's shutdown waits up to a minute by default for requests in
	// progress; a test run leaves some half-sent on purpose, so the wait
	// is bounded well inside the harness's stop timeout.
	p, err := cloudevents.NewHTTP(cloudevents.WithListener(ln), cloudevents.WithShutdownTimeout(2*time.Second))
	if err != nil {
		_ = ln.Close()
		return err
	}
	c, err := cloudevents.NewClient(p)
	if err != nil {
		_ = ln.Close()
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan error, 1)
	go func() {
		done <- c.StartReceiver(ctx, func(e cloudevents.Event) *cloudevents.Event { return &e })
	}()
	// The listener is bound already, so the address is final; sdk-go
	// serves on it once StartReceiver runs, and connections made before
	// that wait in the listen backlog.
	fmt.Printf("READY http://%s/\n", ln.Addr()) //nolint:forbidigo // a program, as in cmd/: the READY line is its interface

	select {
	case err := <-done:
		// The receiver stopped without being asked to.
		if err == nil {
			err = errors.New("the receiver stopped")
		}
		return err
	case <-ctx.Done():
	}
	// StartReceiver returns once sdk-go has shut its server down (the
	// shutdown timeout above bounds that); wait a little longer at most.
	select {
	case err := <-done:
		if err != nil {
			// Stopping is what was asked; say how it went, exit 0.
			fmt.Fprintln(os.Stderr, "receiver: stopped:", err)
		}
	case <-time.After(3 * time.Second):
		fmt.Fprintln(os.Stderr, "receiver: sdk-go did not stop within 3s")
	}
	return nil
}
