package builtin

import (
	"context"
	"sync/atomic"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/filter"
	"github.com/openevents/openevents/runtime/function"
)

// Filtered is the function Filter returns. It is safe for concurrent use
// as far as the function it guards is.
type Filtered struct {
	f       filter.Filter
	next    function.Function
	matched atomic.Uint64
	skipped atomic.Uint64
}

// FilterStats counts the events a Filtered function has seen since it was
// made.
type FilterStats struct {
	Matched uint64 // events that matched and went to the next function
	Skipped uint64 // events that did not match, acknowledged unhandled
}

// Filter returns a function that calls next only for the events f
// matches (SUBS-FILTER-2) and returns next's reply and error. An event f
// does not match is not handed on (SUBS-FILTER-1) but acknowledged: a
// success with no reply, counted in Stats, never an error, since a
// filtered-out event is not a failure to retry or dead-letter. A nil next
// accepts matching events with no reply. The filter adds no allocation.
func Filter(f filter.Filter, next function.Function) *Filtered {
	if next == nil {
		next = Noop()
	}
	return &Filtered{f: f, next: next}
}

// Call hands e to the next function if it matches; see Filter.
func (g *Filtered) Call(ctx context.Context, e *event.Event) (*event.Event, error) {
	if !g.f.Match(e) {
		g.skipped.Add(1)
		return nil, nil
	}
	g.matched.Add(1)
	return g.next.Call(ctx, e)
}

// Stats returns the counts so far. The two counters are read one after
// the other, not as one snapshot.
func (g *Filtered) Stats() FilterStats {
	return FilterStats{Matched: g.matched.Load(), Skipped: g.skipped.Load()}
}
