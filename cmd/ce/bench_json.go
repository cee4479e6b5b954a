package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	sdk "github.com/cloudevents/sdk-go/v2/event"
	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
)

const benchJSONLong = `Bench json measures the JSON event format's codecs against sdk-go's on
this machine: decoding one event, encoding one, validating one, and
decoding a batch of 100 (of the typical event and of a larger one).

Each round measures every case for both libraries, one after the other,
for --slice each; a ratio is taken per round, from measurements seconds
apart, so that a machine whose speed drifts (a shared or virtual one)
still gives steady ratios. The table shows the medians over the rounds
and the range of the ratios. By default the process runs on one core
(GOMAXPROCS 1), the collector included.`

type benchJSONOptions struct {
	rounds  int
	slice   time.Duration
	procs   int
	jsonOut string
}

func newBenchJSONCommand(stdout, stderr io.Writer) *cobra.Command {
	var o benchJSONOptions
	cmd := &cobra.Command{
		Use:   "json",
		Short: "The JSON format's codecs against sdk-go's, interleaved",
		Long:  benchJSONLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case o.rounds < 1:
				return usageError(errors.New("--rounds must be at least 1"))
			case o.slice <= 0:
				return usageError(errors.New("--slice must be positive"))
			case o.procs < 1:
				return usageError(errors.New("--procs must be at least 1"))
			}
			return runBenchJSON(stdout, stderr, &o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.rounds, "rounds", 5, "measurements of each case and library")
	f.DurationVar(&o.slice, "slice", 300*time.Millisecond, "how long one measurement runs")
	f.IntVar(&o.procs, "procs", 1, "GOMAXPROCS while measuring")
	f.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	return cmd
}

// jsonBenchCase is one operation, done n times by ours and by theirs.
type jsonBenchCase struct {
	name   string
	events int // events per operation: 1, or a batch's size
	ours   func(n int) error
	theirs func(n int) error
}

// jsonBenchBatch is the size of the benchmark batches.
const jsonBenchBatch = 100

