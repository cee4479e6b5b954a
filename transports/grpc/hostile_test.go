package grpc_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
	"github.com/openevents/openevents/internal/heapwatch"
	openeventsv1 "github.com/openevents/openevents/proto/gen/openevents/v1"
	cegrpc "github.com/openevents/openevents/transports/grpc"
)

// attackEnv, when set to a server address, turns the test binary into the
// attacking client of TestHostileIdleStreams (see TestMain), so that the
// attacker's buffers are not counted in the server's heap.
const attackEnv = "CEGRPC_TEST_ATTACK_ADDR"

const (
	attackStreams = 100
	attackData    = 64 << 10 // data bytes per event
	// heldBound is what the server's heap may hold while the attacker's
	// streams sit idle after their batches.
	heldBound = 64 << 20
	// perStreamBound is what one idle Stream call may cost the server,
	// heap objects and goroutine stacks together.
	perStreamBound = 48 << 10
)

// attackSize is the size of the attacker's batches: the largest message
// the default limit allows, or a quarter of it under the race detector,
// which slows the transfer down fourfold (100 MiB held would still be
// over heldBound).
const attackSize = cegrpc.DefaultMaxMessageBytes / raceDivisor

// attackBatch returns the largest StreamRequest of 64 KiB events that fits
// attackSize, and its number of events.
func attackBatch() ([]byte, int, error) {
	var e event.Event
	e.SetSpecVersion("1.0")
	e.SetSource("/attacker")
	e.SetType("com.example.flood")
	e.SetBinaryData(bytes.Repeat([]byte{0xa5}, attackData))
	var msg []byte
	for n := 0; ; n++ {
		e.SetID(strconv.Itoa(n))
		next, err := protoformat.AppendBatch(msg, []event.Event{e})
		if err != nil {
			return nil, 0, err
		}
		if len(next)+2 > attackSize { // +2: the sequence
			return append(msg, 2<<3, 1), n, nil
		}
		msg = next
	}
}

// attack is the child process: it opens attackStreams Stream calls on one
// connection, sends one batch on each, waits for the acks and then keeps
// every call open without sending until the server ends it. It prints one
// line per call: "end <unix nanos> <idle millis> <code> <message>".
func attack(addr string) int {
	msg, _, err := attackBatch()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer func() { _ = cc.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	failed := atomic.Bool{}
	for range attackStreams {
		wg.Go(func() {
			cs, err := cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, openeventsv1.EventService_Stream_FullMethodName)
			if err == nil {
				err = cs.SendMsg(msg)
			}
			var ack []byte
			if err == nil {
				err = cs.RecvMsg(&ack)
			}
			if err != nil {
				failed.Store(true)
				fmt.Fprintln(os.Stderr, "attack:", err)
				return
			}
			acked := time.Now()
			err = cs.RecvMsg(&ack)
			st := status.Convert(err)
			mu.Lock()
			fmt.Printf("end %d %d %s %s\n", time.Now().UnixNano(), time.Since(acked).Milliseconds(), st.Code(), st.Message())
			mu.Unlock()
		})
	}
	wg.Wait()
	if failed.Load() {
		return 1
	}
	return 0
}

// rawCodec sends a []byte as the message it holds, without a copy, and
// receives a message into a *[]byte.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec cannot send a %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec cannot receive into a %T", v)
	}
	*p = data.Materialize()
	return nil
}

// heapNow returns the heap's object bytes and goroutine stack bytes.
func heapNow() (objects, stacks uint64) {
	r := heapwatch.Read()
	return r.Objects, r.Stacks
}

