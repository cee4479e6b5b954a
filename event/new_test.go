package event

import (
	"errors"
	"sync"
	"testing"
)

func TestNew(t *testing.T) {
	e := New("a-1", "https://example.com/orders", "com.example.order.created")
	for _, c := range []struct{ name, got, want string }{
		{AttrID, e.ID(), "a-1"},
		{AttrSource, e.Source(), "https://example.com/orders"},
		{AttrSpecVersion, e.SpecVersion(), "1.0"},
		{AttrType, e.Type(), "com.example.order.created"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
		if !e.Has(c.name) {
			t.Errorf("%s not present", c.name)
		}
	}
	for _, name := range []string{AttrDataContentType, AttrDataSchema, AttrSubject, AttrTime} {
		if e.Has(name) {
			t.Errorf("optional attribute %s present on a new event", name)
		}
	}
	if e.HasData() || len(e.Extensions()) != 0 {
		t.Error("new event carries data or extensions")
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// The same event built with the setters is equal, presence bits included.
	var built Event
	built.SetID("a-1")
	built.SetSource("https://example.com/orders")
	built.SetSpecVersion(SpecVersion)
	built.SetType("com.example.order.created")
	if !e.Equal(&built) {
		t.Error("New differs from the same event built with setters")
	}
}

// New does not check; Validate reports what is wrong with each required
// attribute, present but empty.
func TestNewChecksNothing(t *testing.T) {
	e := New("", "", "")
	for _, name := range []string{AttrID, AttrSource, AttrType} {
		if !e.Has(name) {
			t.Errorf("%s absent: New must store an empty value as present", name)
		}
	}
	err := e.Validate()
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	rules := ve.Rules()
	for _, want := range []string{"CORE-ATTR-ID-2", "CORE-ATTR-SOURCE-2", "CORE-ATTR-TYPE-2"} {
		if !contains(rules, want) {
			t.Errorf("rules %v lack %s", rules, want)
		}
	}
}

// checkUUIDv4 fails t unless s is the text form of a version 4, variant
// 10 UUID in lower case (RFC 9562 sections 4 and 5.4).
func checkUUIDv4(t *testing.T, s string) {
	t.Helper()
	if len(s) != 36 {
		t.Fatalf("%q: length %d, want 36", s, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				t.Fatalf("%q: byte %d is %q, want '-'", s, i, c)
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				t.Fatalf("%q: byte %d is %q, want a lower-case hex digit", s, i, c)
			}
		}
	}
	if s[14] != '4' {
		t.Fatalf("%q: version digit %q, want '4'", s, s[14])
	}
	switch s[19] {
	case '8', '9', 'a', 'b':
	default:
		t.Fatalf("%q: variant digit %q, want 8, 9, a or b", s, s[19])
	}
}

func TestNewID(t *testing.T) {
	const n = 10000
	seen := make(map[string]bool, n)
	// Every hex digit outside the fixed version and variant bits should
	// take more than one value over n ids; a stuck digit means bytes of
	// the id are not random.
	var digits [36]map[byte]bool
	for i := range n {
		id := NewID()
		checkUUIDv4(t, id)
		if seen[id] {
			t.Fatalf("id %q repeated after %d ids", id, i)
		}
		seen[id] = true
		for j := range len(id) {
			if digits[j] == nil {
				digits[j] = map[byte]bool{}
			}
			digits[j][id[j]] = true
		}
	}
	for j, d := range digits {
		switch j {
		case 8, 13, 18, 23, 14: // dashes, version
			if len(d) != 1 {
				t.Errorf("position %d takes %d values, want 1", j, len(d))
			}
		case 19: // variant: the top two bits are fixed
			if len(d) != 4 {
				t.Errorf("variant digit takes %d values, want 4", len(d))
			}
		default:
			if len(d) != 16 {
				t.Errorf("position %d takes %d of 16 hex values over %d ids", j, len(d), n)
			}
		}
	}
	// A new event with a new id validates.
	e := New(NewID(), "/test", "com.example.t")
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestNewIDConcurrent(t *testing.T) {
	const workers, each = 8, 500
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				ids[w] = append(ids[w], NewID())
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, list := range ids {
		for _, id := range list {
			if seen[id] {
				t.Fatalf("id %q made twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != workers*each {
		t.Fatalf("%d ids, want %d", len(seen), workers*each)
	}
}

func TestNewAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation")
	}
	var sink Event
	if n := testing.AllocsPerRun(100, func() { sink = New("1", "/s", "t") }); n != 0 {
		t.Errorf("New allocates %v times, budget 0", n)
	}
	_ = sink
	var id string
	if n := testing.AllocsPerRun(100, func() { id = NewID() }); n != 1 {
		t.Errorf("NewID allocates %v times, budget 1 (the string)", n)
	}
	_ = id
}
