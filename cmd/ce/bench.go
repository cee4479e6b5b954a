package main

import (
	"io"

	"github.com/spf13/cobra"
)

const benchLong = `Bench measures a binding end to end on this machine, always beside a
baseline measured in the same run, and prints events/s, latency
percentiles and the ratio to the baseline. Every load targets loopback
and is bounded in count and time.`

// newBenchCommand groups the per-binding benchmarks; each binding adds
// its subcommand through newBenchXCommand in its transport_X.go file
// (nil while the binding is not in this build).
func newBenchCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a binding's throughput against a baseline (loopback only)",
		Long:  benchLong,
		Args:  cobra.NoArgs,
	}
	for _, sub := range []*cobra.Command{
		newBenchHTTPCommand(stdout, stderr),
		newBenchGRPCCommand(stdout, stderr),
		newBenchMQTTCommand(stdout, stderr),
	} {
		if sub != nil {
			cmd.AddCommand(sub)
		}
	}
	return cmd
}
