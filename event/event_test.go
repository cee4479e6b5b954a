package event

import (
	"errors"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// valid returns a minimal valid event.
func valid() Event {
	var e Event
	e.SetID("1")
	e.SetSource("/src")
	e.SetSpecVersion(SpecVersion)
	e.SetType("com.example.t")
	return e
}

func TestPresenceIsNotEmptiness(t *testing.T) {
	e := valid()
	if e.Has(AttrSubject) {
		t.Fatal("subject present on a fresh event")
	}
	e.SetSubject("")
	if !e.Has(AttrSubject) {
		t.Fatal("SetSubject(\"\") did not mark subject present")
	}
	e.Delete(AttrSubject)
	if e.Has(AttrSubject) {
		t.Fatal("Delete left subject present")
	}
}

func TestExtensionsStaySorted(t *testing.T) {
	e := valid()
	for _, n := range []string{"zeta", "alpha", "mid", "beta", "alpha"} {
		e.SetExtension(n, String(n))
	}
	var names []string
	for _, x := range e.Extensions() {
		names = append(names, x.Name)
	}
	want := []string{"alpha", "beta", "mid", "zeta"}
	if !slices.Equal(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	e.Delete("mid")
	if _, ok := e.Extension("mid"); ok || len(e.Extensions()) != 3 {
		t.Fatal("Delete of an extension failed")
	}
	// Binary search path (more than 8 extensions).
	for _, n := range []string{"e1", "e2", "e3", "e4", "e5", "e6", "e7"} {
		e.SetExtension(n, Integer(1))
	}
	if v, ok := e.Extension("e4"); !ok || v.Int() != 1 {
		t.Fatal("lookup among many extensions failed")
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSetAndLookupCoreKinds(t *testing.T) {
	e := valid()
	e.Set(AttrTime, Timestamp("2020-01-02T03:04:05Z"))
	v, ok := e.Lookup(AttrTime)
	if !ok || v.Kind() != KindTimestamp || v.Text() != "2020-01-02T03:04:05Z" {
		t.Fatalf("Lookup(time) = %v %v", v, ok)
	}
	tm, err := v.Time()
	if err != nil || tm.Year() != 2020 {
		t.Fatalf("Time() = %v, %v", tm, err)
	}
	if v, _ := e.Lookup(AttrSource); v.Kind() != KindURIRef {
		t.Fatalf("source kind = %v", v.Kind())
	}
	var got []string
	e.SetExtension("b", Boolean(true))
	e.Attributes(func(n string, _ Value) bool { got = append(got, n); return true })
	want := []string{"specversion", "id", "source", "type", "time", "b"}
	if !slices.Equal(got, want) {
		t.Fatalf("Attributes order = %v, want %v", got, want)
	}
}

func TestValueCanonicalStrings(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    Value
		want string
	}{
		{"true", Boolean(true), "true"},
		{"false", Boolean(false), "false"},
		{"min int", Integer(-2147483648), "-2147483648"},
		{"binary", Binary([]byte{0, 1, 2, 0xff}), "AAEC/w=="},
		{"uri", URI("https://x"), "https://x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.String(); got != tc.want {
				t.Fatalf("String() = %q, want %q", got, tc.want)
			}
			if got := string(tc.v.AppendText(nil)); got != tc.want {
				t.Fatalf("AppendText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCloneIsIndependent(t *testing.T) {
	e := valid()
	e.SetExtension("x", String("1"))
	e.SetData([]byte(`{"a":1}`))
	c := e.Clone()
	if !c.Equal(&e) {
		t.Fatal("clone differs")
	}
	c.SetExtension("x", String("2"))
	c.Data()[0] = '['
	if v, _ := e.Extension("x"); v.Text() != "1" || e.Data()[0] != '{' {
		t.Fatal("clone shares memory with the original")
	}
}

func TestDataKinds(t *testing.T) {
	e := valid()
	if e.HasData() {
		t.Fatal("fresh event has data")
	}
	e.SetBinaryData([]byte{1})
	if !e.HasData() || !e.IsBinaryData() {
		t.Fatal("binary data flags wrong")
	}
	e.SetData([]byte("x"))
	if e.IsBinaryData() {
		t.Fatal("SetData kept the binary flag")
	}
	e.SetData(nil)
	if !e.HasData() {
		t.Fatal("empty data must still be data")
	}
	e.ClearData()
	if e.HasData() {
		t.Fatal("ClearData left data")
	}
}

func TestTimestampTime(t *testing.T) {
	for in, want := range map[string]string{
		"2018-04-05t17:31:00z":          "2018-04-05T17:31:00Z",
		"2016-12-31T23:59:60Z":          "2016-12-31T23:59:59Z",
		"2016-12-31T15:59:60.5-08:00":   "2016-12-31T23:59:59.5Z",
		"2020-01-02T03:04:05.123+01:00": "2020-01-02T02:04:05.123Z",
	} {
		got, err := Timestamp(in).Time()
		if err != nil || got.UTC().Format(time.RFC3339Nano) != want {
			t.Errorf("Timestamp(%q).Time() = %v, %v; want %s", in, got.UTC(), err, want)
		}
	}
	if _, err := Timestamp("2018-04-05T17:31Z").Time(); err == nil {
		t.Error("Time accepted a timestamp without seconds")
	}
	if _, err := String("x").Time(); err == nil || err.Error() != "event: value is String, not Timestamp" {
		t.Errorf("Time on a String: %v", err)
	}
}

// TestCloneOwnsItsStrings: a clone of an event whose strings alias a
// buffer keeps its values when that buffer is overwritten, as it is when a
// transport reuses its receive buffer.
func TestCloneOwnsItsStrings(t *testing.T) {
	buf := []byte("id1src1type1subj1ext1")
	alias := func(from, to int) string { return unsafe.String(&buf[from], to-from) }
	var e Event
	e.SetID(alias(0, 3))
	e.SetSource(alias(3, 7))
	e.SetType(alias(7, 12))
	e.SetSubject(alias(12, 17))
	e.SetExtension("ext", String(alias(17, 21)))
	e.SetData(buf[:2])
	c := e.Clone()
	for i := range buf {
		buf[i] = 'X'
	}
	v, _ := c.Extension("ext")
	if c.ID() != "id1" || c.Source() != "src1" || c.Type() != "type1" || c.Subject() != "subj1" || v.Text() != "ext1" || string(c.Data()) != "id" {
		t.Errorf("clone changed with the buffer: id=%q source=%q type=%q subject=%q ext=%q data=%q",
			c.ID(), c.Source(), c.Type(), c.Subject(), v.Text(), c.Data())
	}
	if e.ID() != "XXX" {
		t.Fatalf("test setup: the original should alias the buffer, id=%q", e.ID())
	}
}

func TestSetExtensionsSortsAndReportsRepeats(t *testing.T) {
	var e Event
	in := []Extension{{"b", String("1")}, {"a", String("2")}, {"c", String("3")}, {"a", String("4")}, {"b", String("5")}}
	repeated := e.SetExtensions(in)
	if !slices.Equal(repeated, []string{"a", "b"}) {
		t.Errorf("repeated = %q, want [a b]", repeated)
	}
	var names []string
	for _, x := range e.Extensions() {
		names = append(names, x.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("extensions %q, want a, b, c once each, sorted", names)
	}
	// In order and without repeats: kept as given, nothing reported.
	if r := e.SetExtensions([]Extension{{"p", Integer(1)}, {"q", Boolean(true)}}); r != nil {
		t.Errorf("repeated = %q for distinct names", r)
	}
	if v, ok := e.Extension("q"); !ok || v != Boolean(true) {
		t.Errorf("q = %v, %v after SetExtensions", v, ok)
	}
}

func TestAttributeLimitError(t *testing.T) {
	err := error(&AttributeLimitError{Max: 7, Offset: 12})
	if !errors.Is(err, ErrTooManyAttributes) || errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is: limit %v, invalid %v; want true, false", errors.Is(err, ErrTooManyAttributes), errors.Is(err, ErrInvalid))
	}
	if got, want := err.Error(), "the event has more than 7 attributes, the receiver's limit (MaxAttributes) at offset 12"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if MaxAttributesOr(0) != DefaultMaxAttributes || MaxAttributesOr(5) != 5 {
		t.Error("MaxAttributesOr does not read 0 as the default")
	}
}
