package mqtt_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

func TestConcurrencyOutOfRange(t *testing.T) {
	for _, n := range []int{0, -1, cemqtt.MaxConcurrency + 1} {
		_, err := cemqtt.NewSubscriber("tcp://127.0.0.1:1", "t", binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }),
			cemqtt.WithConcurrency(n))
		if !errors.Is(err, cemqtt.ErrConfig) || !strings.Contains(err.Error(), "WithConcurrency") {
			t.Errorf("WithConcurrency(%d): %v, want ErrConfig naming the option", n, err)
		}
	}
}

// With WithConcurrency(n) at most n handlers run at once, and every
// message is handled, for both protocol versions.
func TestConcurrentHandlers(t *testing.T) {
	for _, v := range []cemqtt.Version{cemqtt.Version5, cemqtt.Version311} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			const n, total = 4, 200
			b := embedded(t)
			ctx := testContext(t)
			tp := topic(t)
			var running, peak atomic.Int32
			var mu sync.Mutex
			seen := map[string]int{}
			all := make(chan struct{})
			h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
				r := running.Add(1)
				for p := peak.Load(); r > p; p = peak.Load() {
					if peak.CompareAndSwap(p, r) {
						break
					}
				}
				time.Sleep(time.Millisecond) // long enough for others to start
				running.Add(-1)
				mu.Lock()
				seen[strings.Clone(e.ID())]++
				if len(seen) == total {
					close(all)
				}
				mu.Unlock()
				return nil
			})
			sub, err := startSubscriber(ctx, b.URL(), tp, h, cemqtt.WithConcurrency(n), cemqtt.WithCleanStart(true), cemqtt.WithVersion(v))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sub.Shutdown(context.Background()) }()
			pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithTopic(tp), cemqtt.WithVersion(v))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = pub.Close(context.Background()) }()
			for i := range total {
				e := event.New(fmt.Sprint("c-", i), "/concurrent", "com.example.c")
				if err := pub.Send(ctx, &e); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-all:
			case <-ctx.Done():
				mu.Lock()
				t.Fatalf("handled %d of %d messages", len(seen), total)
			}
			if p := peak.Load(); p > n || p < 2 {
				t.Errorf("peak of %d handlers at once, want 2..%d", p, n)
			}
			// Delivered is counted once the handler returned: wait for the last.
			for sub.Stats().Delivered < total && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			if got := sub.Stats().Delivered; got != total {
				t.Errorf("Stats().Delivered = %d, want %d", got, total)
			}
		})
	}
}

// Acknowledgements go in arrival order: messages handled after a slow
// one are not acknowledged before it, so when the subscriber stops while
// the first still runs, the broker sends all of them again to the
// session's next subscriber.
func TestConcurrentAcksInArrivalOrder(t *testing.T) {
	b := embedded(t)
	ctx := testContext(t)
	tp := topic(t)
	id := "ordered-" + tp[strings.LastIndex(tp, "/")+1:]
	release := make(chan struct{})
	var handled atomic.Int32
	first := binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		if e.ID() == "o-0" {
			select { // the slow first message: it fails when the subscriber stops
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		handled.Add(1)
		return nil
	})
	sub, err := startSubscriber(ctx, b.URL(), tp, first, cemqtt.WithConcurrency(4), cemqtt.WithClientID(id), cemqtt.WithCleanStart(true))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithTopic(tp))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	for i := range 4 {
		e := event.New(fmt.Sprint("o-", i), "/ordered", "com.example.o")
		if err := pub.Send(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	for handled.Load() < 3 { // o-1..o-3 done, o-0 still running
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of the 3 fast messages were handled", handled.Load())
		case <-time.After(5 * time.Millisecond):
		}
	}
	// The drain gives up on the slow message after a short while; its
	// handler's context then ends and it fails.
	dctx, dcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer dcancel()
	_ = sub.Shutdown(dctx) // may report the drain's deadline
	close(release)

	col := newCollector()
	again, err := startSubscriber(ctx, b.URL(), tp, col, cemqtt.WithClientID(id))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = again.Shutdown(context.Background()) }()
	got := map[string]bool{}
	for len(got) < 4 {
		e := col.next(t)
		got[e.ID()] = true
	}
	for i := range 4 {
		if !got[fmt.Sprint("o-", i)] {
			t.Errorf("o-%d was not redelivered: it was acknowledged before the slow message that arrived first", i)
		}
	}
}

// Shutdown lets the handlers already running finish and acknowledges
// their messages, and leaves what arrives meanwhile to the session's
// next subscriber.
func TestShutdownDrains(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", n), func(t *testing.T) {
			b := embedded(t)
			ctx := testContext(t)
			tp := topic(t)
			id := fmt.Sprint("drain-", n, "-", tp[strings.LastIndex(tp, "/")+1:])
			started := make(chan struct{}, 1)
			release := make(chan struct{})
			var ctxErr atomic.Value
			h := binding.HandlerFunc(func(hctx context.Context, e *event.Event) error {
				if e.ID() == "slow" {
					started <- struct{}{}
					<-release
					if err := hctx.Err(); err != nil {
						ctxErr.Store(err)
					}
				}
				return nil
			})
			sub, err := startSubscriber(ctx, b.URL(), tp, h, cemqtt.WithConcurrency(n), cemqtt.WithClientID(id), cemqtt.WithCleanStart(true))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := cemqtt.NewPublisher(ctx, b.URL(), cemqtt.WithTopic(tp))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = pub.Close(context.Background()) }()
			slow := event.New("slow", "/drain", "com.example.d")
			if err := pub.Send(ctx, &slow); err != nil {
				t.Fatal(err)
			}
			<-started
			stopped := make(chan error, 1)
			go func() { stopped <- sub.Shutdown(ctx) }()
			for !sub.Stats().Draining {
				select {
				case <-time.After(time.Millisecond):
				case <-ctx.Done():
					t.Fatal("Shutdown never began draining")
				}
			}
			late := event.New("late", "/drain", "com.example.d")
			if err := pub.Send(ctx, &late); err != nil {
				t.Fatal(err)
			}
			close(release)
			if err := <-stopped; err != nil {
				t.Fatal(err)
			}
			if err, _ := ctxErr.Load().(error); err != nil {
				t.Errorf("the running handler's context ended during the drain: %v", err)
			}
			if got := sub.Stats().Delivered; got != 1 {
				t.Errorf("Delivered = %d after the drain, want 1 (the slow message)", got)
			}
			col := newCollector()
			again, err := startSubscriber(ctx, b.URL(), tp, col, cemqtt.WithClientID(id))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = again.Shutdown(context.Background()) }()
			e := col.next(t)
			if e.ID() != "late" {
				t.Errorf("the next subscriber got %q first, want the late message (the slow one was acknowledged)", e.ID())
			}
		})
	}
}
