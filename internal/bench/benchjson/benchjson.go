// Package benchjson measures the JSON event format's codecs against
// sdk-go's on this machine: decoding one event, encoding one, validating
// one, and decoding a batch (of the typical event and of a larger one).
// "ce bench json" and "make bench" use it.
//
// Each round measures every case for both libraries, one after the
// other, alternating which goes first; a ratio is taken per round, so
// that a machine whose speed drifts still gives steady ratios.
package benchjson

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/internal/bench"
)

// Options configure Compare; the caller validates them (all positive).
type Options struct {
	Rounds int           // measurements of each case and library
	Slice  time.Duration // how long one measurement runs
	Procs  int           // GOMAXPROCS while measuring
	// Progress, if set, is called after each round of a case with a line
	// describing it (no newline).
	Progress func(line string)
}

// benchCase is one operation, done n times by ours and by theirs.
type benchCase struct {
	name   string
	events int // events per operation: 1, or a batch's size
	ours   func(n int) error
	theirs func(n int) error
}

// BatchSize is the number of events in the benchmark batches.
const BatchSize = 100

// batchOfCopies returns a JSON batch of n copies of doc, each with an id
// of its own.
func batchOfCopies(doc string, n int) []byte {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = strings.Replace(doc, "7f6c9f2e", strconv.Itoa(10000000+i), 1)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

// benchCases builds the cases on the typical event, as the codec
// benchmarks of package jsonformat do.
func benchCases() ([]benchCase, error) {
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
	var cases []benchCase
	cases = append(cases,
		benchCase{"decode", 1,
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
		benchCase{"encode", 1,
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
		benchCase{"validate", 1,
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
		in := batchOfCopies(b.doc, BatchSize)
		cases = append(cases, benchCase{b.name, BatchSize,
			func(n int) error {
				dst := make([]event.Event, 0, BatchSize)
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

// Row is one case's result; times are nanoseconds per operation,
// one per round.
type Row struct {
	Case         string       `json:"case"`
	EventsPerOp  int          `json:"events_per_op"`
	OursNsPerOp  []float64    `json:"openevents_ns_per_op"`
	SDKNsPerOp   []float64    `json:"sdkgo_ns_per_op"`
	Ratios       bench.Ratios `json:"ratios"`
	MedianRatio  float64      `json:"median_ratio"`
	OursPerSec   float64      `json:"openevents_events_per_second"`
	SDKPerSecond float64      `json:"sdkgo_events_per_second"`
}

// Report is the result of Compare, in the JSON form of ce bench json.
type Report struct {
	EventBytes int    `json:"event_bytes"`
	BatchSize  int    `json:"batch_size"`
	Rounds     int    `json:"rounds"`
	SliceMs    int64  `json:"slice_ms"`
	Procs      int    `json:"gomaxprocs"`
	Cores      int    `json:"cores"`
	GoVersion  string `json:"go_version"`
	Results    []Row  `json:"results"`

	slice time.Duration
}

// Compare measures every case o.Rounds times for both libraries,
// interleaved, with GOMAXPROCS set to o.Procs meanwhile (it is restored
// on return; the setting is process-wide, so Compare must not run beside
// other work).
func Compare(o Options) (*Report, error) {
	cases, err := benchCases()
	if err != nil {
		return nil, err
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.Procs))
	rows := make([]Row, len(cases))
	for i, c := range cases {
		rows[i] = Row{Case: c.name, EventsPerOp: c.events}
	}
	for round := range o.Rounds {
		for i, c := range cases {
			// Alternate which library goes first, so that neither always
			// runs second.
			first, second := c.ours, c.theirs
			if round%2 == 1 {
				first, second = second, first
			}
			a, err := measureOps(first, o.Slice)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			b, err := measureOps(second, o.Slice)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			ours, theirs := a, b
			if round%2 == 1 {
				ours, theirs = b, a
			}
			r := &rows[i]
			r.OursNsPerOp = append(r.OursNsPerOp, ours)
			r.SDKNsPerOp = append(r.SDKNsPerOp, theirs)
			r.Ratios = append(r.Ratios, theirs/ours)
			if o.Progress != nil {
				o.Progress(fmt.Sprintf("round %d/%d %-20s openevents %12.1f ns/op  sdk-go %12.1f ns/op  %6.1fx", round+1, o.Rounds, c.name, ours, theirs, theirs/ours))
			}
		}
	}
	m := bench.ThisMachine()
	for i := range rows {
		r := &rows[i]
		r.MedianRatio = r.Ratios.Median()
		ours, theirs := bench.Median(r.OursNsPerOp), bench.Median(r.SDKNsPerOp)
		r.OursPerSec, r.SDKPerSecond = float64(r.EventsPerOp)*1e9/ours, float64(r.EventsPerOp)*1e9/theirs
	}
	return &Report{
		EventBytes: len(eventtest.Typical), BatchSize: BatchSize, Rounds: o.Rounds,
		SliceMs: o.Slice.Milliseconds(), Procs: o.Procs, Cores: m.Cores, GoVersion: m.GoVersion,
		Results: rows, slice: o.Slice,
	}, nil
}

// Text returns the report as ce bench json prints it: a heading and a
// table of the medians and the range of the ratios.
func (rep *Report) Text() []byte {
	var out strings.Builder
	fmt.Fprintf(&out, "JSON format, typical event (%d bytes), batches of %d; GOMAXPROCS %d of %d cores, %s; rounds %d, %s per case and library, interleaved\n",
		rep.EventBytes, rep.BatchSize, rep.Procs, rep.Cores, rep.GoVersion, rep.Rounds, rep.slice)
	fmt.Fprintf(&out, "%-20s %22s %22s %9s %15s\n", "case", "openevents (median)", "sdk-go (median)", "ratio", "ratio range")
	for _, r := range rep.Results {
		ours, theirs := bench.Median(r.OursNsPerOp), bench.Median(r.SDKNsPerOp)
		left, right := fmt.Sprintf("%.1f ns/op", ours), fmt.Sprintf("%.1f ns/op", theirs)
		if r.EventsPerOp > 1 {
			left, right = fmt.Sprintf("%.0f events/s", r.OursPerSec), fmt.Sprintf("%.0f events/s", r.SDKPerSecond)
		}
		fmt.Fprintf(&out, "%-20s %22s %22s %8.1fx %6.1f-%.1fx\n", r.Case, left, right, r.MedianRatio, slices.Min(r.Ratios), slices.Max(r.Ratios))
	}
	return []byte(out.String())
}
