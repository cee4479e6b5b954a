// Package benchgrpc measures the EventService Stream over loopback TCP
// against a bare gRPC bidirectional stream carrying the same bytes, each
// served in a child process by package bench's protocol. "ce bench grpc"
// and "make bench-grpc" use it.
//
// Every measurement is bounded in events and in time and targets a
// loopback address.
package benchgrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/format/protoformat"
	"github.com/openevents/openevents/internal/bench"
	"github.com/openevents/openevents/runtime/config"
	"github.com/openevents/openevents/runtime/host"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// The sides of the benchmark, in the order they run.
const (
	Baseline   = "baseline"   // a bare gRPC stream answering each message, no decoding
	OpenEvents = "openevents" // cegrpc's Stream, decoding and validating each event
	Runtime    = "ce-run"     // the function runtime: host (noop) behind cegrpc's Stream
)

// sides lists every side in the order Compare measures them.
var sides = []string{Baseline, OpenEvents, Runtime}

// maxMessage bounds messages both ways, above any batch the flags allow.
const maxMessage = 64 << 20

// callLimits raises a client's message limits to maxMessage. Dial
// options given to cegrpc come after its own, so these win.
var callLimits = grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(maxMessage), grpc.MaxCallRecvMsgSize(maxMessage))

// The baseline service: a bidirectional stream of raw messages answered
// one for one, with no decoding.
const baselineMethod = "/openevents.bench.v1.Baseline/Stream"

// newBaselineDesc returns the baseline service; it counts messages, not
// events, in served.
func newBaselineDesc(served *atomic.Int64) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
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
				served.Add(1)
				if err := ss.SendMsg(&ack); err != nil {
					return err
				}
			}
		}}},
	}
}

// Known reports whether kind is one of the sides.
func Known(kind string) bool { return slices.Contains(sides, kind) }

// runtimeHandler is what ce run's gRPC trigger hands events to with its
// defaults (runtime/app): the host's dispatch around a function, under
// the default per-event timeout enforced cooperatively. The function
// counts the events, as the OpenEvents side's handler does.
func runtimeHandler(served *atomic.Int64) (binding.Handler, func(), error) {
	hst, err := host.New(bench.RuntimeNoop(func(context.Context, *event.Event) error {
		served.Add(1)
		return nil
	}), host.WithTimeout(config.DefaultTimeout), host.WithCooperativeTimeout(true))
	if err != nil {
		return nil, nil, err
	}
	return hst.Trigger("grpc"), hst.Close, nil
}

// Server returns the bench.Serve of one side. The OpenEvents side counts
// the events its handler accepted, the baseline the messages it answered.
func Server(kind string) bench.Serve {
	return func(ctx context.Context, ln net.Listener, served *atomic.Int64) error {
		var gs *grpc.Server
		switch kind {
		case OpenEvents, Runtime:
			var h binding.Handler = binding.HandlerFunc(func(context.Context, *event.Event) error {
				served.Add(1)
				return nil
			})
			if kind == Runtime {
				rh, stop, err := runtimeHandler(served)
				if err != nil {
					_ = ln.Close()
					return err
				}
				defer stop()
				h = rh
			}
			srv, err := cegrpc.NewServer(h)
			if err != nil {
				_ = ln.Close()
				return err
			}
			// gRPC's own limits, set after cegrpc's, raise its default
			// as the baseline's are raised.
			gs = grpc.NewServer(append(srv.GRPCOptions(), grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))...)
			srv.Register(gs)
		case Baseline:
			gs = grpc.NewServer(grpc.MaxRecvMsgSize(maxMessage))
			gs.RegisterService(newBaselineDesc(served), nil)
		default:
			_ = ln.Close()
			return fmt.Errorf("benchgrpc: unknown side %q (want one of %v)", kind, sides)
		}
		stopped := make(chan struct{})
		defer close(stopped)
		go func() {
			select {
			case <-ctx.Done():
				gs.Stop()
			case <-stopped:
			}
		}()
		if err := gs.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return err
		}
		return nil
	}
}

// Options configure Compare; the caller validates them (all positive,
// Window at least Batch).
type Options struct {
	Events   int           // stop a measurement after this many acknowledged events
	Batch    int           // events per batch
	Window   int           // unacknowledged events in flight per stream
	Streams  int           // concurrent streams
	Duration time.Duration // stop a measurement after this long
	Runs     int           // measurements of each side, interleaved; the best is kept
	// Child holds the arguments that make this executable serve a side by
	// package bench's protocol, the side appended (for ce: bench grpc
	// --serve). Nil serves in this process.
	Child []string
	// Progress, if set, is called after each measurement with a line
	// describing it (no newline).
	Progress func(line string)
}

// Report is the result of Compare.
type Report struct {
	Options
	EventBytes     int       // bytes of one encoded event in a batch
	Baseline, Ours bench.Run // the best run of each side
	Runtime        bench.Run // the function runtime's best run
	Machine        bench.Machine
}

// Compare measures the baseline and our Stream o.Runs times each,
// interleaved, each run against a server of its own.
func Compare(ctx context.Context, o Options) (*Report, error) {
	batch := make([]event.Event, o.Batch)
	for i := range batch {
		if err := jsonformat.Decode([]byte(eventtest.Typical), &batch[i]); err != nil {
			return nil, err
		}
		batch[i].SetID(strconv.Itoa(i))
	}
	raw, err := protoformat.AppendBatch(nil, batch)
	if err != nil {
		return nil, err
	}
	rep := &Report{Options: o, EventBytes: len(raw) / o.Batch, Machine: bench.ThisMachine()}
	rep.Progress = nil
	for run := 1; run <= o.Runs; run++ {
		for _, kind := range sides {
			r, err := measure(ctx, o, kind, batch, raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", kind, err)
			}
			if o.Progress != nil {
				o.Progress(fmt.Sprintf("run %d/%d %-10s %12.0f events/s (%d events in %s)", run, o.Runs, kind, r.Rate(), r.Events, r.Elapsed.Round(time.Millisecond)))
			}
			switch kind {
			case OpenEvents:
				rep.Ours = rep.Ours.Best(r)
			case Runtime:
				rep.Runtime = rep.Runtime.Best(r)
			default:
				rep.Baseline = rep.Baseline.Best(r)
			}
		}
	}
	return rep, nil
}

