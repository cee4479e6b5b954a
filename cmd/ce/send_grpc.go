package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// sendGRPC sends e to the EventService at --grpc: binary and structured
// mode both mean the unary Publish (the binding has structured mode only),
// batch mode a Stream carrying a batch of one. It prints the status.
func sendGRPC(ctx context.Context, stdout io.Writer, o *sendOptions, mode binding.Mode, e *event.Event, tc *tls.Config) error {
	c, err := cegrpc.NewClient(o.grpcAddr, cegrpc.WithTLS(tc)) // WithTLS(nil) leaves TLS off
	if err != nil {
		return usageError(err)
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	if mode == binding.ModeBatch {
		err = streamOne(ctx, c, e)
	} else {
		err = c.Publish(ctx, e)
	}
	if err != nil {
		if ge, ok := errors.AsType[*cegrpc.Error](err); ok {
			if _, werr := fmt.Fprintf(stdout, "gRPC %s\n", ge.Code); werr != nil {
				return failure(werr)
			}
		}
		return failure(err)
	}
	if _, err := fmt.Fprintln(stdout, "gRPC OK"); err != nil {
		return failure(err)
	}
	return nil
}

func streamOne(ctx context.Context, c *cegrpc.Client, e *event.Event) error {
	s, err := c.Stream(ctx)
	if err != nil {
		return err
	}
	a, err := s.Send(ctx, []event.Event{*e})
	if err != nil {
		_ = s.Close(ctx)
		return err
	}
	res, err := a.Wait(ctx)
	if cerr := s.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(res.Failures) > 0 {
		return res.Failures[0]
	}
	return nil
}
