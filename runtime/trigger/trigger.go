// Package trigger connects the function runtime to the transports: each
// trigger receives events with one transport and hands every event to a
// [Dispatcher] (the host) on the transport's own goroutine, then answers
// or acknowledges as the dispatcher's outcome says.
//
// Every trigger has the same life: New… checks its configuration and does
// no I/O; Start binds or subscribes and returns once events can arrive;
// Shutdown stops intake and waits for the events in flight. The outcome
// of Dispatch decides the answer through each transport's one table from
// the event/binding outcomes: binding.ErrOverloaded is HTTP 429 with
// Retry-After and gRPC RESOURCE_EXHAUSTED; binding.ErrUnavailable (a
// draining host) 503 and UNAVAILABLE; a rejected event 400 and
// INVALID_ARGUMENT. An MQTT message is acknowledged only when Dispatch
// returned nil, so a message whose function failed is delivered again.
package trigger

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"

	"github.com/openevents/openevents/event"
)

// A Dispatcher runs the function for one event and returns its reply, if
// any. The reply must stay valid until the trigger has written it (the
// trigger writes it before it returns to its transport). The host's
// per-trigger entry point satisfies it.
type Dispatcher interface {
	Dispatch(ctx context.Context, e *event.Event) (reply *event.Event, err error)
}

// DispatchFunc adapts a function to [Dispatcher].
type DispatchFunc func(ctx context.Context, e *event.Event) (*event.Event, error)

// Dispatch calls f(ctx, e).
func (f DispatchFunc) Dispatch(ctx context.Context, e *event.Event) (*event.Event, error) {
	return f(ctx, e)
}

// A Source is a started trigger, as the runtime sees it.
type Source interface {
	// Name is the trigger's kind and address, for logs and metrics
	// ("http 127.0.0.1:8080").
	Name() string
	// Start binds or subscribes and returns once events can arrive.
	Start(ctx context.Context) error
	// Shutdown stops intake and waits for the events in flight, or for ctx.
	Shutdown(ctx context.Context) error
}

// ErrAddrInUse is wrapped by a Start that could not bind its address
// because something else listens there.
var ErrAddrInUse = errors.New("address already in use")

// listen binds addr for the trigger kind, naming the option to change
// when the port is taken.
func listen(kind, addr, option string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s trigger: %w: %s is taken by another process; choose another address with %s", kind, ErrAddrInUse, addr, option)
		}
		return nil, fmt.Errorf("%s trigger: listen on %s: %w", kind, addr, err)
	}
	return ln, nil
}

// server is the life of a trigger that listens: the address, the
// listener once bound, and Serve's result.
type server struct {
	kind, addr, option string

	mu     sync.Mutex
	ln     net.Listener
	served chan error
}

// Addr returns the bound address once started, else the configured one.
func (s *server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.addr
}

// Name returns the kind and the address.
func (s *server) Name() string { return s.kind + " " + s.Addr() }

// start binds the address and runs serve in the background.
func (s *server) start(serve func(net.Listener) error) error {
	ln, err := listen(s.kind, s.addr, s.option)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ln = ln
	s.served = make(chan error, 1)
	s.mu.Unlock()
	go func() { s.served <- serve(ln) }()
	return nil
}

// stop calls shutdown, then returns Serve's error if shutdown had none.
func (s *server) stop(ctx context.Context, shutdown func(context.Context) error) error {
	err := shutdown(ctx)
	s.mu.Lock()
	served := s.served
	s.mu.Unlock()
	if served != nil {
		if serr := <-served; serr != nil && err == nil {
			err = serr
		}
	}
	return err
}
