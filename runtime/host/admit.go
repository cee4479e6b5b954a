package host

import (
	"context"
	"sync"
)

// admission hands out the slots (at most concurrency functions run at
// once) and, with partition order on, the partition keys; it queues the
// Dispatch calls that must wait, at most queueMax of them.
//
// A slot is taken by a Dispatch call from admission to its outcome. A
// function that outlives its timeout takes the slot with it and gives it
// back when it returns (lateFinish), and its key stays held until then.
type admission struct {
	mu       sync.Mutex
	free     []int32  // free slot indices
	slots    waitList // callers waiting for a slot, holding their key if any
	waiting  int      // callers waiting for a key or a slot
	queueMax int
	draining bool
	keys     map[string]*keyEntry
	spareKey []*keyEntry // unused entries, for reuse
	spareW   []*waiter
}

// A waiter is a Dispatch call waiting for its partition key, then a slot.
type waiter struct {
	ch     chan struct{} // capacity 1; signalled once the wait is over
	slot   int32         // the slot granted, when err is nil
	err    error         // ErrDraining when the drain ended the wait
	key    *keyEntry     // the key it waits for or holds, or nil
	hasKey bool          // it holds key
	list   *waitList     // the list it is on, nil when on none
	prev   *waiter
	next   *waiter
}

// waitList is an intrusive FIFO of waiters.
type waitList struct {
	head, tail *waiter
	n          int
}

func (l *waitList) push(w *waiter) {
	w.list, w.prev, w.next = l, l.tail, nil
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.n++
}

func (l *waitList) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.list, w.prev, w.next = nil, nil, nil
	l.n--
}

func (l *waitList) pop() *waiter {
	w := l.head
	if w != nil {
		l.remove(w)
	}
	return w
}

// A keyEntry is a partition key in use: held by one Dispatch call and by
// the late functions of its key, awaited by others in arrival order.
type keyEntry struct {
	key      string // aliases buf, which is the entry's own
	buf      []byte
	refs     int      // the holding call + its late functions
	running  int      // late functions of the key still running
	waiters  waitList // calls waiting for the key
	lateWait *waiter  // the holding call, waiting for running to reach 0
}

func (a *admission) init(concurrency, queueMax int) {
	a.free = make([]int32, concurrency)
	for i := range a.free {
		a.free[i] = int32(concurrency - 1 - i) // slot 0 on top
	}
	a.queueMax = queueMax
	a.keys = make(map[string]*keyEntry)
}

func (a *admission) getWaiter() *waiter {
	if n := len(a.spareW); n > 0 {
		w := a.spareW[n-1]
		a.spareW = a.spareW[:n-1]
		return w
	}
	return &waiter{ch: make(chan struct{}, 1)}
}

// putWaiter keeps w for reuse; a.mu is held and w's channel is empty.
func (a *admission) putWaiter(w *waiter) {
	*w = waiter{ch: w.ch}
	if len(a.spareW) < 1024 {
		a.spareW = append(a.spareW, w)
	}
}

// entry returns a new entry for key, copying key into the entry's own
// buffer: the caller's string may point into a transport's buffer.
func (a *admission) entry(key string) *keyEntry {
	var e *keyEntry
	if n := len(a.spareKey); n > 0 {
		e = a.spareKey[n-1]
		a.spareKey = a.spareKey[:n-1]
	} else {
		e = new(keyEntry)
	}
	e.buf = append(e.buf[:0], key...)
	e.key = unsafeString(e.buf)
	e.refs = 1
	a.keys[e.key] = e
	return e
}

// grant gives slot to w, or to the next slot waiter; a.mu is held.
func (a *admission) giveSlot(slot int32) {
	if w := a.slots.pop(); w != nil {
		w.slot = slot
		a.waiting--
		w.ch <- struct{}{}
		return
	}
	a.free = append(a.free, slot)
}

// dropRef releases one hold of e; the last hands the key to the next
// waiter or forgets it. a.mu is held.
func (a *admission) dropRef(e *keyEntry) {
	e.refs--
	if e.refs > 0 {
		return
	}
	if w := e.waiters.pop(); w != nil {
		e.refs = 1
		w.hasKey = true
		if len(a.free) > 0 && a.slots.n == 0 {
			w.slot = a.popFree()
			a.waiting--
			w.ch <- struct{}{}
			return
		}
		a.slots.push(w)
		return
	}
	delete(a.keys, e.key)
	e.key = ""
	if cap(e.buf) > maxRetainedKey {
		e.buf = nil
	}
	if len(a.spareKey) < 1024 {
		a.spareKey = append(a.spareKey, e)
	}
}

// maxRetainedKey bounds the buffer a spare key entry keeps.
const maxRetainedKey = 1024

func (a *admission) popFree() int32 {
	n := len(a.free) - 1
	s := a.free[n]
	a.free = a.free[:n]
	return s
}