// batchOfCopies returns a JSON batch of n copies of doc, each with an id
// of its own.
func batchOfCopies(doc string, n int) []byte {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.Replace(doc, "7f6c9f2e", strconv.Itoa(10000000+i), 1)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

// jsonBenchCases builds the cases on the typical event, as the codec
// benchmarks of package jsonformat do.
func jsonBenchCases() ([]jsonBenchCase, error) {
	one := []byte(eventtest.Typical)
	var decoded event.Event
	if err := jsonformat.Decode(one, &decoded); err != nil {
		return nil, err
	}
	// Validate's case uses an event built by setters, so that no verdict
	// of the decoder's Check is remembered.
	var cold event.Event
	decoded.Attributes(func(name string, v event.Value) bool { cold.Set(name, v); return true })
	var sdkEvent sdk.Event
	if err := json.Unmarshal(one, &sdkEvent); err != nil {
		return nil, err
	}
	var cases []jsonBenchCase
	cases = append(cases,
		jsonBenchCase{"decode", 1,
			func(n int) error {
				var e event.Event
				for range n {
					if err := jsonformat.Decode(one, &e); err != nil {
						return err
					}
				}
				return nil
			},
			func(n int) error {
				for range n {
					var e sdk.Event
					if err := json.Unmarshal(one, &e); err != nil {
						return err
					}
				}
				return nil
			}},
		jsonBenchCase{"encode", 1,
			func(n int) error {
				buf := make([]byte, 0, 1024)
				for range n {
					var err error
					if buf, err = jsonformat.Append(buf[:0], &decoded); err != nil {
						return err
					}
				}
				return nil
			},
			func(n int) error {
				for range n {
					if _, err := json.Marshal(sdkEvent); err != nil {
						return err
					}
				}
				return nil
			}},
		jsonBenchCase{"validate", 1,
			func(n int) error {
				for range n {
					if err := cold.Validate(); err != nil {
						return err
					}
				}
				return nil
			},
			func(n int) error {
				for range n {
					if err := sdkEvent.Validate(); err != nil {
						return err
					}
				}
				return nil
			}},
	)
	for _, b := range []struct{ name, doc string }{
		{"decode batch", eventtest.Typical},
		{"decode batch, large", eventtest.Large},
	} {
		in := batchOfCopies(b.doc, jsonBenchBatch)
		cases = append(cases, jsonBenchCase{b.name, jsonBenchBatch,
			func(n int) error {
				dst := make([]event.Event, 0, jsonBenchBatch)
				for range n {
					var err error
					if dst, err = jsonformat.DecodeBatch(in, dst[:0]); err != nil {
						return err
					}
				}
				return nil
			},
			func(n int) error {
				for range n {
					var events []sdk.Event
					if err := json.Unmarshal(in, &events); err != nil {
						return err
					}
				}
				return nil
			}})
	}
	return cases, nil
}

// measureOps runs op with growing counts until one call lasts at least d,
// and returns that call's nanoseconds per operation. Each call starts
// after a collection, as go test's benchmarks do, so that neither library
// pays for the other's garbage.
func measureOps(op func(n int) error, d time.Duration) (float64, error) {
	for n := 1; ; {
		runtime.GC()
		start := time.Now()
		if err := op(n); err != nil {
			return 0, err
		}
		elapsed := time.Since(start)
		if elapsed >= d || n >= 1<<30 {
			return float64(elapsed.Nanoseconds()) / float64(n), nil
		}
		// Aim 20% past d from the rate so far, growing at most 100-fold.
		next := int(1.2 * float64(n) * float64(d) / float64(max(elapsed, time.Microsecond)))
		n = min(max(next, n+1), 100*n)
	}
}

// jsonBenchRow is one case's result; times are nanoseconds per operation,
// one per round.
type jsonBenchRow struct {
	Case         string    `json:"case"`
	EventsPerOp  int       `json:"events_per_op"`
	OursNsPerOp  []float64 `json:"openevents_ns_per_op"`
	SDKNsPerOp   []float64 `json:"sdkgo_ns_per_op"`
	Ratios       []float64 `json:"ratios"`
	MedianRatio  float64   `json:"median_ratio"`
	OursPerSec   float64   `json:"openevents_events_per_second"`
	SDKPerSecond float64   `json:"sdkgo_events_per_second"`
}

// jsonBenchReport is the JSON form of a ce bench json run.
type jsonBenchReport struct {
	EventBytes int            `json:"event_bytes"`
	BatchSize  int            `json:"batch_size"`
	Rounds     int            `json:"rounds"`
	SliceMs    int64          `json:"slice_ms"`
	Procs      int            `json:"gomaxprocs"`
	Cores      int            `json:"cores"`
	GoVersion  string         `json:"go_version"`
	Results    []jsonBenchRow `json:"results"`
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func runBenchJSON(stdout, stderr io.Writer, o *benchJSONOptions) error {
	cases, err := jsonBenchCases()
	if err != nil {
		return failure(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.procs))
	rows := make([]jsonBenchRow, len(cases))
	for i, c := range cases {
		rows[i] = jsonBenchRow{Case: c.name, EventsPerOp: c.events}
	}
	for round := range o.rounds {
		for i, c := range cases {
			// Alternate which library goes first, so that neither always
			// runs second.
			first, second := c.ours, c.theirs
			if round%2 == 1 {
				first, second = second, first
			}
			a, err := measureOps(first, o.slice)
			if err != nil {
				return failure(fmt.Errorf("%s: %w", c.name, err))
			}
			b, err := measureOps(second, o.slice)
			if err != nil {
				return failure(fmt.Errorf("%s: %w", c.name, err))
			}
			ours, theirs := a, b
			if round%2 == 1 {
				ours, theirs = b, a
			}
			r := &rows[i]
			r.OursNsPerOp = append(r.OursNsPerOp, ours)
			r.SDKNsPerOp = append(r.SDKNsPerOp, theirs)
			r.Ratios = append(r.Ratios, theirs/ours)
			_, _ = fmt.Fprintf(stderr, "round %d/%d %-20s openevents %12.1f ns/op  sdk-go %12.1f ns/op  %6.1fx\n", round+1, o.rounds, c.name, ours, theirs, theirs/ours)
		}
	}
	report := jsonBenchReport{
		EventBytes: len(eventtest.Typical), BatchSize: jsonBenchBatch, Rounds: o.rounds,
		SliceMs: o.slice.Milliseconds(), Procs: o.procs, Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
	}
	var out strings.Builder
	fmt.Fprintf(&out, "JSON format, typical event (%d bytes), batches of %d; GOMAXPROCS %d of %d cores, %s; rounds %d, %s per case and library, interleaved\n",
		len(eventtest.Typical), jsonBenchBatch, o.procs, runtime.NumCPU(), runtime.Version(), o.rounds, o.slice)
	fmt.Fprintf(&out, "%-20s %22s %22s %9s %15s\n", "case", "openevents (median)", "sdk-go (median)", "ratio", "ratio range")
	for i := range rows {
		r := &rows[i]
		r.MedianRatio = median(r.Ratios)
		ours, theirs := median(r.OursNsPerOp), median(r.SDKNsPerOp)
		r.OursPerSec, r.SDKPerSecond = float64(r.EventsPerOp)*1e9/ours, float64(r.EventsPerOp)*1e9/theirs
		left, right := fmt.Sprintf("%.1f ns/op", ours), fmt.Sprintf("%.1f ns/op", theirs)
		if r.EventsPerOp > 1 {
			left, right = fmt.Sprintf("%.0f events/s", r.OursPerSec), fmt.Sprintf("%.0f events/s", r.SDKPerSecond)
		}
		fmt.Fprintf(&out, "%-20s %22s %22s %8.1fx %6.1f-%.1fx\n", r.Case, left, right, r.MedianRatio, slices.Min(r.Ratios), slices.Max(r.Ratios))
	}
	report.Results = rows
	if _, err := io.WriteString(stdout, out.String()); err != nil {
		return failure(err)
	}
	if o.jsonOut != "" {
		if err := writeBenchJSON(o.jsonOut, report); err != nil {
			return failure(err)
		}
	}
	return nil
}
