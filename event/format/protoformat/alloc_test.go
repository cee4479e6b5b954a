package protoformat_test

import (
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/protoformat"
)

// TestAllocationBudgets enforces the budgets of the protobuf issue: decode
// ≤ 3 allocations, encode into a reused buffer 0.
func TestAllocationBudgets(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation")
	}
	e := typicalEvent(t)
	in, err := protoformat.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() {
		var fresh event.Event
		if err := protoformat.Decode(in, &fresh); err != nil {
			t.Fatal(err)
		}
	}); n > 3 {
		t.Errorf("Decode into a fresh event: %v allocs, budget 3", n)
	}
	var reused event.Event
	if n := testing.AllocsPerRun(200, func() {
		if err := protoformat.Decode(in, &reused); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("Decode into a reused event: %v allocs, budget 1", n)
	}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(200, func() {
		var err error
		if buf, err = protoformat.Append(buf[:0], e); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Append into a reused buffer: %v allocs, budget 0", n)
	}
	batch, err := protoformat.AppendBatch(nil, []event.Event{*e, *e})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]event.Event, 0, 2)
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = protoformat.DecodeBatch(batch, dst[:0]); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("DecodeBatch of 2 into a reused slice: %v allocs, budget 1", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = protoformat.AppendBatch(buf[:0], []event.Event{*e}); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendBatch into a reused buffer: %v allocs, budget 0", n)
	}
}

// TestAliasAllocations checks the zero-copy mode: a reused batch decodes
// with one allocation (the text of the timestamps) and strings point into
// the input.
func TestAliasAllocations(t *testing.T) {
	e := typicalEvent(t)
	batch, err := protoformat.AppendBatch(nil, []event.Event{*e, *e, *e})
	if err != nil {
		t.Fatal(err)
	}
	alias := protoformat.Options{Alias: true}
	dst, err := alias.DecodeBatch(batch, nil)
	if err != nil || len(dst) != 3 || !dst[2].Equal(e) {
		t.Fatalf("%d events, %v", len(dst), err)
	}
	data := dst[0].Data()
	if !inside(batch, data) {
		t.Error("data does not alias the input")
	}
	if testing.CoverMode() != "" || raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(100, func() {
		if dst, err = alias.DecodeBatch(batch, dst[:0]); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("aliasing DecodeBatch of 3 into a reused slice: %v allocs, budget 1", n)
	}
}

func inside(outer, inner []byte) bool {
	if len(inner) == 0 {
		return false
	}
	for i := range outer {
		if &outer[i] == &inner[0] {
			return true
		}
	}
	return false
}
