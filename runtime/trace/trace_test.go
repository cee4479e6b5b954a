package trace_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openevents/openevents/runtime/trace"
)

const good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		why  string // part of the error message
	}{
		{name: "version 00", in: good, ok: true},
		{name: "not sampled", in: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", ok: true},
		{name: "later version with extra field", in: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-abc", ok: true},
		{name: "later version exact", in: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ok: true},
		{name: "empty", in: "", why: "shorter"},
		{name: "short", in: good[:54], why: "shorter"},
		{name: "version 00 too long", in: good + "-x", why: "exactly 55"},
		{name: "later version no dash", in: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", why: "follow a dash"},
		{name: "version ff", in: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", why: "version ff"},
		{name: "upper-case trace id", in: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", why: "trace id"},
		{name: "bad version", in: "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", why: "version"},
		{name: "zero trace id", in: "00-00000000000000000000000000000000-00f067aa0ba902b7-01", why: "trace id is all zero"},
		{name: "zero parent id", in: "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", why: "parent id is all zero"},
		{name: "bad parent id", in: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", why: "parent id"},
		{name: "bad flags", in: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x", why: "flags"},
		{name: "no dashes", in: "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", why: "dashes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := trace.Parse(tt.in)
			if got := trace.Valid(tt.in); got != tt.ok {
				t.Errorf("Valid = %v, want %v", got, tt.ok)
			}
			if tt.ok {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if !errors.Is(err, trace.ErrInvalid) || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("Parse error = %v, want ErrInvalid saying %q", err, tt.why)
			}
			if p != (trace.Parent{}) {
				t.Errorf("Parse returned %+v with its error", p)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	p, err := trace.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 0 || p.TraceID[0] != 0x4b || p.TraceID[15] != 0x36 || p.ParentID[0] != 0x00 || p.ParentID[7] != 0xb7 || !p.Sampled() {
		t.Fatalf("Parse(%q) = %+v", good, p)
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if got := trace.FromContext(ctx); got != "" {
		t.Fatalf("FromContext(Background) = %q", got)
	}
	if c := trace.NewContext(ctx, "junk"); c != ctx {
		t.Fatal("NewContext stored an invalid traceparent")
	}
	c := trace.NewContext(ctx, good)
	if got := trace.FromContext(c); got != good {
		t.Fatalf("FromContext = %q, want %q", got, good)
	}
	other := "00-11111111111111111111111111111111-2222222222222222-00"
	if got := trace.FromContext(trace.NewContext(c, other)); got != other {
		t.Fatalf("inner traceparent does not shadow the outer one: %q", got)
	}
	type key struct{}
	c2 := trace.NewContext(context.WithValue(ctx, key{}, 7), good)
	if c2.Value(key{}) != 7 {
		t.Fatal("NewContext hides the parent's values")
	}
}

func TestAllocs(t *testing.T) {
	ctx := context.Background()
	c := trace.NewContext(ctx, good)
	if n := testing.AllocsPerRun(100, func() {
		if trace.FromContext(c) == "" || !trace.Valid(good) {
			t.Fatal("lost")
		}
	}); n != 0 {
		t.Errorf("FromContext + Valid allocate %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = trace.NewContext(ctx, good) }); n > 1 {
		t.Errorf("NewContext allocates %v times, want at most 1", n)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(good)
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-abc")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := trace.Parse(s)
		if (err == nil) != trace.Valid(s) {
			t.Fatalf("Parse and Valid disagree on %q", s)
		}
		if err == nil && (p.TraceID == [16]byte{} || p.ParentID == [8]byte{} || p.Version == 0xff) {
			t.Fatalf("accepted %q as %+v", s, p)
		}
	})
}