// drain ends every wait with ErrDraining and refuses new admissions.
func (a *admission) drain() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.draining = true
	for _, e := range a.keys {
		for w := e.waiters.pop(); w != nil; w = e.waiters.pop() {
			w.err = ErrDraining
			a.waiting--
			w.ch <- struct{}{}
		}
	}
	for w := a.slots.pop(); w != nil; w = a.slots.pop() {
		if w.hasKey {
			w.hasKey = false
			a.dropRef(w.key)
		}
		w.err = ErrDraining
		a.waiting--
		w.ch <- struct{}{}
	}
}

// admit takes a slot, and key (if not "") first. Without waiting it
// costs one lock; otherwise the caller waits in the queue, unless the
// queue is full. It returns the slot and the key's entry (nil without a
// key); both are the caller's until release.
func (h *Host) admit(ctx context.Context, t *Trigger, key string) (int32, *keyEntry, error) {
	a := &h.adm
	a.mu.Lock()
	if a.draining {
		a.mu.Unlock()
		return -1, nil, ErrDraining
	}
	var e *keyEntry
	waitKey := false
	if key != "" {
		if e = a.keys[key]; e != nil {
			waitKey = true
		} else {
			e = a.entry(key)
		}
	}
	if !waitKey && len(a.free) > 0 && a.slots.n == 0 {
		s := a.popFree()
		a.mu.Unlock()
		return s, e, nil
	}
	if a.waiting >= a.queueMax {
		if e != nil && !waitKey {
			a.dropRef(e)
		}
		a.mu.Unlock()
		return -1, nil, h.errOverloaded
	}
	a.waiting++
	w := a.getWaiter()
	w.key = e
	if waitKey {
		e.waiters.push(w)
	} else {
		w.hasKey = e != nil
		a.slots.push(w)
	}
	a.mu.Unlock()
	return h.wait(ctx, t, w)
}

// readmit takes a new slot for a retry whose last attempt timed out and
// left its function running with the old slot. With a key it first waits
// for the key's late functions to return, so that one function of a key
// runs at a time. The queue bound applies as for a new call.
func (h *Host) readmit(ctx context.Context, t *Trigger, e *keyEntry) (int32, error) {
	a := &h.adm
	a.mu.Lock()
	if e != nil && e.running > 0 && !a.draining {
		lw := a.getWaiter()
		e.lateWait = lw
		a.mu.Unlock()
		var err error
		select {
		case <-lw.ch:
		case <-ctx.Done():
			err = ctx.Err()
		case <-h.drainCh:
			err = ErrDraining
		}
		a.mu.Lock()
		if e.lateWait == lw {
			e.lateWait = nil
		} else if err != nil {
			<-lw.ch // signalled as the wait ended otherwise
		}
		a.putWaiter(lw)
		if err != nil {
			a.mu.Unlock()
			return -1, err
		}
	}
	if a.draining {
		a.mu.Unlock()
		return -1, ErrDraining
	}
	if len(a.free) > 0 && a.slots.n == 0 {
		s := a.popFree()
		a.mu.Unlock()
		return s, nil
	}
	if a.waiting >= a.queueMax {
		a.mu.Unlock()
		return -1, h.errOverloaded
	}
	a.waiting++
	w := a.getWaiter()
	// The key stays the caller's whatever happens to the wait.
	a.slots.push(w)
	a.mu.Unlock()
	s, _, err := h.wait(ctx, t, w)
	return s, err
}

// wait blocks until w is granted, the drain ends it or ctx ends.
func (h *Host) wait(ctx context.Context, t *Trigger, w *waiter) (int32, *keyEntry, error) {
	a := &h.adm
	t.m.queued.Inc()
	defer t.m.queued.Dec()
	select {
	case <-w.ch:
	case <-ctx.Done():
		a.mu.Lock()
		if w.list != nil {
			w.list.remove(w)
			a.waiting--
			if w.hasKey {
				a.dropRef(w.key)
			}
			a.putWaiter(w)
			a.mu.Unlock()
			return -1, nil, ctx.Err()
		}
		a.mu.Unlock()
		<-w.ch // granted (or drained) while ctx ended: give it back
		a.mu.Lock()
		if w.err == nil {
			a.giveSlot(w.slot)
			if w.hasKey {
				a.dropRef(w.key)
			}
		}
		a.putWaiter(w)
		a.mu.Unlock()
		return -1, nil, ctx.Err()
	}
	slot, e, err := w.slot, w.key, w.err
	if !w.hasKey {
		e = nil // a readmit waiter: the caller holds its key already
	}
	a.mu.Lock()
	a.putWaiter(w)
	a.mu.Unlock()
	if err != nil {
		return -1, nil, err
	}
	return slot, e, nil
}

// release gives back a slot (when slot >= 0) and a key hold (when e is
// not nil).
func (h *Host) release(slot int32, e *keyEntry) {
	a := &h.adm
	a.mu.Lock()
	if slot >= 0 {
		a.giveSlot(slot)
	}
	if e != nil {
		a.dropRef(e)
	}
	a.mu.Unlock()
}

// saturated reports whether every slot is busy and the queue is full.
func (a *admission) saturated() (full bool, waiting int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.free) == 0 && a.waiting >= a.queueMax, a.waiting
}
