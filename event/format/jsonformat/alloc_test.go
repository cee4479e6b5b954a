package jsonformat

import (
	"testing"

	"github.com/openevents/openevents/event"
)

const typicalEvent = `{"specversion":"1.0","id":"7f6c9f2e","source":"https://example.com/orders",` +
	`"type":"com.example.order.created","subject":"orders/12345","time":"2026-11-26T10:00:00.123Z",` +
	`"datacontenttype":"application/json","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",` +
	`"data":{"order":12345,"items":[{"sku":"A-1","qty":2}],"total":19.99}}`

// TestAllocationBudgets enforces the budgets of the foundation issue:
// decode ≤ 3 allocations, encode into a reused buffer 0.
func TestAllocationBudgets(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation")
	}
	in := []byte(typicalEvent)
	var e event.Event
	if n := testing.AllocsPerRun(200, func() {
		var fresh event.Event
		if err := Decode(in, &fresh); err != nil {
			t.Fatal(err)
		}
	}); n > 3 {
		t.Errorf("Decode into a fresh event: %v allocs, budget 3", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		if err := Decode(in, &e); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("Decode into a reused event: %v allocs, budget 1", n)
	}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(200, func() {
		var err error
		if buf, err = Append(buf[:0], &e); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Append into a reused buffer: %v allocs, budget 0", n)
	}
	batch := []byte("[" + typicalEvent + "," + typicalEvent + "]")
	dst := make([]event.Event, 0, 2)
	if n := testing.AllocsPerRun(100, func() {
		var err error
		if dst, err = DecodeBatch(batch, dst[:0]); err != nil {
			t.Fatal(err)
		}
	}); n > 2 {
		t.Errorf("DecodeBatch of 2 into a reused slice: %v allocs, budget 2", n)
	}
}
