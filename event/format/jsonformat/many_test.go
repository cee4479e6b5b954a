package jsonformat

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
)

// TestManyAttributesAnyOrder: 100,000 extensions decode in any order, the
// limit raised, to the same sorted event; inserting each name in place
// (the old way) took seconds for half as many in reverse order. The
// deadline is a guard against quadratic time, not a speed claim (the
// benchmark below is that).
func TestManyAttributesAnyOrder(t *testing.T) {
	const n = 100_000
	for _, order := range []int{eventtest.Reversed, eventtest.Shuffled} {
		in := eventtest.ManyAttributesJSON(eventtest.ExtensionNames(n, order))
		dec := Decoder{MaxAttributes: n + 8}
		var e event.Event
		done := make(chan error, 1)
		go func() { done <- dec.Decode(in, &e) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("order %d: %v", order, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("order %d: %d extensions not decoded in 30 s", order, n)
		}
		ext := e.Extensions()
		if len(ext) != n {
			t.Fatalf("order %d: %d extensions, want %d", order, len(ext), n)
		}
		for i := 1; i < len(ext); i++ {
			if ext[i-1].Name >= ext[i].Name {
				t.Fatalf("order %d: extensions not sorted at %d: %q, %q", order, i, ext[i-1].Name, ext[i].Name)
			}
		}
	}
}

// TestAttributeLimit: the default limit counts core attributes,
// extensions and null members; one over it is an AttributeLimitError
// naming the limit, in Decode, DecodeBatch and a Decoder.
func TestAttributeLimit(t *testing.T) {
	// 4 core attributes + 1,019 extensions + 1 null = 1,024: accepted.
	names := eventtest.ExtensionNames(1020, eventtest.Reversed)
	ok := eventtest.ManyAttributesJSON(names[:1019])
	ok = append(ok[:len(ok)-1], `,"nul":null}`...)
	var e event.Event
	if err := Decode(ok, &e); err != nil {
		t.Fatalf("1,024 attributes: %v", err)
	}
	over := append(ok[:len(ok)-1:len(ok)-1], `,"`+names[1019]+`":"v"}`...)
	for name, decode := range map[string]func([]byte) error{
		"Decode":      func(b []byte) error { return Decode(b, &e) },
		"DecodeBatch": func(b []byte) error { _, err := DecodeBatch([]byte("["+string(b)+"]"), nil); return err },
		"Decoder":     func(b []byte) error { var d Decoder; return d.Decode(b, &e) },
	} {
		err := decode(over)
		var le *event.AttributeLimitError
		if !errors.As(err, &le) || le.Max != event.DefaultMaxAttributes || !errors.Is(err, event.ErrTooManyAttributes) {
			t.Errorf("%s, 1,025 attributes: %v, want an AttributeLimitError at %d", name, err, event.DefaultMaxAttributes)
		}
	}
	d := Decoder{MaxAttributes: 5}
	err := d.Decode([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","a":1,"b":2}`), &e)
	if !errors.Is(err, event.ErrTooManyAttributes) || !strings.Contains(err.Error(), "more than 5 attributes") {
		t.Errorf("MaxAttributes 5, 6 attributes: %v", err)
	}
}

// TestRepeatedMemberAnyOrder: a repeated extension is found whether the
// names arrive in order, out of order (the set of names), or after many
// null members.
func TestRepeatedMemberAnyOrder(t *testing.T) {
	head := `{"specversion":"1.0","id":"1","source":"/s","type":"t",`
	var nulls strings.Builder
	for i := range 12 {
		nulls.WriteString(`"n` + strconv.Itoa(i) + `":null,`)
	}
	for name, body := range map[string]string{
		"in order":        `"a":"1","a":"2"}`,
		"out of order":    `"c":"1","b":"2","a":"3","b":"4"}`,
		"null then value": `"z":null,"y":"1","z":"2"}`,
		"many nulls":      nulls.String() + `"n3":"x"}`,
		"value then null": `"c":"1","a":"2","c":null}`,
	} {
		var e event.Event
		err := Decode([]byte(head+body), &e)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Rule != "JSON-SYNTAX-3" {
			t.Errorf("%s: %v, want JSON-SYNTAX-3", name, err)
		}
	}
}

// BenchmarkManyAttributes decodes events of 10, 1k and 100k extensions
// in shuffled order (the limit raised) and reports the time per
// attribute, which stays flat when decoding is linear.
func BenchmarkManyAttributes(b *testing.B) {
	for _, n := range []int{10, 1000, 100_000} {
		in := eventtest.ManyAttributesJSON(eventtest.ExtensionNames(n, eventtest.Shuffled))
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			dec := Decoder{MaxAttributes: n + 8}
			var e event.Event
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if err := dec.Decode(in, &e); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/attr")
		})
	}
}

// TestEncodeTooDeep: JSON data nested deeper than the decoder reads is
// refused by the encoder as too deep, not as "not one JSON value".
func TestEncodeTooDeep(t *testing.T) {
	e := event.Event{}
	e.SetSpecVersion("1.0")
	e.SetID("1")
	e.SetSource("/s")
	e.SetType("t")
	e.SetDataContentType("application/json")
	e.SetData([]byte(strings.Repeat("[", 1001) + strings.Repeat("]", 1001)))
	_, err := Marshal(&e)
	if err == nil || !strings.Contains(err.Error(), "nested deeper than 1000 levels") {
		t.Errorf("1,001 levels: %v", err)
	}
	e.SetData([]byte(strings.Repeat("[", 1000) + strings.Repeat("]", 1000)))
	if _, err := Marshal(&e); err != nil {
		t.Errorf("1,000 levels: %v", err)
	}
	e.SetData([]byte("{"))
	if _, err := Marshal(&e); err == nil || !strings.Contains(err.Error(), "not one JSON value") {
		t.Errorf("broken data: %v", err)
	}
}
