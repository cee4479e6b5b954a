package event

import (
	"errors"
	"slices"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(e *Event)
		rules []string // nil: valid
	}{
		{"minimal", func(*Event) {}, nil},
		{"no id", func(e *Event) { e.Delete(AttrID) }, []string{"CORE-ATTR-ID-1"}},
		{"empty id", func(e *Event) { e.SetID("") }, []string{"CORE-ATTR-ID-2"}},
		{"no source", func(e *Event) { e.Delete(AttrSource) }, []string{"CORE-ATTR-SOURCE-1"}},
		{"empty source", func(e *Event) { e.SetSource("") }, []string{"CORE-ATTR-SOURCE-2"}},
		{"source bad percent", func(e *Event) { e.SetSource("/a%zz") }, []string{"CORE-ATTR-SOURCE-2"}},
		{"source space", func(e *Event) { e.SetSource("a b") }, []string{"CORE-ATTR-SOURCE-2"}},
		{"source urn", func(e *Event) { e.SetSource("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66") }, nil},
		{"source mailto", func(e *Event) { e.SetSource("mailto:cncf-wg-serverless@lists.cncf.io") }, nil},
		{"source phone-like", func(e *Event) { e.SetSource("1-555-123-4567") }, nil},
		{"source colon in first segment", func(e *Event) { e.SetSource("a:b/c") }, nil}, // scheme "a"
		{"source relative colon", func(e *Event) { e.SetSource("./a:b") }, nil},
		{"source ipv6", func(e *Event) { e.SetSource("http://[::1]:8080/x") }, nil},
		{"source bad port", func(e *Event) { e.SetSource("http://h:8x/") }, []string{"CORE-ATTR-SOURCE-2"}},
		{"no specversion", func(e *Event) { e.Delete(AttrSpecVersion) }, []string{"CORE-ATTR-SPECVERSION-1"}},
		{"specversion 2.0", func(e *Event) { e.SetSpecVersion("2.0") }, []string{"CORE-ATTR-SPECVERSION-3"}},
		{"no type", func(e *Event) { e.Delete(AttrType) }, []string{"CORE-ATTR-TYPE-1"}},
		{"empty type", func(e *Event) { e.SetType("") }, []string{"CORE-ATTR-TYPE-2"}},
		{"type with newline", func(e *Event) { e.SetType("a\nb") }, []string{"CORE-TYPE-STRING-1"}},
		{"type with C1 control", func(e *Event) { e.SetType("a\u0085b") }, []string{"CORE-TYPE-STRING-1"}},
		{"type with noncharacter", func(e *Event) { e.SetType("a\uFFFEb") }, []string{"CORE-TYPE-STRING-2"}},
		{"type with plane-16 noncharacter", func(e *Event) { e.SetType("a\U0010FFFFb") }, []string{"CORE-TYPE-STRING-2"}},
		{"type invalid utf8", func(e *Event) { e.SetType("a\xffb") }, []string{"CORE-TYPE-STRING-3"}},
		{"type encoded surrogate", func(e *Event) { e.SetType("a\xed\xa0\x80b") }, []string{"CORE-TYPE-STRING-3"}},
		{"type emoji", func(e *Event) { e.SetType("a😀b") }, nil},
		{"empty subject", func(e *Event) { e.SetSubject("") }, []string{"CORE-ATTR-SUBJECT-1"}},
		{"subject", func(e *Event) { e.SetSubject("x") }, nil},
		{"time no seconds", func(e *Event) { e.SetTime("2018-04-05T17:31Z") }, []string{"CORE-ATTR-TIME-1"}},
		{"time lower case", func(e *Event) { e.SetTime("2018-04-05t17:31:00z") }, nil},
		{"time offset", func(e *Event) { e.SetTime("2018-04-05T17:31:00.123456789+05:30") }, nil},
		{"time leap second", func(e *Event) { e.SetTime("2016-12-31T23:59:60Z") }, nil},
		{"time feb 30", func(e *Event) { e.SetTime("2019-02-30T00:00:00Z") }, []string{"CORE-ATTR-TIME-1"}},
		{"time feb 29 leap year", func(e *Event) { e.SetTime("2020-02-29T00:00:00Z") }, nil},
		{"time no zone", func(e *Event) { e.SetTime("2018-04-05T17:31:00") }, []string{"CORE-ATTR-TIME-1"}},
		{"time empty frac", func(e *Event) { e.SetTime("2018-04-05T17:31:00.Z") }, []string{"CORE-ATTR-TIME-1"}},
		{"dataschema relative", func(e *Event) { e.SetDataSchema("/schema") }, []string{"CORE-ATTR-DATASCHEMA-1"}},
		{"dataschema empty", func(e *Event) { e.SetDataSchema("") }, []string{"CORE-ATTR-DATASCHEMA-1"}},
		{"dataschema fragment", func(e *Event) { e.SetDataSchema("https://x/s#v1") }, []string{"CORE-ATTR-DATASCHEMA-1"}},
		{"dataschema ok", func(e *Event) { e.SetDataSchema("https://example.com/s.json?v=1") }, nil},
		{"datacontenttype empty", func(e *Event) { e.SetDataContentType("") }, []string{"CORE-ATTR-DATACONTENTTYPE-1"}},
		{"datacontenttype words", func(e *Event) { e.SetDataContentType("not a media type") }, []string{"CORE-ATTR-DATACONTENTTYPE-1"}},
		{"datacontenttype params", func(e *Event) { e.SetDataContentType(`text/plain; charset="utf-8";format=flowed`) }, nil},
		{"datacontenttype trailing semicolon", func(e *Event) { e.SetDataContentType("text/plain;") }, []string{"CORE-ATTR-DATACONTENTTYPE-1"}},
		{"ext bad name", func(e *Event) { e.SetExtension("my-ext", String("x")) }, []string{"CORE-NAMING-1"}},
		{"ext upper case", func(e *Event) { e.SetExtension("MyExt", String("x")) }, []string{"CORE-NAMING-1"}},
		{"ext 25 chars", func(e *Event) { e.SetExtension("abcdefghijklmnopqrstuvwxy", String("x")) }, nil},
		{"ext named data", func(e *Event) { e.SetExtension("data", String("x")) }, []string{"CORE-NAMING-6"}},
		{"ext named id", func(e *Event) { e.SetExtension("id", String("x")) }, []string{"CORE-ATTR-4"}},
		{"ext empty name", func(e *Event) { e.SetExtension("", String("x")) }, []string{"CORE-NAMING-5"}},
		{"time leap second wrong minute", func(e *Event) { e.SetTime("2016-12-31T17:31:60Z") }, []string{"CORE-ATTR-TIME-1"}},
		{"time leap second with offset", func(e *Event) { e.SetTime("2016-12-31T15:59:60-08:00") }, nil},
		{"datacontenttype C1 control in quotes", func(e *Event) { e.SetDataContentType("text/plain; a=\"\u0085\"") }, []string{"CORE-TYPE-STRING-1"}},
		{"ext no kind", func(e *Event) { e.SetExtension("x", Value{}) }, []string{"CORE-TYPE-1"}},
		{"ext uri relative", func(e *Event) { e.SetExtension("x", URI("/a")) }, []string{"CORE-TYPE-URI-1"}},
		{"ext timestamp bad", func(e *Event) { e.SetExtension("x", Timestamp("yesterday")) }, []string{"CORE-TYPE-TIMESTAMP-1"}},
		{"dataref bad", func(e *Event) { e.SetExtension("dataref", String("a b")) }, []string{"EXT-DATAREF-1"}},
		{"dataref int", func(e *Event) { e.SetExtension("dataref", Integer(3)) }, []string{"EXT-DATAREF-1"}},
		{"expirytime bad", func(e *Event) { e.SetExtension("expirytime", String("soon")) }, []string{"EXT-EXPIRY-1"}},
		{"traceparent ok", func(e *Event) {
			e.SetExtension("traceparent", String("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
		}, nil},
		{"traceparent upper", func(e *Event) {
			e.SetExtension("traceparent", String("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"))
		}, []string{"EXT-DISTTRACE-2"}},
		{"partitionkey empty", func(e *Event) { e.SetExtension("partitionkey", String("")) }, []string{"EXT-PARTITION-1"}},
		{"sequence empty", func(e *Event) { e.SetExtension("sequence", String("")) }, []string{"EXT-SEQUENCE-1"}},
		{"two problems", func(e *Event) { e.SetID(""); e.SetSubject("") }, []string{"CORE-ATTR-ID-2", "CORE-ATTR-SUBJECT-1"}},
		{"empty event", func(e *Event) { *e = Event{} }, []string{"CORE-ATTR-ID-1", "CORE-ATTR-SOURCE-1", "CORE-ATTR-SPECVERSION-1", "CORE-ATTR-TYPE-1"}},
		{"unsorted extensions", func(e *Event) {
			e.SetSortedExtensions([]Extension{{"b", Integer(1)}, {"a", Integer(1)}})
		}, []string{"CORE-ATTR-4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := valid()
			tc.edit(&e)
			err := e.Validate()
			if tc.rules == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error = %v, want a *ValidationError", err)
			}
			if got := ve.Rules(); !slices.Equal(got, tc.rules) {
				t.Fatalf("rules = %v, want %v (%v)", got, tc.rules, err)
			}
			for _, v := range ve.Violations {
				if v.Message == "" || (v.Attribute != "" && v.Pointer != "/"+v.Attribute) {
					t.Fatalf("violation lacks detail: %+v", v)
				}
			}
		})
	}
}

