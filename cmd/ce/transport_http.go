package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/internal/benchhttp"
	cehttp "github.com/openevents/openevents/transports/http"
)

// sendHTTP posts e to --http in mode, prints the status line and any reply
// event as a JSON line, and fails on a non-2xx answer.
func sendHTTP(ctx context.Context, stdout io.Writer, o *sendOptions, mode binding.Mode, e *event.Event, tc *tls.Config) error {
	opts := []cehttp.SenderOption{cehttp.WithMode(mode), cehttp.WithRetry(1, 0), cehttp.WithRequestTimeout(o.timeout)}
	if tc != nil {
		opts = append(opts, cehttp.WithTLS(tc))
	}
	s, err := cehttp.NewSender(o.httpURL, opts...)
	if err != nil {
		return usageError(err)
	}
	defer s.CloseIdleConnections()
	resp, err := s.Send(ctx, e)
	if err != nil {
		var se *cehttp.StatusError
		if errors.As(err, &se) {
			if _, werr := fmt.Fprintf(stdout, "HTTP %d %s\n", se.Code, http.StatusText(se.Code)); werr != nil {
				return failure(werr)
			}
		} else if u, uerr := url.Parse(o.httpURL); uerr == nil {
			err = explainTLS(ctx, err, hostPort(u, "443"), tc)
		}
		return failure(err)
	}
	b := fmt.Appendf(nil, "HTTP %d %s\n", resp.Status, http.StatusText(resp.Status))
	if resp.Reply != nil {
		if b, err = jsonformat.Append(b, resp.Reply); err != nil {
			return failure(fmt.Errorf("the reply event cannot be printed: %w", err))
		}
		b = append(b, '\n')
	}
	if _, err := stdout.Write(b); err != nil {
		return failure(err)
	}
	return nil
}

