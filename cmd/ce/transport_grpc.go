package main

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// The GRPC binding is not part of this build yet; its issue tracks the work.
// These two functions are the seam where it plugs into ce send and ce listen.

var errGRPCMissing = errors.New("the GRPC binding is not available in this build yet")

func sendGRPC(_ context.Context, _ io.Writer, _ *sendOptions, _ binding.Mode, _ *event.Event) error {
	return usageError(errGRPCMissing)
}

func listenGRPC(_ context.Context, _ *listenOptions, _ *printer) error {
	return usageError(errGRPCMissing)
}

// newBenchGRPCCommand returns the "ce bench grpc" subcommand, or nil while the
// binding is not in this build.
func newBenchGRPCCommand(_, _ io.Writer) *cobra.Command { return nil }
