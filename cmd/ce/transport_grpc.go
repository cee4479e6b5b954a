package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/format/protoformat"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// sendGRPC sends e to the EventService at --grpc: binary and structured
// mode both mean the unary Publish (the binding has structured mode only),
// batch mode a Stream carrying a batch of one. It prints the status.
func sendGRPC(ctx context.Context, stdout io.Writer, o *sendOptions, mode binding.Mode, e *event.Event, tc *tls.Config) error {
	var opts []cegrpc.Option
	if tc != nil {
		opts = append(opts, cegrpc.WithTLS(tc))
	}
	c, err := cegrpc.NewClient(o.grpcAddr, opts...)
	if err != nil {
		return usageError(err)
	}
	defer func() { _ = c.Close() }()
	if mode == binding.ModeBatch {
		err = streamOne(ctx, c, e)
	} else {
		err = c.Publish(ctx, e)
	}
	if err != nil {
		if ge, ok := errors.AsType[*cegrpc.Error](err); ok {
			if _, werr := fmt.Fprintf(stdout, "gRPC %s\n", ge.Code); werr != nil {
				return failure(werr)
			}
			if ge.Code == codes.Unavailable {
				err = explainTLS(ctx, err, o.grpcAddr, tc)
			}
		}
		return failure(err)
	}
	if _, err := fmt.Fprintln(stdout, "gRPC OK"); err != nil {
		return failure(err)
	}
	return nil
}

func streamOne(ctx context.Context, c *cegrpc.Client, e *event.Event) error {
	s, err := c.Stream(ctx)
	if err != nil {
		return err
	}
	a, err := s.Send(ctx, []event.Event{*e})
	if err != nil {
		_ = s.Close(ctx)
		return err
	}
	res, err := a.Wait(ctx)
	if cerr := s.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if len(res.Failures) > 0 {
		return res.Failures[0]
	}
	return nil
}

// listenGRPC serves both gRPC services on --grpc until ctx ends
// (interrupt, or --count events).
func listenGRPC(ctx context.Context, o *listenOptions, p *printer) error {
	if o.reply {
		return usageError(errors.New("--reply is for HTTP only"))
	}
	tc, err := o.tls.server("gRPC")
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", o.grpcAddr)
	if err != nil {
		return listenError(err)
	}
	opts := []cegrpc.Option{cegrpc.WithRefuseHook(p.Refused)} // summarised without --validate
	what := "gRPC"
	if tc != nil {
		opts = append(opts, cegrpc.WithTLS(tc))
		what = "gRPC over TLS" + clientCertNote(tc)
	}
	srv, err := cegrpc.NewServer(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		return p.Event(e)
	}), opts...)
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
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(dctx) // past the deadline it closes the connections; the events acknowledged are printed
	if err := <-done; err != nil {
		return failure(err)
	}
	return nil
}

const benchGRPCLong = `Bench grpc measures the EventService Stream over loopback TCP between
two processes: this one sends batches of typical events (seven attributes,
a traceparent extension, about 100 bytes of JSON data) and a child process
serving 127.0.0.1:0 decodes and validates them, hands each to a no-op
handler and acknowledges each batch. The window of unacknowledged events
bounds what is in flight.

The baseline, measured in the same run, is a bare gRPC bidirectional
stream carrying the same bytes with no CloudEvents work on either side:
the transport's own limit on this machine. Every measurement is bounded
by --events and --duration.`

type benchGRPCOptions struct {
	events    int
	batch     int
	window    int
	streams   int
	duration  time.Duration
	runs      int
	serve     string
	inProcess bool
}

