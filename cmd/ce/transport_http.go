package main

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// The HTTP binding is not part of this build yet; its issue tracks the work.
// These two functions are the seam where it plugs into ce send and ce listen.

var errHTTPMissing = errors.New("the HTTP binding is not available in this build yet")

func sendHTTP(_ context.Context, _ io.Writer, _ *sendOptions, _ binding.Mode, _ *event.Event) error {
	return usageError(errHTTPMissing)
}

func listenHTTP(_ context.Context, _ *listenOptions, _ *printer) error {
	return usageError(errHTTPMissing)
}

// newBenchHTTPCommand returns the "ce bench http" subcommand, or nil while the
// binding is not in this build.
func newBenchHTTPCommand(_, _ io.Writer) *cobra.Command { return nil }