func TestAdvice(t *testing.T) {
	e := valid()
	e.SetExtension("abcdefghijklmnopqrstuvwxy", Boolean(true))
	var rules []string
	for _, v := range e.Advice() {
		rules = append(rules, v.Rule)
	}
	if want := []string{"CORE-ATTR-SOURCE-3", "CORE-NAMING-2"}; !slices.Equal(rules, want) {
		t.Fatalf("advice = %v, want %v", rules, want)
	}
	e.SetSource("https://example.com/x")
	if len(e.Advice()) != 1 {
		t.Fatal("absolute source still advised against")
	}
}

func TestURIRef(t *testing.T) {
	for s, want := range map[string]bool{
		"":                          true,
		"/a/b?c=d#e":                true,
		"//host/p":                  true,
		"https://u:p@h.example:1/p": true,
		"http://[v1.x]/":            true,
		"http://[::1/":              false,
		"#frag#frag":                false,
		"a%2":                       false,
		"a%2G":                      false,
		"é":                         false,
		"a\\b":                      false,
		"?q":                        true,
		"x:":                        true,
		":x":                        false,
	} {
		if got := validURIRef(s); got != want {
			t.Errorf("validURIRef(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestMediaTypeJSON(t *testing.T) {
	for s, want := range map[string]bool{
		"application/json":                 true,
		"APPLICATION/JSON; charset=utf-8":  true,
		"application/cloudevents+json":     true,
		"text/json":                        true,
		"application/jsonx":                false,
		"application/x-json-stream":        false,
		"text/plain":                       false,
		"":                                 false,
		"+json":                            false,
		"application/vnd.x+JSON ; a=b":     true,
		"application/json-patch+json;q=1":  true,
		"application/octet-stream; x=json": false,
	} {
		if got := IsJSONMediaType(s); got != want {
			t.Errorf("IsJSONMediaType(%q) = %v, want %v", s, got, want)
		}
	}
}

// typical is the event used by benchmarks and allocation budgets across
// OpenEvents: seven attributes, a traceparent and small JSON data.
func typical() Event {
	e := valid()
	e.SetSource("https://example.com/orders")
	e.SetID("7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d")
	e.SetType("com.example.order.created")
	e.SetSubject("orders/12345")
	e.SetTime("2026-11-26T10:00:00.123Z")
	e.SetDataContentType("application/json")
	e.SetExtension("traceparent", String("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
	e.SetData([]byte(`{"order":12345,"items":[{"sku":"A-1","qty":2}],"total":19.99}`))
	return e
}

func TestValidateAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation")
	}
	e := typical()
	if n := testing.AllocsPerRun(100, func() { _ = e.Validate() }); n != 0 {
		t.Fatalf("Validate allocates %v times, budget 0", n)
	}
}

// TestValidateKeepsEventsOnTheStack guards the escape analysis: if
// Validate, Check or AppendViolations let its receiver escape, a caller's
// local events would move to the heap, as an encoder's []Event{e} does.
// (Each method is called directly: a call through a func value would make
// the event escape by itself.)
func TestValidateKeepsEventsOnTheStack(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under coverage and race instrumentation")
	}
	e := typical()
	for name, n := range map[string]float64{
		"Validate": testing.AllocsPerRun(100, func() {
			local := []Event{e}
			_ = local[0].Validate()
		}),
		"Check": testing.AllocsPerRun(100, func() {
			local := []Event{e}
			_ = local[0].Check()
		}),
		"AppendViolations": testing.AllocsPerRun(100, func() {
			local := []Event{e}
			_ = local[0].AppendViolations(nil)
		}),
	} {
		if n != 0 {
			t.Errorf("%s: %v allocations, want 0 (the receiver escapes)", name, n)
		}
	}
}

// BenchmarkValidateTypical runs the full check (no remembered verdict).
func BenchmarkValidateTypical(b *testing.B) {
	e := typical()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckRemembersUntilChange(t *testing.T) {
	e := typical()
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*Event){
		"SetSubject":          func(e *Event) { e.SetSubject("") },
		"SetExtension":        func(e *Event) { e.SetExtension("Bad", String("x")) },
		"Set":                 func(e *Event) { e.Set(AttrTime, String("never")) },
		"Delete core":         func(e *Event) { e.Delete(AttrID) },
		"SetSortedExtensions": func(e *Event) { e.SetSortedExtensions([]Extension{{"b", Integer(1)}, {"a", Integer(1)}}) },
	} {
		c := e.Clone()
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: clone of a checked event invalid: %v", name, err)
		}
		change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate still answers from the remembered verdict after a change", name)
		}
	}
	bad := typical()
	bad.SetSubject("")
	if bad.Check() == nil || bad.Validate() == nil {
		t.Fatal("Check remembered an invalid event as valid")
	}
	x, y := typical(), typical()
	_ = x.Check()
	if !x.Equal(&y) {
		t.Fatal("the remembered verdict makes equal events unequal")
	}
}

// TestViolationStringQuotesControls: a pointer or attribute name that
// holds a control character (from the input) is printed quoted, never raw.
func TestViolationStringQuotesControls(t *testing.T) {
	for _, v := range []Violation{
		{Rule: "CORE-NAMING-1", Pointer: "/a\x7fb", Offset: -1, Message: "bad"},
		{Rule: "CORE-NAMING-1", Attribute: "a\u0085b", Offset: -1, Message: "bad"},
		{Rule: "CORE-NAMING-1", Pointer: "/a\x1bb", Offset: -1, Message: "bad"},
	} {
		s := v.String()
		for _, r := range s {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				t.Errorf("%q holds control character %U", s, r)
			}
		}
	}
	if got := (Violation{Rule: "R", Pointer: "/née", Offset: -1, Message: "m"}).String(); got != "/née: m (R)" {
		t.Errorf("a printable pointer changed: %q", got)
	}
}
