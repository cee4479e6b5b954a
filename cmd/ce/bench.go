package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/internal/bench"
	"github.com/openevents/openevents/internal/bench/benchgrpc"
	"github.com/openevents/openevents/internal/bench/benchhttp"
	"github.com/openevents/openevents/internal/bench/benchjson"
	"github.com/openevents/openevents/internal/bench/benchmqtt"
)

// This file parses the flags of ce bench and prints; the harnesses are
// in internal/bench (one subpackage per subject), and so is the
// child-process protocol by which "ce bench http|grpc --serve KIND"
// serves the receiver under test in a process of its own.

const benchLong = `Bench measures the JSON codecs, or a binding end to end, on this machine,
always beside a baseline measured in the same run, and prints events/s
(or ns/op) and the ratio to the baseline. Every load targets loopback
and is bounded in count and time.`

// newBenchCommand groups the benchmarks: the JSON codecs and one per
// binding.
func newBenchCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the codecs or a binding against a baseline (loopback only)",
		Long:  benchLong,
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		newBenchJSONCommand(stdout, stderr),
		newBenchHTTPCommand(stdout, stderr),
		newBenchGRPCCommand(stdout, stderr),
		newBenchMQTTCommand(stdout),
	)
	return cmd
}

// progressTo returns a Progress hook writing each line to w.
func progressTo(w io.Writer) func(string) {
	return func(line string) { _, _ = fmt.Fprintln(w, line) }
}

// writeBenchReport prints text and, with a path, writes report as JSON.
func writeBenchReport(stdout io.Writer, text []byte, jsonPath string, report any) error {
	if _, err := stdout.Write(text); err != nil {
		return failure(err)
	}
	if jsonPath != "" {
		if err := bench.WriteJSON(jsonPath, report); err != nil {
			return failure(err)
		}
	}
	return nil
}

// benchChild returns the arguments that make ce serve a receiver of ce
// bench NAME by package bench's protocol (the kind is appended), or nil
// to serve in this process (--in-process, for tests, whose binary is not
// ce).
func benchChild(name string, inProcess bool) []string {
	if inProcess {
		return nil
	}
	return []string{"bench", name, "--serve"}
}

// serveBenchChild is the child side of ce bench http|grpc --serve KIND;
// known says which kinds there are, want describes them.
func serveBenchChild(cmd *cobra.Command, stdout io.Writer, kind string, known func(string) bool, want string, serve func(string) bench.Serve) error {
	if !known(kind) {
		return usageError(fmt.Errorf("--serve %q: want %s", kind, want))
	}
	return failure(bench.ServeChild(cmd.Context(), cmd.InOrStdin(), stdout, serve(kind)))
}

const benchJSONLong = `Bench json measures the JSON event format's codecs against sdk-go's on
this machine: decoding one event, encoding one, validating one, and
decoding a batch of 100 (of the typical event and of a larger one).

Each round measures every case for both libraries, one after the other,
for --slice each; a ratio is taken per round, from measurements seconds
apart, so that a machine whose speed drifts (a shared or virtual one)
still gives steady ratios. The table shows the medians over the rounds
and the range of the ratios. By default the process runs on one core
(GOMAXPROCS 1), the collector included.`

func newBenchJSONCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		o       benchjson.Options
		jsonOut string
	)
	cmd := &cobra.Command{
		Use:   "json",
		Short: "The JSON format's codecs against sdk-go's, interleaved",
		Long:  benchJSONLong,
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			switch {
			case o.Rounds < 1:
				return usageError(errors.New("--rounds must be at least 1"))
			case o.Slice <= 0:
				return usageError(errors.New("--slice must be positive"))
			case o.Procs < 1:
				return usageError(errors.New("--procs must be at least 1"))
			}
			o.Progress = progressTo(stderr)
			rep, err := benchjson.Compare(o)
			if err != nil {
				return failure(err)
			}
			return writeBenchReport(stdout, rep.Text(), jsonOut, rep)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Rounds, "rounds", 5, "measurements of each case and library")
	f.DurationVar(&o.Slice, "slice", 300*time.Millisecond, "how long one measurement runs")
	f.IntVar(&o.Procs, "procs", 1, "GOMAXPROCS while measuring")
	f.StringVar(&jsonOut, "json", "", "also write the results as JSON to this file")
	return cmd
}