// listenHTTP serves --http until ctx ends (interrupt, or --count events).
func listenHTTP(ctx context.Context, o *listenOptions, p *printer) error {
	tc, err := o.tls.server("HTTP")
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", o.httpAddr)
	if err != nil {
		return listenError(err)
	}
	var h binding.Handler = binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		return p.Event(e)
	})
	if o.reply {
		h = cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
			if err := p.Event(e); err != nil {
				return false, err
			}
			*reply = e.Clone()
			return true, nil
		})
	}
	// Every refusal is reported (Refused summarises them without
	// --validate), and requests beyond --max-in-flight are answered 429
	// with Retry-After at once (WEBHOOK-RESPONSE-10, WEBHOOK-RESPONSE-11)
	// rather than waiting, body in memory, for standard output to drain.
	opts := []cehttp.Option{cehttp.WithConnErrorHook(p.ConnError), cehttp.WithRefuseHook(p.Refused),
		cehttp.WithMaxInFlight(o.inFlight)}
	what := "HTTP"
	if tc != nil {
		opts = append(opts, cehttp.WithTLS(tc))
		what = "HTTPS" + clientCertNote(tc)
	}
	srv, err := cehttp.NewServer(h, opts...)
	if err != nil {
		_ = ln.Close()
		return failure(err)
	}
	p.Listening(what, ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return failure(err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	serr := srv.Shutdown(sctx)
	if err := <-done; err != nil {
		return failure(err)
	}
	return failure(serr)
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

type benchHTTPOptions struct {
	duration    time.Duration
	warmup      time.Duration
	connections int
	maxRequests int
	runs        int
	batch       int
	servers     []string
	jsonOut     string
	inProcess   bool
	serve       string
}

func newBenchHTTPCommand(stdout, stderr io.Writer) *cobra.Command {
	var o benchHTTPOptions
	cmd := &cobra.Command{
		Use:   "http [flags]",
		Short: "Compare our HTTP receivers with sdk-go and bare net/http and fasthttp handlers",
		Long:  benchHTTPLong,
		Example: `  ce bench http
  ce bench http --duration 10s --runs 3 --json bench-http.json
  ce bench http --batch 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.serve != "" {
				return serveBenchChild(cmd.Context(), cmd.InOrStdin(), stdout, o.serve)
			}
			return runBenchHTTP(cmd.Context(), stdout, stderr, &o)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per receiver and run")
	f.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each measurement")
	f.IntVar(&o.connections, "connections", 64, "concurrent connections")
	f.IntVar(&o.maxRequests, "max-requests", 5_000_000, "stop a measurement after this many requests")
	f.IntVar(&o.runs, "runs", 2, "measurements per receiver; the best is reported")
	f.IntVar(&o.batch, "batch", 0, "events per request in batched mode (our receivers only); 0 for binary mode")
	f.StringSliceVar(&o.servers, "servers", nil, "receivers to measure (default: all; with --batch, ours)")
	f.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	f.BoolVar(&o.inProcess, "in-process", false, "serve the receivers in this process instead of child processes (for tests)")
	f.StringVar(&o.serve, "serve", "", "internal: serve this receiver on 127.0.0.1:0 until standard input closes")
	_ = f.MarkHidden("serve")
	return cmd
}

// serveBenchChild is the child process side: print the bound address,
// serve until the parent closes standard input.
func serveBenchChild(ctx context.Context, stdin io.Reader, stdout io.Writer, kind string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return failure(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, stdin) // returns when the parent closes the pipe
		cancel()
	}()
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", ln.Addr()); err != nil {
		_ = ln.Close()
		return failure(err)
	}
	return failure(benchhttp.Serve(ctx, kind, ln))
}

// startBenchServer starts kind and returns its URL and a stop function.
func startBenchServer(ctx context.Context, o *benchHTTPOptions, kind string) (string, func() error, error) {
	if o.inProcess {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- benchhttp.Serve(ctx, kind, ln) }()
		return "http://" + ln.Addr().String() + "/", func() error { cancel(); return <-done }, nil
	}
	addr, stop, err := startBenchChild(ctx, "http", kind)
	if err != nil {
		return "", nil, err
	}
	return "http://" + addr + "/", stop, nil
}

type benchReport struct {
	Machine struct {
		Cores     int    `json:"cores"`
		GoVersion string `json:"go_version"`
		OS        string `json:"os"`
	} `json:"machine"`
	Load struct {
		Connections int     `json:"connections"`
		Seconds     float64 `json:"seconds"`
		Runs        int     `json:"runs"`
		Batch       int     `json:"batch"`
		BodyBytes   int     `json:"body_bytes"`
	} `json:"load"`
	Best   []benchhttp.Result `json:"best"`
	All    []benchhttp.Result `json:"all"`
	Ratios []benchRatio       `json:"ratios"`
}

type benchRatio struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	Met    bool    `json:"met"`
}

func runBenchHTTP(ctx context.Context, stdout, stderr io.Writer, o *benchHTTPOptions) error {
	if o.runs < 1 || o.connections < 1 || o.duration <= 0 || o.maxRequests < 1 || o.batch < 0 {
		return usageError(errors.New("--runs, --connections, --duration and --max-requests must be positive, --batch >= 0"))
	}
	servers := o.servers
	if len(servers) == 0 {
		servers = benchhttp.Servers
		if o.batch > 0 {
			servers = []string{benchhttp.OpenEventsFast, benchhttp.OpenEventsNetHTTP}
		}
	}
	for _, s := range servers {
		known := false
		for _, k := range benchhttp.Servers {
			known = known || k == s
		}
		if !known {
			return usageError(fmt.Errorf("unknown receiver %q (want one of %s)", s, strings.Join(benchhttp.Servers, ", ")))
		}
	}
	load := benchhttp.Load{Connections: o.connections, Duration: o.duration, Warmup: o.warmup, MaxRequests: o.maxRequests, Batch: o.batch}
	var rep benchReport
	rep.Machine.Cores, rep.Machine.GoVersion, rep.Machine.OS = runtime.NumCPU(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
	rep.Load.Connections, rep.Load.Seconds, rep.Load.Runs, rep.Load.Batch, rep.Load.BodyBytes = o.connections, o.duration.Seconds(), o.runs, o.batch, len(benchhttp.Body)
	best := map[string]benchhttp.Result{}
	for run := 1; run <= o.runs; run++ {
		for _, kind := range servers {
			url, stop, err := startBenchServer(ctx, o, kind)
			if err != nil {
				return failure(err)
			}
			r, err := benchhttp.Drive(ctx, kind, url, load)
			if serr := stop(); err == nil && serr != nil {
				err = fmt.Errorf("stopping %s: %w", kind, serr)
			}
			if err != nil {
				return failure(err)
			}
			_, _ = fmt.Fprintf(stderr, "run %d/%d %-20s %12.0f events/s  p50 %6.0fµs  p99 %6.0fµs  errors %d\n",
				run, o.runs, kind, r.EventsPerSec, r.P50Micros, r.P99Micros, r.Errors)
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
		rep.Ratios = append(rep.Ratios, benchRatio{Name: name, Value: v, Target: target, Met: v >= target})
	}
	if o.batch == 0 {
		ratio("openevents-fasthttp / bare-fasthttp", benchhttp.OpenEventsFast, benchhttp.BareFastHTTP, 0.85)
		ratio("openevents-fasthttp / sdk-go", benchhttp.OpenEventsFast, benchhttp.SDKGo, 1.8)
		ratio("openevents-nethttp / bare-nethttp", benchhttp.OpenEventsNetHTTP, benchhttp.BareNetHTTP, 0.9)
	}

	mode := "binary mode, one event per request"
	if o.batch > 0 {
		mode = fmt.Sprintf("batched mode, %d events per request", o.batch)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "HTTP receivers, %s, %d-byte JSON data, %d connections, %s per run, best of %d runs, %d cores, %s\n\n",
		mode, len(benchhttp.Body), o.connections, o.duration, o.runs, rep.Machine.Cores, rep.Machine.GoVersion)
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
	if o.jsonOut != "" {
		if err := writeBenchJSON(o.jsonOut, &rep); err != nil {
			return failure(err)
		}
		fmt.Fprintf(&out, "\nwrote %s\n", o.jsonOut)
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return failure(err)
	}
	return nil
}
