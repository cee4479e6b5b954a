package host_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/host"
)

func keyed(id, key string) *event.Event {
	e := newEvent(id)
	e.SetExtension(host.PartitionKeyExtension, event.String(key))
	return e
}

func TestPartitionOrder(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			const n = 8
			var mu sync.Mutex
			var order []string
			running := map[string]int{}
			first := make(chan struct{})
			started := make(chan string, 2*n)
			h, reg := newHost(t, func(_ context.Context, e *event.Event) (*event.Event, error) {
				v, _ := e.Extension(host.PartitionKeyExtension)
				key := v.Text()
				mu.Lock()
				running[key]++
				if running[key] > 1 {
					t.Errorf("two functions of key %s run at once", key)
				}
				id := strings.Clone(e.ID()) // e's strings are valid only during the call
				order = append(order, id)
				mu.Unlock()
				started <- id
				if e.ID() == "a0" {
					<-first
				}
				mu.Lock()
				running[key]--
				mu.Unlock()
				return nil, nil
			}, m.opt, host.WithPartitionOrder(true), host.WithConcurrency(4), host.WithQueueSize(2*n))
			tr := h.Trigger("t")
			done := make(chan error, 2*n)
			go func() { _, err := tr.Dispatch(context.Background(), keyed("a0", "a")); done <- err }()
			<-started
			// Each next event of key a arrives once the one before it is
			// queued, so the arrival order is known.
			for i := 1; i < n; i++ {
				go func() { _, err := tr.Dispatch(context.Background(), keyed(fmt.Sprint("a", i), "a")); done <- err }()
				waitFor(t, "the queue to grow", func() bool { return metric(t, reg, host.MetricQueued, "t") == float64(i) })
			}
			// Key b runs while key a is blocked.
			if _, err := tr.Dispatch(context.Background(), keyed("b0", "b")); err != nil {
				t.Fatalf("Dispatch of another key while key a is blocked: %v", err)
			}
			<-started
			close(first)
			for range n {
				if err := <-done; err != nil {
					t.Error(err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			var a []string
			for _, id := range order {
				if id[0] == 'a' {
					a = append(a, id)
				}
			}
			for i, id := range a {
				if id != fmt.Sprint("a", i) {
					t.Fatalf("key a ran in the order %v, want a0..a%d", a, n-1)
				}
			}
		})
	}
}

func TestPartitionKeyTableBounded(t *testing.T) {
	g := newGate(8)
	h, _ := newHost(t, g.call, host.WithPartitionOrder(true), host.WithConcurrency(2), host.WithQueueSize(2), host.WithTimeout(0))
	tr := h.Trigger("t")
	done := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := tr.Dispatch(context.Background(), keyed(fmt.Sprint(i), fmt.Sprint("k", i)))
			done <- err
		}()
	}
	<-g.started
	<-g.started
	waitFor(t, "two callers queued", func() bool { return errors.Is(h.Ready(), host.ErrOverloaded) })
	// A fifth distinct key finds no room: the table holds at most
	// concurrency + queue size keys.
	if _, err := tr.Dispatch(context.Background(), keyed("x", "k-new")); !errors.Is(err, host.ErrOverloaded) {
		t.Fatalf("Dispatch of a new key with slots and queue full = %v, want ErrOverloaded", err)
	}
	g.open()
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestLateFunctionHoldsItsKey(t *testing.T) {
	g := newGate(4)
	h, reg := newHost(t, g.call, host.WithPartitionOrder(true), host.WithTimeout(20*time.Millisecond),
		host.WithAttempts(1), host.WithConcurrency(4))
	tr := h.Trigger("t")
	if _, err := tr.Dispatch(context.Background(), keyed("1", "k")); !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("Dispatch = %v, want ErrTimeout", err)
	}
	<-g.started
	next := make(chan error, 1)
	go func() { _, err := tr.Dispatch(context.Background(), keyed("2", "k")); next <- err }()
	waitFor(t, "the next event of the key to wait", func() bool { return metric(t, reg, host.MetricQueued, "t") == 1 })
	select {
	case id := <-g.started:
		t.Fatalf("event %s ran while the late function of its key still ran", id)
	default:
	}
	g.open()
	if err := <-next; err != nil {
		t.Fatal(err)
	}
	if id := <-g.started; id != "2" {
		t.Fatalf("started %s, want 2", id)
	}
}

func TestDedupe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := map[string]int{}
		fail := map[string]bool{"bad": true}
		h, reg := newHost(t, func(_ context.Context, e *event.Event) (*event.Event, error) {
			calls[e.ID()]++
			if fail[e.ID()] {
				return nil, errBoom
			}
			return nil, nil
		}, host.WithTimeout(0), host.WithAttempts(1), host.WithDedupe(time.Minute, 3))
		tr := h.Trigger("t")
		dispatch := func(id string) error { _, err := tr.Dispatch(context.Background(), newEvent(id)); return err }
		for range 3 {
			if err := dispatch("e1"); err != nil {
				t.Fatal(err)
			}
		}
		if calls["e1"] != 1 || metric(t, reg, host.MetricDuplicates, "t") != 2 {
			t.Fatalf("e1 called %d times, %v duplicates; want 1 and 2", calls["e1"], metric(t, reg, host.MetricDuplicates, "t"))
		}
		// Same id from another source is another event.
		other := newEvent("e1")
		other.SetSource("/elsewhere")
		if _, err := tr.Dispatch(context.Background(), other); err != nil || calls["e1"] != 2 {
			t.Fatalf("same id, other source: err %v, calls %d; want a call", err, calls["e1"])
		}
		// A failed event is not remembered.
		_ = dispatch("bad")
		_ = dispatch("bad")
		if calls["bad"] != 2 {
			t.Errorf("failed event called %d times, want 2", calls["bad"])
		}
		// The window passes.
		time.Sleep(time.Minute)
		if err := dispatch("e1"); err != nil || calls["e1"] != 3 {
			t.Fatalf("after the window: err %v, calls %d; want a call", err, calls["e1"])
		}
		// The bound: three entries. e1 (just recorded), e2, e3, e4
		// push e1 out, so it runs again.
		for _, id := range []string{"e2", "e3", "e4"} {
			_ = dispatch(id)
		}
		if err := dispatch("e1"); err != nil || calls["e1"] != 4 {
			t.Fatalf("after the table overflowed: calls %d; want the oldest forgotten", calls["e1"])
		}
		if err := dispatch("e4"); err != nil || calls["e4"] != 1 {
			t.Fatalf("e4 called %d times, want it remembered", calls["e4"])
		}
	})
}

func TestBackoffJitterBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Time
		h, _ := newHost(t, func(context.Context, *event.Event) (*event.Event, error) {
			times = append(times, time.Now())
			return nil, errBoom
		}, host.WithTimeout(0), host.WithAttempts(5), host.WithBackoff(time.Second, 3*time.Second))
		_, _ = h.Trigger("t").Dispatch(context.Background(), newEvent("1"))
		caps := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
		if len(times) != 5 {
			t.Fatalf("%d attempts, want 5", len(times))
		}
		for i, c := range caps {
			if d := times[i+1].Sub(times[i]); d < 0 || d >= c {
				t.Errorf("wait before attempt %d = %v, want in [0, %v)", i+2, d, c)
			}
		}
	})
}
