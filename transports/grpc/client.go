package grpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
	"github.com/openevents/openevents/transports/internal/tlsdiag"
)

// Client sends events to, and subscribes at, an openevents.v1.EventService.
// It is safe for concurrent use; Close releases its connection.
type Client struct {
	conn   *grpc.ClientConn
	cfg    *config
	target string
}

// NewClient returns a Client for target (host:port, or any gRPC target
// string). It does not connect until the first call. Options: WithTLS
// (default plaintext), WithPerRPCCredentials, WithKeepAlive,
// WithMaxMessageBytes, WithWindow, WithDialOptions.
func NewClient(target string, opts ...ClientOption) (*Client, error) {
	cfg, err := newClientConfig(opts)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(target, cfg.dial()...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &Client{conn: conn, cfg: cfg, target: target}, nil
}

// NewSender is NewClient under the name of the constructor every
// transport's sending side shares (cehttp.NewSender, cemqtt.NewSender):
// it checks its arguments and connects on first use.
func NewSender(target string, opts ...ClientOption) (*Client, error) {
	return NewClient(target, opts...)
}

// Close closes the connection; calls in progress fail. It does not wait,
// so ctx is unused; it is there for the sending shape every transport
// shares (Send, SendBatch, Close(ctx)).
func (c *Client) Close(ctx context.Context) error { return c.conn.Close() }

// Send is [Client.Publish]: the name of the sending method every
// transport shares.
func (c *Client) Send(ctx context.Context, e *event.Event) error { return c.Publish(ctx, e) }

// SendBatch sends events as one batch on a Stream of its own and returns
// once the receiver acknowledged it: nil when it accepted every event,
// otherwise the first failure (an [*Error] with the event's index). For a
// flow of batches, keep one [Client.Stream] open instead. events are not
// retained.
func (c *Client) SendBatch(ctx context.Context, events []event.Event) error {
	st, err := c.Stream(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close(ctx) }()
	ack, err := st.Send(ctx, events)
	if err != nil {
		return err
	}
	res, err := ack.Wait(ctx)
	switch {
	case err != nil:
		return err
	case len(res.Failures) > 0:
		return res.Failures[0]
	}
	return nil
}

// Publish sends e with the unary Publish method and returns nil once the
// receiver's handler accepted it. Otherwise it returns an
// *protoformat.EncodeError for an event that cannot be encoded, or an
// [*Error] with the receiver's status: errors.Is(err, binding.ErrRejected)
// tells a permanent refusal, [IsRetryable] a transient one. e is not
// retained.
func (c *Client) Publish(ctx context.Context, e *event.Event) error {
	b, err := protoformat.AppendField(make([]byte, 0, 256+len(e.Data())), 1, e)
	if err != nil {
		return err
	}
	var req, resp frame
	req.set(b)
	return c.explain(ctx, errorOf(c.conn.Invoke(ctx, eventServicePublish, &req, &resp)))
}

// explain adds what the TLS layer knows to an UNAVAILABLE from a server
// reached with WithTLS (see tlsdiag.Explain).
func (c *Client) explain(ctx context.Context, err error) error {
	if c.cfg.tls == nil {
		return err
	}
	if ge, ok := errors.AsType[*Error](err); !ok || ge.Code != codes.Unavailable {
		return err
	}
	addr := c.target
	if i := strings.Index(addr, ":///"); i >= 0 {
		addr = addr[i+len(":///"):]
	}
	if _, _, serr := net.SplitHostPort(addr); serr != nil {
		return err
	}
	return tlsdiag.Explain(ctx, err, addr, c.cfg.tls)
}

var subscribeDesc = grpc.StreamDesc{StreamName: "Subscribe", ServerStreams: true}

// Subscribe asks the server for the events that match f and hands each to
// h, one at a time, until ctx ends (it then returns nil), the server ends
// the call (nil when it drains, an [*Error] otherwise), or h returns an
// error, which Subscribe returns. Delivery is at most once: the server
// does not wait for h. An event the server sends that does not decode
// ends the call with its decode error.
func (c *Client) Subscribe(ctx context.Context, f Filter, h binding.Handler) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs, err := c.conn.NewStream(ctx, &subscribeDesc, eventServiceSubscribe)
	if err != nil {
		return errorOf(err)
	}
	var req frame
	req.set((&subscribeRequest{typ: f.Type, source: f.Source, subjectPrefix: f.SubjectPrefix}).append(nil))
	if err := cs.SendMsg(&req); err != nil {
		return errorOf(err)
	}
	if err := cs.CloseSend(); err != nil {
		return errorOf(err)
	}
	var in frame
	var events []event.Event
	for {
		if err := cs.RecvMsg(&in); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return errorOf(err)
		}
		events, err = aliasing.DecodeBatch(in.bytes(), events[:0])
		if err != nil {
			return err
		}
		for i := range events {
			if err := h.Handle(ctx, &events[i]); err != nil {
				return err
			}
		}
	}
}