const benchHTTPLong = `Bench http measures CloudEvents HTTP receivers on this machine with one
in-repo load generator (fasthttp's client), each receiver in its own child
process serving 127.0.0.1:0:

  openevents-fasthttp  our runtime-grade server (cefasthttp.Server)
  openevents-nethttp   our net/http Handler (cehttp.Server)
  sdk-go               sdk-go's client.StartReceiver
  bare-nethttp         a bare net/http handler reading the body, checking ce-id
  bare-fasthttp        a bare fasthttp handler reading the body, checking ce-id

Each request is one binary-mode event with a 50-byte JSON body (or, with
--batch N, a batch of N events, for our receivers only). Each run of each
receiver is bounded by --duration and --max-requests; with --runs N every
receiver is measured N times, interleaved, and the best run is reported
(noise on a shared machine only slows a run down). The table shows events/s,
p50/p99 latency, and the ratios the HTTP binding's targets are stated in.`

func newBenchHTTPCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		o         benchhttp.Options
		jsonOut   string
		inProcess bool
		serve     string
	)
	cmd := &cobra.Command{
		Use:   "http [flags]",
		Short: "Compare our HTTP receivers with sdk-go and bare net/http and fasthttp handlers",
		Long:  benchHTTPLong,
		Example: `  ce bench http
  ce bench http --duration 10s --runs 3 --json bench-http.json
  ce bench http --batch 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serve != "" {
				return serveBenchChild(cmd, stdout, serve, benchhttp.Known, "one of "+strings.Join(benchhttp.Servers, ", "), benchhttp.Server)
			}
			if o.Runs < 1 || o.Connections < 1 || o.Duration <= 0 || o.MaxRequests < 1 || o.Batch < 0 {
				return usageError(errors.New("--runs, --connections, --duration and --max-requests must be positive, --batch >= 0"))
			}
			for _, s := range o.Servers {
				if !benchhttp.Known(s) {
					return usageError(fmt.Errorf("unknown receiver %q (want one of %s)", s, strings.Join(benchhttp.Servers, ", ")))
				}
			}
			o.Child, o.Progress = benchChild("http", inProcess), progressTo(stderr)
			rep, err := benchhttp.Compare(cmd.Context(), o)
			if err != nil {
				return failure(err)
			}
			text := rep.Text()
			if jsonOut != "" {
				if err := bench.WriteJSON(jsonOut, rep); err != nil {
					return failure(err)
				}
				text = fmt.Appendf(text, "\nwrote %s\n", jsonOut)
			}
			return writeBenchReport(stdout, text, "", nil)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.Duration, "duration", 5*time.Second, "measured time per receiver and run")
	f.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured load before each measurement")
	f.IntVar(&o.Connections, "connections", 64, "concurrent connections")
	f.IntVar(&o.MaxRequests, "max-requests", 5_000_000, "stop a measurement after this many requests")
	f.IntVar(&o.Runs, "runs", 2, "measurements per receiver; the best is reported")
	f.IntVar(&o.Batch, "batch", 0, "events per request in batched mode (our receivers only); 0 for binary mode")
	f.StringSliceVar(&o.Servers, "servers", nil, "receivers to measure (default: all; with --batch, ours)")
	f.StringVar(&jsonOut, "json", "", "also write the results as JSON to this file")
	f.BoolVar(&inProcess, "in-process", false, "serve the receivers in this process instead of child processes (for tests)")
	f.StringVar(&serve, "serve", "", "internal: serve this receiver on 127.0.0.1:0 until standard input closes")
	_ = f.MarkHidden("serve")
	return cmd
}

const benchGRPCLong = `Bench grpc measures the EventService Stream over loopback TCP between
two processes: this one sends batches of typical events (seven attributes,
a traceparent extension, about 100 bytes of JSON data) and a child process
serving 127.0.0.1:0 decodes and validates them, hands each to a no-op
handler and acknowledges each batch. The window of unacknowledged events
bounds what is in flight.

The baseline, measured in the same run, is a bare gRPC bidirectional
stream carrying the same bytes with no CloudEvents work on either side:
the transport's own limit on this machine. A third side, ce-run, is the
function runtime as ce run's gRPC trigger runs it by default (the host's
dispatch around a no-op function, under the default per-event timeout)
behind the same Stream; it is judged against the openevents side, and
must keep at least 0.9 of it. Every measurement is bounded by --events
and --duration.`

func newBenchGRPCCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		o         benchgrpc.Options
		serve     string
		inProcess bool
	)
	cmd := &cobra.Command{
		Use:   "grpc [flags]",
		Short: "EventService Stream throughput between two processes, against a bare gRPC stream",
		Long:  benchGRPCLong,
		Example: `  ce bench grpc
  ce bench grpc --events 5000000 --duration 20s --runs 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serve != "" {
				return serveBenchChild(cmd, stdout, serve, benchgrpc.Known, "openevents, ce-run or baseline", benchgrpc.Server)
			}
			if o.Events < 1 || o.Events > 100_000_000 || o.Batch < 1 || o.Batch > 10_000 || o.Window < o.Batch ||
				o.Streams < 1 || o.Streams > 64 || o.Duration <= 0 || o.Duration > 10*time.Minute || o.Runs < 1 || o.Runs > 10 {
				return usageError(errors.New("want --events 1..1e8, --batch 1..10000, --window >= --batch, --streams 1..64, --duration up to 10m, --runs 1..10"))
			}
			o.Child, o.Progress = benchChild("grpc", inProcess), progressTo(stderr)
			rep, err := benchgrpc.Compare(cmd.Context(), o)
			if err != nil {
				return failure(err)
			}
			return writeBenchReport(stdout, rep.Text(), "", nil)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Events, "events", 2_000_000, "stop a measurement after this many acknowledged events")
	f.IntVar(&o.Batch, "batch", 100, "events per batch")
	f.IntVar(&o.Window, "window", 2000, "unacknowledged events in flight per stream")
	f.IntVar(&o.Streams, "streams", 2, "concurrent streams")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "stop a measurement after this long")
	f.IntVar(&o.Runs, "runs", 2, "measurements of each side; the best is reported")
	f.BoolVar(&inProcess, "in-process", false, "serve in this process instead of a child process (for tests)")
	f.StringVar(&serve, "serve", "", "internal: serve this side (openevents, ce-run or baseline) on 127.0.0.1:0 until standard input closes")
	_ = f.MarkHidden("serve")
	return cmd
}

