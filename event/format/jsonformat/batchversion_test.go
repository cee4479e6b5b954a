package jsonformat

import (
	"errors"
	"slices"
	"testing"

	"github.com/openevents/openevents/event"
)

// TestDecodeBatchMixedSpecVersions: the events of one batch share one
// specversion (CORE-BATCH-1, HTTP-BATCH-8), checked before 0.3 events are
// mapped to 1.0. The conformance suite found the gap.
func TestDecodeBatchMixedSpecVersions(t *testing.T) {
	const v10 = `{"specversion":"1.0","id":"a","source":"/s","type":"t"}`
	const v03 = `{"specversion":"0.3","id":"b","source":"/s","type":"t"}`
	tests := []struct {
		name string
		in   string
		bad  bool
	}{
		{"all 1.0", "[" + v10 + "," + v10 + "]", false},
		{"all 0.3", "[" + v03 + "," + v03 + "]", false},
		{"1.0 then 0.3", "[" + v10 + "," + v03 + "]", true},
		{"0.3 then 1.0", "[" + v03 + "," + v10 + "]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBatch([]byte(tt.in), nil)
			var ve *event.ValidationError
			got := errors.As(err, &ve) && slices.Contains(ve.Rules(), "CORE-BATCH-1")
			if got != tt.bad {
				t.Fatalf("DecodeBatch(%s) = %v, want a CORE-BATCH-1 violation: %v", tt.in, err, tt.bad)
			}
			if !tt.bad && err != nil {
				t.Fatalf("DecodeBatch(%s) = %v", tt.in, err)
			}
		})
	}
	// A single event is no batch.
	var e event.Event
	if err := Decode([]byte(v03), &e); err != nil {
		t.Fatal(err)
	}
}
