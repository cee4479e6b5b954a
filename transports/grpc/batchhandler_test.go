package grpc_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// batchRecorder is a binding.BatchHandler that records the batches it
// gets and refuses events by id.
type batchRecorder struct {
	mu      sync.Mutex
	batches [][]string
	handled int
}

func (b *batchRecorder) Handle(context.Context, *event.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handled++
	return nil
}

func (b *batchRecorder) HandleBatch(_ context.Context, events []event.Event, errs []error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for i := range events {
		if errs[i] != nil {
			continue
		}
		ids = append(ids, strings.Clone(events[i].ID()))
		switch events[i].ID() {
		case "7":
			errs[i] = errors.New("busy downstream")
		case "8":
			errs[i] = binding.ErrRejected
		}
	}
	b.batches = append(b.batches, ids)
}

// The Stream hands a batch to a BatchHandler in one call and answers
// each event's outcome by its index.
func TestStreamBatchHandler(t *testing.T) {
	rec := &batchRecorder{}
	h := start(t, rec)
	c := h.client(t)
	ctx := context.Background()
	s, err := c.Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	batch := []event.Event{*newEvent("6", "t", ""), *newEvent("7", "t", ""), *newEvent("8", "t", "")}
	a, err := s.Send(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 1 || len(res.Failures) != 2 {
		t.Fatalf("accepted %d, failures %v; want 1 and 2", res.Accepted, res.Failures)
	}
	if f := res.Failures[0]; f.Index != 1 || f.Code == codes.InvalidArgument {
		t.Errorf("transient failure: %+v, want index 1 and a retryable code", f)
	}
	if f := res.Failures[1]; f.Index != 2 || f.Code != codes.InvalidArgument {
		t.Errorf("rejection: %+v, want index 2 and INVALID_ARGUMENT", f)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.batches) != 1 || strings.Join(rec.batches[0], ",") != "6,7,8" || rec.handled != 0 {
		t.Errorf("batches %v, single calls %d; want one batch of 6,7,8 and no single call", rec.batches, rec.handled)
	}
}