const benchMQTTLong = `Bench mqtt publishes a bounded stream of typical events (QoS 1 and QoS 0,
binary and structured mode) through an MQTT broker and measures how fast
our subscriber (decode, handler, acknowledgement after the handler)
receives them, beside a bare paho subscriber that only counts messages,
on the same broker in the same run. Each pair runs --rounds times,
alternating, and the best rate of each is kept.

Brokers: the embedded broker (always, on 127.0.0.1 and a free port) and,
with --mosquitto HOST:PORT or --mosquitto-from-env
(OPENEVENTS_MOSQUITTO_ADDR, as make bench-mqtt sets it), a Mosquitto
broker. Loopback only.`

func newBenchMQTTCommand(stdout io.Writer) *cobra.Command {
	var (
		o       benchmqtt.Options
		fromEnv bool
		timeout time.Duration
		jsonOut string
	)
	cmd := &cobra.Command{
		Use:   "mqtt [flags]",
		Short: "MQTT subscriber throughput against a bare paho subscriber",
		Long:  benchMQTTLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Count <= 0 || o.Count > 1_000_000 || o.Publishers <= 0 || o.Publishers > 256 || o.Rounds <= 0 || o.Rounds > 10 {
				return usageError(errors.New("--count must be 1..1000000, --publishers 1..256, --rounds 1..10"))
			}
			if fromEnv && o.Mosquitto == "" {
				o.Mosquitto = os.Getenv("OPENEVENTS_MOSQUITTO_ADDR")
				if o.Mosquitto == "" {
					return usageError(errors.New("--mosquitto-from-env: OPENEVENTS_MOSQUITTO_ADDR is not set"))
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			// The rows are printed as they are measured, under the heading.
			if _, err := io.WriteString(stdout, benchmqtt.Heading(o)); err != nil {
				return failure(err)
			}
			var werr error
			o.Progress = func(line string) {
				if _, err := fmt.Fprintln(stdout, line); err != nil && werr == nil {
					werr = err
					cancel()
				}
			}
			rep, err := benchmqtt.Compare(ctx, o)
			if werr != nil {
				return failure(werr)
			}
			if err != nil {
				return failure(err)
			}
			return writeBenchReport(stdout, nil, jsonOut, rep)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Count, "count", 20000, "events per measurement")
	f.IntVar(&o.Publishers, "publishers", 32, "concurrent publishing goroutines")
	f.IntVar(&o.Rounds, "rounds", 3, "measurements per subscriber and case; the best is kept")
	f.StringVar(&o.Mosquitto, "mosquitto", "", "also measure through the Mosquitto broker at HOST:PORT")
	f.BoolVar(&fromEnv, "mosquitto-from-env", false, "take the Mosquitto address from OPENEVENTS_MOSQUITTO_ADDR")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	f.StringVar(&jsonOut, "json", "", "also write the results as JSON to this file")
	return cmd
}
