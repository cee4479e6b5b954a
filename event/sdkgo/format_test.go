package sdkgo_test

import (
	"errors"
	"testing"

	"github.com/cloudevents/sdk-go/v2/binding/format"
	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/sdkgo"
)

var _ format.Format = sdkgo.Format{}

func TestFormatMediaType(t *testing.T) {
	if got := (sdkgo.Format{}).MediaType(); got != jsonformat.MediaType || !format.IsFormat(got) {
		t.Errorf("MediaType() = %q", got)
	}
}

// TestFormatInterop writes with our Format and reads with sdk-go's own
// JSON format, and the other way round.
func TestFormatInterop(t *testing.T) {
	var f format.Format = sdkgo.Format{}
	in := []byte(`{"specversion":"1.0","id":"1","source":"https://example.com/s","type":"com.example.t",` +
		`"subject":"x","time":"2024-03-01T09:30:00Z","datacontenttype":"application/json","comexampleint":5,` +
		`"comexamplebool":true,"data":{"a":[1,2]}}`)
	var ours sdk.Event
	if err := f.Unmarshal(in, &ours); err != nil {
		t.Fatal(err)
	}
	var theirs sdk.Event
	if err := format.JSON.Unmarshal(in, &theirs); err != nil {
		t.Fatal(err)
	}
	if d := sdkDiff(&theirs, &ours); d != "" {
		t.Errorf("Format and sdk-go's JSON format read different events: %s", d)
	}

	out, err := f.Marshal(&theirs)
	if err != nil {
		t.Fatal(err)
	}
	var again sdk.Event
	if err := format.JSON.Unmarshal(out, &again); err != nil {
		t.Fatalf("sdk-go cannot read %s: %v", out, err)
	}
	if d := sdkDiff(&theirs, &again); d != "" {
		t.Errorf("sdk-go reads back a different event from %s: %s", out, d)
	}
}

func TestFormatErrors(t *testing.T) {
	f := sdkgo.Format{}
	orig := sdk.New()
	orig.SetID("keep")
	tests := []struct {
		name string
		in   string
		is   error
	}{
		{"syntax", `{"specversion":"1.0",`, jsonformat.ErrSyntax},
		{"invalid", `{"specversion":"1.0","id":"","source":"/s","type":"t"}`, event.ErrInvalid},
		{"unrepresentable", `{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2016-12-31T23:59:60Z"}`, sdkgo.ErrUnrepresentable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := orig.Clone()
			err := f.Unmarshal([]byte(tt.in), &se)
			if !errors.Is(err, tt.is) {
				t.Fatalf("got %v, want %v", err, tt.is)
			}
			if se.ID() != "keep" {
				t.Error("Unmarshal changed the event on error")
			}
		})
	}
	bad := sdk.New()
	bad.SetID("1")
	bad.SetType("t")
	if _, err := f.Marshal(&bad); !errors.Is(err, event.ErrInvalid) {
		t.Errorf("Marshal of an event without source: got %v", err)
	}
	if _, err := f.Marshal(&sdk.Event{}); !errors.Is(err, sdkgo.ErrUnrepresentable) {
		t.Errorf("Marshal of an event without context: got %v", err)
	}
}