func newBenchGRPCCommand(stdout, stderr io.Writer) *cobra.Command {
	var o benchGRPCOptions
	cmd := &cobra.Command{
		Use:   "grpc [flags]",
		Short: "EventService Stream throughput between two processes, against a bare gRPC stream",
		Long:  benchGRPCLong,
		Example: `  ce bench grpc
  ce bench grpc --events 5000000 --duration 20s --runs 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.serve != "" {
				return serveBenchGRPC(cmd.Context(), cmd.InOrStdin(), stdout, o.serve)
			}
			if o.events < 1 || o.events > 100_000_000 || o.batch < 1 || o.batch > 10_000 || o.window < o.batch ||
				o.streams < 1 || o.streams > 64 || o.duration <= 0 || o.duration > 10*time.Minute || o.runs < 1 || o.runs > 10 {
				return usageError(errors.New("want --events 1..1e8, --batch 1..10000, --window >= --batch, --streams 1..64, --duration up to 10m, --runs 1..10"))
			}
			return runBenchGRPC(cmd.Context(), stdout, stderr, &o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.events, "events", 2_000_000, "stop a measurement after this many acknowledged events")
	f.IntVar(&o.batch, "batch", 100, "events per batch")
	f.IntVar(&o.window, "window", 2000, "unacknowledged events in flight per stream")
	f.IntVar(&o.streams, "streams", 2, "concurrent streams")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "stop a measurement after this long")
	f.IntVar(&o.runs, "runs", 2, "measurements of each side; the best is reported")
	f.BoolVar(&o.inProcess, "in-process", false, "serve in this process instead of a child process (for tests)")
	f.StringVar(&o.serve, "serve", "", "internal: serve this side (openevents or baseline) on 127.0.0.1:0 until standard input closes")
	_ = f.MarkHidden("serve")
	return cmd
}

// The baseline service: a bidirectional stream of raw messages answered
// one for one, with no decoding.
const benchBaselineMethod = "/openevents.bench.v1.Baseline/Stream"

var benchBaselineDesc = grpc.ServiceDesc{
	ServiceName: "openevents.bench.v1.Baseline",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{{StreamName: "Stream", ServerStreams: true, ClientStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
		var in, ack emptypb.Empty
		for {
			if err := ss.RecvMsg(&in); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := ss.SendMsg(&ack); err != nil {
				return err
			}
		}
	}}},
}

// newBenchGRPCServer returns the server of one side of the benchmark.
func newBenchGRPCServer(kind string) (*grpc.Server, error) {
	switch kind {
	case "openevents":
		srv, err := cegrpc.NewServer(binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }),
			cegrpc.WithMaxMessageSize(64<<20))
		if err != nil {
			return nil, err
		}
		gs := grpc.NewServer(srv.GRPCOptions()...)
		srv.Register(gs)
		return gs, nil
	case "baseline":
		gs := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
		gs.RegisterService(&benchBaselineDesc, nil)
		return gs, nil
	}
	return nil, fmt.Errorf("--serve %q: want openevents or baseline", kind)
}

// serveBenchGRPC is the child process: print the bound address, serve
// until the parent closes standard input.
func serveBenchGRPC(ctx context.Context, stdin io.Reader, stdout io.Writer, kind string) error {
	gs, err := newBenchGRPCServer(kind)
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return failure(err)
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdin) // returns when the parent closes the pipe
		gs.Stop()
	}()
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", ln.Addr()); err != nil {
		_ = ln.Close()
		return failure(err)
	}
	go func() {
		<-ctx.Done()
		gs.Stop()
	}()
	if err := gs.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return failure(err)
	}
	return nil
}

// startBenchGRPC starts a child serving kind (or a server in this process)
// and returns its address and a stop function.
func startBenchGRPC(ctx context.Context, kind string, inProcess bool) (string, func() error, error) {
	if inProcess {
		gs, err := newBenchGRPCServer(kind)
		if err != nil {
			return "", nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		done := make(chan error, 1)
		go func() { done <- gs.Serve(ln) }()
		return ln.Addr().String(), func() error {
			gs.Stop()
			if err := <-done; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				return err
			}
			return nil
		}, nil
	}
	return startBenchChild(ctx, "grpc", kind)
}

// benchTypical is the typical event of the benchmarks.
const benchTypical = eventtest.Typical

type benchGRPCResult struct {
	events  int64
	elapsed time.Duration
}

func (r benchGRPCResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.events) / r.elapsed.Seconds()
}

func runBenchGRPC(ctx context.Context, stdout, stderr io.Writer, o *benchGRPCOptions) error {
	batch := make([]event.Event, o.batch)
	for i := range batch {
		if err := jsonformat.Decode([]byte(benchTypical), &batch[i]); err != nil {
			return failure(err)
		}
		batch[i].SetID(strconv.Itoa(i))
	}
	raw, err := protoformat.AppendBatch(nil, batch)
	if err != nil {
		return failure(err)
	}
	var best [2]benchGRPCResult
	kinds := [2]string{"baseline", "openevents"}
	for run := 1; run <= o.runs; run++ {
		for k, kind := range kinds {
			addr, stop, err := startBenchGRPC(ctx, kind, o.inProcess)
			if err != nil {
				return failure(err)
			}
			var r benchGRPCResult
			if kind == "openevents" {
				r, err = benchGRPCOurs(ctx, addr, batch, o)
			} else {
				r, err = benchGRPCBaseline(ctx, addr, raw, o)
			}
			if serr := stop(); err == nil && serr != nil {
				err = fmt.Errorf("stopping the %s child: %w", kind, serr)
			}
			if err != nil {
				return failure(fmt.Errorf("%s: %w", kind, err))
			}
			_, _ = fmt.Fprintf(stderr, "run %d/%d %-10s %12.0f events/s (%d events in %s)\n", run, o.runs, kind, r.rate(), r.events, r.elapsed.Round(time.Millisecond))
			if r.rate() > best[k].rate() {
				best[k] = r
			}
		}
	}
	_, err = fmt.Fprintf(stdout, "gRPC Stream over loopback TCP, two processes, %d streams, batches of %d typical events (%d bytes each), window %d, best of %d, %d cores, %s\n"+
		"%-22s %12.0f events/s\n%-22s %12.0f events/s\nratio %.2f\n",
		o.streams, o.batch, len(raw)/o.batch, o.window, o.runs, runtime.NumCPU(), runtime.Version(),
		"bare gRPC stream", best[0].rate(), "openevents Stream", best[1].rate(), best[1].rate()/best[0].rate())
	if err != nil {
		return failure(err)
	}
	return nil
}

// benchGRPCOurs streams batches through cegrpc until o.events are
// acknowledged or o.duration has passed.
func benchGRPCOurs(ctx context.Context, addr string, batch []event.Event, o *benchGRPCOptions) (benchGRPCResult, error) {
	c, err := cegrpc.NewClient(addr, cegrpc.WithWindow(o.window), cegrpc.WithMaxMessageSize(64<<20))
	if err != nil {
		return benchGRPCResult{}, err
	}
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(ctx, o.duration+30*time.Second)
	defer cancel()
	var acked atomic.Int64
	var sent atomic.Int64
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, o.streams)
	for range o.streams {
		wg.Go(func() {
			s, err := c.Stream(ctx)
			if err != nil {
				errs <- err
				return
			}
			acks := make(chan *cegrpc.Ack, o.window/o.batch+1)
			waited := make(chan error, 1)
			go func() {
				for a := range acks {
					res, err := a.Wait(ctx)
					if err == nil && len(res.Failures) > 0 {
						err = res.Failures[0]
					}
					if err != nil {
						waited <- err
						for range acks {
						}
						return
					}
					acked.Add(int64(res.Accepted))
				}
				waited <- nil
			}()
			for sent.Add(int64(len(batch))) <= int64(o.events) && time.Now().Before(deadline) {
				a, err := s.Send(ctx, batch)
				if err != nil {
					errs <- err
					break
				}
				acks <- a
			}
			close(acks)
			if err := <-waited; err != nil {
				errs <- err
			}
			if err := s.Close(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return benchGRPCResult{}, err
	}
	return benchGRPCResult{events: acked.Load(), elapsed: elapsed}, nil
}

// benchGRPCBaseline sends the same encoded batch over a bare stream whose
// server answers each message with an empty one.
func benchGRPCBaseline(ctx context.Context, addr string, raw []byte, o *benchGRPCOptions) (benchGRPCResult, error) {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20), grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return benchGRPCResult{}, err
	}
	defer func() { _ = cc.Close() }()
	ctx, cancel := context.WithTimeout(ctx, o.duration+30*time.Second)
	defer cancel()
	var acked, sent atomic.Int64
	deadline := time.Now().Add(o.duration)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2*o.streams)
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	for range o.streams {
		wg.Go(func() {
			cs, err := cc.NewStream(ctx, desc, benchBaselineMethod)
			if err != nil {
				errs <- err
				return
			}
			window := make(chan struct{}, max(1, o.window/o.batch))
			recvDone := make(chan struct{})
			go func() {
				defer close(recvDone)
				var ack emptypb.Empty
				for {
					if err := cs.RecvMsg(&ack); err != nil {
						if !errors.Is(err, io.EOF) {
							errs <- err
						}
						return
					}
					acked.Add(int64(o.batch))
					<-window
				}
			}()
			var msg emptypb.Empty
			msg.ProtoReflect().SetUnknown(raw)
			for sent.Add(int64(o.batch)) <= int64(o.events) && time.Now().Before(deadline) {
				window <- struct{}{}
				if err := cs.SendMsg(&msg); err != nil {
					errs <- err
					break
				}
			}
			_ = cs.CloseSend()
			<-recvDone
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return benchGRPCResult{}, err
	}
	return benchGRPCResult{events: acked.Load(), elapsed: elapsed}, nil
}
