package main

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// The MQTT binding is not part of this build yet; its issue tracks the work.
// These two functions are the seam where it plugs into ce send and ce listen.

var errMQTTMissing = errors.New("the MQTT binding is not available in this build yet")

func sendMQTT(_ context.Context, _ io.Writer, _ *sendOptions, _ binding.Mode, _ *event.Event) error {
	return usageError(errMQTTMissing)
}

func listenMQTT(_ context.Context, _ *listenOptions, _ *printer) error {
	return usageError(errMQTTMissing)
}

// newBenchMQTTCommand returns the "ce bench mqtt" subcommand, or nil while the
// binding is not in this build.
func newBenchMQTTCommand(_, _ io.Writer) *cobra.Command { return nil }
