package benchhttp

import (
	"bytes"
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/openevents/openevents/internal/bench"
)

// Options configure Compare. Every field but Servers and Child must be
// set (positive); the caller validates them.
type Options struct {
	Load
	Runs    int      // measurements per receiver, interleaved; the best is kept
	Servers []string // receivers to measure; nil: all, or with Load.Batch ours only
	// Child holds the arguments that make this executable serve a
	// receiver by package bench's protocol, the kind appended (for ce:
	// bench http --serve). Nil serves the receivers in this process.
	Child []string
	// Progress, if set, is called after each measurement with a line
	// describing it (no newline).
	Progress func(line string)
}

// Report is the result of Compare, in the JSON form of ce bench http.
type Report struct {
	Machine bench.Machine `json:"machine"`
	Load    struct {
		Connections int     `json:"connections"`
		Seconds     float64 `json:"seconds"`
		Runs        int     `json:"runs"`
		Batch       int     `json:"batch"`
		BodyBytes   int     `json:"body_bytes"`
	} `json:"load"`
	Best   []Result `json:"best"`
	All    []Result `json:"all"`
	Ratios []Ratio  `json:"ratios"`

	duration time.Duration
}

// Ratio is one of the ratios the HTTP binding's targets are stated in.
type Ratio struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	Met    bool    `json:"met"`
}

// Compare measures each receiver o.Runs times, interleaved, each run in a
// receiver of its own, and keeps the best run of each.
func Compare(ctx context.Context, o Options) (*Report, error) {
	servers := o.Servers
	if len(servers) == 0 {
		servers = Servers
		if o.Batch > 0 {
			servers = []string{OpenEventsFast, OpenEventsNetHTTP}
		}
	}
	for _, s := range servers {
		if !Known(s) {
			return nil, fmt.Errorf("benchhttp: unknown receiver %q", s)
		}
	}
	rep := &Report{Machine: bench.ThisMachine(), duration: o.Duration}
	rep.Load.Connections, rep.Load.Seconds, rep.Load.Runs, rep.Load.Batch, rep.Load.BodyBytes = o.Connections, o.Duration.Seconds(), o.Runs, o.Batch, len(Body)
	best := map[string]Result{}
	for run := 1; run <= o.Runs; run++ {
		for _, kind := range servers {
			r, err := measure(ctx, o, kind)
			if err != nil {
				return nil, err
			}
			if o.Progress != nil {
				o.Progress(fmt.Sprintf("run %d/%d %-20s %12.0f events/s  p50 %6.0fµs  p99 %6.0fµs  errors %d",
					run, o.Runs, kind, r.EventsPerSec, r.P50Micros, r.P99Micros, r.Errors))
			}
			rep.All = append(rep.All, r)
			if r.EventsPerSec > best[kind].EventsPerSec {
				best[kind] = r
			}
		}
	}
	for _, kind := range servers {
		rep.Best = append(rep.Best, best[kind])
	}
	ratio := func(name, a, b string, target float64) {
		ra, oka := best[a]
		rb, okb := best[b]
		if !oka || !okb || rb.EventsPerSec == 0 {
			return
		}
		v := ra.EventsPerSec / rb.EventsPerSec
		rep.Ratios = append(rep.Ratios, Ratio{Name: name, Value: v, Target: target, Met: v >= target})
	}
	if o.Batch == 0 {
		ratio("openevents-fasthttp / bare-fasthttp", OpenEventsFast, BareFastHTTP, 0.85)
		ratio("openevents-fasthttp / sdk-go", OpenEventsFast, SDKGo, 1.8)
		ratio("openevents-nethttp / bare-nethttp", OpenEventsNetHTTP, BareNetHTTP, 0.9)
		ratio("ce-run / openevents-fasthttp", Runtime, OpenEventsFast, 0.9)
		ratio("ce-run / bare-fasthttp", Runtime, BareFastHTTP, 0.85)
		ratio("ce-run / sdk-go", Runtime, SDKGo, 1.8)
	}
	return rep, nil
}

// measure starts the receiver kind, drives it and stops it, and checks
// that it accepted every event the generator counted.
func measure(ctx context.Context, o Options, kind string) (Result, error) {
	srv, err := bench.StartServer(ctx, o.Child == nil, Server(kind), append(o.Child[:len(o.Child):len(o.Child)], kind)...)
	if err != nil {
		return Result{}, err
	}
	r, err := Drive(ctx, kind, "http://"+srv.Addr+"/", o.Load)
	served, serr := srv.Stop()
	switch {
	case err != nil:
		return Result{}, err
	case serr != nil:
		return Result{}, fmt.Errorf("stopping %s: %w", kind, serr)
	case served < r.Events:
		return Result{}, fmt.Errorf("%s accepted %d events, the generator counted %d", kind, served, r.Events)
	}
	return r, nil
}

// Text returns the report as ce bench http prints it: a heading, a table
// of the best runs and the ratios with their targets.
func (rep *Report) Text() []byte {
	mode := "binary mode, one event per request"
	if rep.Load.Batch > 0 {
		mode = fmt.Sprintf("batched mode, %d events per request", rep.Load.Batch)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "HTTP receivers, %s, %d-byte JSON data, %d connections, %s per run, best of %d runs, %d cores, %s\n\n",
		mode, rep.Load.BodyBytes, rep.Load.Connections, rep.duration, rep.Load.Runs, rep.Machine.Cores, rep.Machine.GoVersion)
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "receiver\tevents/s\tp50 µs\tp99 µs\terrors\t")
	for _, r := range rep.Best {
		_, _ = fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%d\t\n", r.Server, r.EventsPerSec, r.P50Micros, r.P99Micros, r.Errors)
	}
	_ = tw.Flush() // writes to a bytes.Buffer cannot fail
	if len(rep.Ratios) > 0 {
		out.WriteByte('\n')
		for _, r := range rep.Ratios {
			verdict := "met"
			if !r.Met {
				verdict = "NOT met"
			}
			fmt.Fprintf(&out, "%-38s %5.2f  (target >= %.2f: %s)\n", r.Name, r.Value, r.Target, verdict)
		}
	}
	return out.Bytes()
}
