package host

import (
	"context"
	"errors"
	"time"

	"github.com/openevents/openevents/event"
)

// DispatchBatch dispatches the events of one batch, in order, as
// Dispatch does each, and sets errs[i] to the outcome of events[i]; an
// events[i] whose errs[i] is not nil on entry is skipped (the transport
// refused it already). The batch takes one slot for all its events, so
// admission, the drain bookkeeping and the metrics' cache lines are paid
// once a batch instead of once an event: its events run one after
// another, as they would on the transport's goroutine anyway. Each has
// its own timeout, retries, dead letter and metrics; replies go to the
// reply sinks only. With partition order (or a tracer) each event is
// dispatched on its own, since its key (or span) decides its admission.
//
// It makes a Trigger a binding.BatchHandler, which the gRPC Stream uses.
func (t *Trigger) DispatchBatch(ctx context.Context, events []event.Event, errs []error) {
	h := t.h
	if h.cfg.ordered || h.cfg.tracer != nil {
		for i := range events {
			if errs[i] == nil {
				_, errs[i] = t.Dispatch(ctx, &events[i])
			}
		}
		return
	}
	start := h.now()
	h.pending.Add(1)
	defer h.exit()
	slot := int32(-1)
	var err error
	if h.draining.Load() {
		err = ErrDraining
	} else {
		slot, _, err = h.admit(ctx, t, "")
	}
	if err != nil {
		t.refuseBatch(events, errs, err, start)
		return
	}
	sh := t.stats.at(slot)
	pd := h.parentDue(ctx) // once a batch: a transport's context can be a long chain
	for i := range events {
		if errs[i] != nil {
			continue
		}
		e := &events[i]
		sh.received.Add(1)
		if h.dedupe != nil && h.dedupe.contains(e.Source(), e.ID(), int64(start)) {
			t.m.duplicates.Inc()
		} else {
			_, errs[i] = t.attempts(ctx, e, &slot, nil, start, sh, pd)
		}
		end := h.now()
		sh.observe(end - start)
		start = end
		if slot < 0 && i+1 < len(events) {
			// A late function kept the slot: the rest of the batch needs
			// another, or is refused.
			if slot, _, err = h.admit(ctx, t, ""); err != nil {
				t.refuseBatch(events[i+1:], errs[i+1:], err, start)
				return
			}
			sh = t.stats.at(slot)
		}
	}
	if slot >= 0 {
		h.release(slot, nil)
	}
}

// refuseBatch refuses every event of the batch not skipped with err,
// counting each as received and refused.
func (t *Trigger) refuseBatch(events []event.Event, errs []error, err error, start time.Duration) {
	refused := t.stats.at(-1)
	now := t.h.now()
	for i := range events {
		if errs[i] != nil {
			continue
		}
		refused.received.Add(1)
		switch {
		case errors.Is(err, ErrOverloaded):
			t.m.overloaded.Inc()
		case errors.Is(err, ErrDraining):
			t.m.unavailable.Inc()
		}
		refused.observe(now - start)
		errs[i] = err
	}
}

// HandleBatch is DispatchBatch: it makes a Trigger a
// binding.BatchHandler.
func (t *Trigger) HandleBatch(ctx context.Context, events []event.Event, errs []error) {
	t.DispatchBatch(ctx, events, errs)
}