// measure starts one side, loads it and stops it, and checks that the
// server saw everything that was acknowledged.
func measure(ctx context.Context, o Options, kind string, batch []event.Event, raw []byte) (bench.Run, error) {
	srv, err := bench.StartServer(ctx, o.Child == nil, Server(kind), append(o.Child[:len(o.Child):len(o.Child)], kind)...)
	if err != nil {
		return bench.Run{}, err
	}
	var r bench.Run
	if kind != Baseline {
		r, err = streamOurs(ctx, srv.Addr, batch, o)
	} else {
		r, err = streamBaseline(ctx, srv.Addr, raw, o)
	}
	served, serr := srv.Stop()
	if kind == Baseline {
		served *= int64(o.Batch) // the baseline counts messages
	}
	switch {
	case err != nil:
		return bench.Run{}, err
	case serr != nil:
		return bench.Run{}, fmt.Errorf("stopping the %s child: %w", kind, serr)
	case served < r.Events:
		return bench.Run{}, fmt.Errorf("the server handled %d events, %d were acknowledged", served, r.Events)
	}
	return r, nil
}

// RuntimeTarget is the least the runtime's share of the transport's own
// throughput may be: a layer on a binding costs at most 10%.
const RuntimeTarget = 0.9

// Text returns the report as ce bench grpc prints it.
func (rep *Report) Text() []byte {
	met := "met"
	if rep.Runtime.Rate() < RuntimeTarget*rep.Ours.Rate() {
		met = "NOT met"
	}
	return fmt.Appendf(nil, "gRPC Stream over loopback TCP, two processes, %d streams, batches of %d typical events (%d bytes each), window %d, best of %d, %d cores, %s\n"+
		"%-22s %12.0f events/s\n%-22s %12.0f events/s\n%-22s %12.0f events/s\n"+
		"ratio openevents / bare     %.2f\nratio ce-run / openevents   %.2f  (target >= %.2f: %s)\n",
		rep.Streams, rep.Batch, rep.EventBytes, rep.Window, rep.Runs, rep.Machine.Cores, rep.Machine.GoVersion,
		"bare gRPC stream", rep.Baseline.Rate(), "openevents Stream", rep.Ours.Rate(), "ce-run (host, noop)", rep.Runtime.Rate(),
		rep.Ours.Rate()/rep.Baseline.Rate(), rep.Runtime.Rate()/rep.Ours.Rate(), RuntimeTarget, met)
}

// load runs stream on o.Streams goroutines sharing one budget: more
// reports whether a stream may send another batch (o.Events in all,
// within o.Duration). Each stream adds what is acknowledged to acked and
// reports its errors, at most three, on errs. load returns the events
// acknowledged and the time it took, or the first error.
func load(ctx context.Context, o Options, stream func(ctx context.Context, more func() bool, acked *atomic.Int64, errs chan<- error)) (bench.Run, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Duration+30*time.Second)
	defer cancel()
	var acked, sent atomic.Int64
	deadline := time.Now().Add(o.Duration)
	more := func() bool { return sent.Add(int64(o.Batch)) <= int64(o.Events) && time.Now().Before(deadline) }
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 3*o.Streams)
	for range o.Streams {
		wg.Go(func() { stream(ctx, more, &acked, errs) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return bench.Run{}, err
	}
	return bench.Run{Events: acked.Load(), Elapsed: elapsed}, nil
}

// streamOurs streams batches through cegrpc until o.Events are
// acknowledged or o.Duration has passed.
func streamOurs(ctx context.Context, addr string, batch []event.Event, o Options) (bench.Run, error) {
	c, err := cegrpc.NewClient(addr, cegrpc.WithWindow(o.Window), cegrpc.WithDialOptions(callLimits))
	if err != nil {
		return bench.Run{}, err
	}
	defer func() { _ = c.Close(context.WithoutCancel(ctx)) }()
	return load(ctx, o, func(ctx context.Context, more func() bool, acked *atomic.Int64, errs chan<- error) {
		s, err := c.Stream(ctx)
		if err != nil {
			errs <- err
			return
		}
		acks := make(chan *cegrpc.Ack, o.Window/o.Batch+1)
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
		for more() {
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

// streamBaseline sends the same encoded batch over a bare stream whose
// server answers each message with an empty one.
func streamBaseline(ctx context.Context, addr string, raw []byte, o Options) (bench.Run, error) {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), callLimits)
	if err != nil {
		return bench.Run{}, err
	}
	defer func() { _ = cc.Close() }()
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	return load(ctx, o, func(ctx context.Context, more func() bool, acked *atomic.Int64, errs chan<- error) {
		cs, err := cc.NewStream(ctx, desc, baselineMethod)
		if err != nil {
			errs <- err
			return
		}
		window := make(chan struct{}, max(1, o.Window/o.Batch))
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
				acked.Add(int64(o.Batch))
				<-window
			}
		}()
		var msg emptypb.Empty
		msg.ProtoReflect().SetUnknown(raw)
		for more() {
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
