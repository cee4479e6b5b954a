package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"
)

const benchLong = `Bench measures the JSON codecs, or a binding end to end, on this machine,
always beside a baseline measured in the same run, and prints events/s
(or ns/op) and the ratio to the baseline. Every load targets loopback
and is bounded in count and time.`

// newBenchCommand groups the benchmarks: the JSON codecs (bench_json.go)
// and one per binding, which each binding adds through newBenchXCommand
// in its transport_X.go file (nil while the binding is not in this build).
func newBenchCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the codecs or a binding against a baseline (loopback only)",
		Long:  benchLong,
		Args:  cobra.NoArgs,
	}
	for _, sub := range []*cobra.Command{
		newBenchJSONCommand(stdout, stderr),
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

// startBenchChild runs "ce bench BINDING --serve KIND" as a child process,
// so that the server under test and the load generator do not share a Go
// runtime, and returns the address the child reports ("listening on
// ADDR" on its first stdout line) and a function that stops it (closing
// its stdin is the child's signal to shut down).
func startBenchChild(ctx context.Context, bindingName, kind string) (string, func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	child := exec.CommandContext(ctx, exe, "bench", bindingName, "--serve", kind)
	stdin, err := child.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := child.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		return "", nil, err
	}
	stop := func() error {
		_ = stdin.Close()
		return child.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		_ = stop()
		return "", nil, fmt.Errorf("the %s %s child did not report its address (%q): %w", bindingName, kind, line, err)
	}
	return addr, stop, nil
}

// writeBenchJSON writes a bench report to path as indented JSON.
func writeBenchJSON(path string, report any) error {
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
