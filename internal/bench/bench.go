// Package bench holds what the benchmark harnesses of "ce bench" share:
// the child-process protocol by which a harness runs the receiver under
// test in a process of its own (Start, ServeChild), the result of one
// measurement (Run) and the ratios of interleaved runs against a baseline
// (Ratios), and the machine a report was measured on (Machine).
//
// The harnesses themselves live in one subpackage per subject:
// benchhttp, benchgrpc, benchmqtt and benchjson. Each takes its options
// as a struct, reports progress through a hook, returns a report with a
// JSON form and a text form, and never prints: cmd/ce parses the flags
// and prints.
package bench

import (
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"time"
)

// Run is one measurement of one side: how many events arrived in how
// long. The zero Run has a rate of 0.
type Run struct {
	Events  int64
	Elapsed time.Duration
}

// Rate returns events per second, 0 for an empty Run.
func (r Run) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// Best returns whichever of r and o has the higher rate, r on a tie. The
// best of several runs is what a report keeps: noise on a shared machine
// only slows a run down.
func (r Run) Best(o Run) Run {
	if o.Rate() > r.Rate() {
		return o
	}
	return r
}

// Ratios are the ratios of a subject to its baseline, one per round of
// interleaved runs: each is taken from two measurements seconds apart,
// so a machine whose speed drifts still gives steady ratios.
type Ratios []float64

// Median returns the median ratio (the mean of the middle two for an
// even count), 0 for none. It does not reorder r.
func (r Ratios) Median() float64 { return Median(r) }

// Median returns the median of xs (the mean of the middle two for an even
// count), 0 for none. It does not reorder xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Machine describes where a report was measured.
type Machine struct {
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// ThisMachine returns the Machine this process runs on.
func ThisMachine() Machine {
	return Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
}

// WriteJSON writes report to path as indented JSON with a final newline.
func WriteJSON(path string, report any) error {
	b, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