// TestHostileIdleStreams has a client in a child process open 100 Stream
// calls on one connection, send the largest batch the default limit
// allows (4 MiB; 1 MiB under the race detector) on each and then stay
// idle. While the calls are held the
// server's heap stays under heldBound and each call costs under
// perStreamBound; the stream idle timeout then ends every call with
// DEADLINE_EXCEEDED naming its option.
func TestHostileIdleStreams(t *testing.T) {
	// The clock of a call's first batch runs while the batch is in
	// transit, which takes the whole transfer of all the batches (a few
	// seconds), so the timeout must be longer.
	const idle = 10 * time.Second
	_, perBatch, err := attackBatch()
	if err != nil {
		t.Fatal(err)
	}
	var handled atomic.Int64
	h := binding.HandlerFunc(func(context.Context, *event.Event) error {
		handled.Add(1)
		return nil
	})
	srv, err := cegrpc.NewServer(h, cegrpc.WithStreamIdleTimeout(idle))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(srv.GRPCOptions()...)
	srv.Register(gs)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	defer func() {
		gs.Stop()
		<-served
	}()

	runtime.GC()
	baseObjects, baseStacks := heapNow()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), attackEnv+"="+lis.Addr().String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	attackStart := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Sample the heap through the whole attack: the peak while batches
	// are in flight is reported, not bounded (it is at most the
	// connection's streams times the message limit, in gRPC's buffers
	// and ours).
	var inFlightPeak uint64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for handled.Load() < int64(attackStreams*perBatch) {
		select {
		case err := <-exited:
			t.Fatalf("attacker ended before every batch was handled (%d of %d events): %v\n%s", handled.Load(), attackStreams*perBatch, err, stderr.Bytes())
		case <-tick.C:
			o, _ := heapNow()
			inFlightPeak = max(inFlightPeak, o)
		}
	}
	transfer := time.Since(attackStart)
	// The calls are held now. Collect twice: the first GC moves pooled
	// buffers to the pools' victim caches, the second frees them, as a
	// server under load does within a few cycles.
	runtime.GC()
	runtime.GC()
	objects, stacks := heapNow()
	perStream := (int64(objects+stacks) - int64(baseObjects+baseStacks)) / attackStreams
	heldPeak := objects
	sampled := 0
	for end := time.Now().Add(idle / 3); time.Now().Before(end); {
		<-tick.C
		o, _ := heapNow()
		heldPeak = max(heldPeak, o)
		sampled++
	}
	heldUntil := time.Now()

	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("attacker: %v\n%s", err, stderr.Bytes())
		}
	case <-ctx.Done():
		t.Fatalf("the idle calls were not ended within %v", 90*time.Second)
	}
	t.Logf("%d batches of %d KiB handled after %v; heap objects: %d KiB before, %d MiB peak while batches were in flight, %d KiB peak while %d calls were held idle (%d samples); %d bytes per idle call (objects %+d B, stacks %+d B in all)",
		attackStreams, attackSize>>10, transfer, baseObjects>>10, inFlightPeak>>20, heldPeak>>10, attackStreams, sampled, perStream,
		int64(objects)-int64(baseObjects), int64(stacks)-int64(baseStacks))
	if heldPeak > heldBound {
		t.Errorf("peak heap while %d calls were held idle: %d MiB, want under %d MiB", attackStreams, heldPeak>>20, heldBound>>20)
	}
	if perStream > perStreamBound {
		t.Errorf("an idle call costs %d bytes, want under %d", perStream, perStreamBound)
	}

	ends := 0
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 5)
		if len(f) != 5 || f[0] != "end" {
			t.Fatalf("attacker wrote %q", sc.Text())
		}
		ends++
		at, _ := strconv.ParseInt(f[1], 10, 64)
		waited, _ := strconv.ParseInt(f[2], 10, 64)
		if f[3] != "DeadlineExceeded" || !strings.Contains(f[4], "WithStreamIdleTimeout") {
			t.Errorf("an idle call ended with %s %q, want DeadlineExceeded naming WithStreamIdleTimeout", f[3], f[4])
		}
		// The attacker reads its ack a little after the server sent it,
		// and later still on a loaded machine.
		if time.Duration(waited)*time.Millisecond < idle/2 {
			t.Errorf("an idle call was ended after %d ms, before the timeout of %v", waited, idle)
		}
		if time.Unix(0, at).Before(heldUntil) {
			t.Errorf("a call ended at %v, before the heap was sampled (%v): the bound was not measured while every call was held",
				time.Unix(0, at).Format(time.StampMicro), heldUntil.Format(time.StampMicro))
		}
	}
	if ends != attackStreams {
		t.Fatalf("%d calls ended, want %d\n%s", ends, attackStreams, stderr.Bytes())
	}
}
