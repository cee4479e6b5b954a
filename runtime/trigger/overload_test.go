package trigger_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/internal/heapwatch"
	"github.com/openevents/openevents/runtime/function"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trigger"
	cehttp "github.com/openevents/openevents/transports/http"
)

// TestHTTPOverload drives twice the host's capacity (concurrency 4, queue
// 4) at the HTTP trigger while the function is blocked: the 8 that fit
// wait and then succeed, the other 8 are answered 429 with Retry-After at
// once, and the heap stays small.
func TestHTTPOverload(t *testing.T) {
	const concurrency, queue = 4, 4
	release := make(chan struct{})
	var runningMu sync.Mutex
	running := 0
	started := make(chan struct{}, 2*(concurrency+queue))
	fn := function.Func(func(_ context.Context, e *event.Event) (*event.Event, error) {
		runningMu.Lock()
		running++
		runningMu.Unlock()
		started <- struct{}{}
		<-release
		return nil, nil
	})
	h, err := host.New(fn, host.WithConcurrency(concurrency), host.WithQueueSize(queue), host.WithTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tr, err := trigger.NewHTTP("127.0.0.1:0", "--http", h.Trigger("http"), cehttp.WithMaxInFlight(4*(concurrency+queue)))
	if err != nil {
		t.Fatal(err)
	}
	start(t, tr)
	s, err := cehttp.NewSender("http://"+tr.Addr()+"/", cehttp.WithRetry(1, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	heap := heapwatch.Start(5 * time.Millisecond)

	type result struct {
		err error
	}
	results := make(chan result, 2*(concurrency+queue))
	send := func(id string) {
		e := event.New(id, "/load", "com.example.load")
		_, err := s.Send(ctx, &e)
		results <- result{err}
	}
	// Fill the slots, then the queue, then send as many again.
	for i := range concurrency {
		go send("run-" + string(rune('a'+i)))
	}
	for range concurrency {
		<-started
	}
	for i := range queue {
		go send("queued-" + string(rune('a'+i)))
	}
	for h.Ready() == nil {
		select {
		case <-ctx.Done():
			t.Fatal("the queue did not fill")
		case <-time.After(time.Millisecond):
		}
	}
	refused := 0
	for i := range concurrency + queue {
		go send("extra-" + string(rune('a'+i)))
	}
	for range concurrency + queue {
		r := <-results
		var se *cehttp.StatusError
		if !errors.As(r.err, &se) || se.Code != http.StatusTooManyRequests || se.RetryAfter <= 0 {
			t.Errorf("an event beyond capacity: %v, want 429 with Retry-After", r.err)
			continue
		}
		refused++
	}
	close(release)
	for range concurrency + queue {
		if r := <-results; r.err != nil {
			t.Errorf("an event within capacity: %v", r.err)
		}
	}
	peak := heap.Stop()
	if refused != concurrency+queue {
		t.Errorf("%d refused, want %d", refused, concurrency+queue)
	}
	if runningMu.Lock(); running != concurrency+queue {
		t.Errorf("the function ran %d times, want %d", running, concurrency+queue)
	}
	runningMu.Unlock()
	const bound = 64 << 20
	if peak > bound {
		t.Errorf("peak heap %d bytes, over %d", peak, bound)
	}
	t.Logf("peak heap %.1f MiB", float64(peak)/(1<<20))
}
