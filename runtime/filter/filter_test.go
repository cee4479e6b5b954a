package filter_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/filter"
	"github.com/openevents/openevents/spec"
)

// sample is the event most match tests run against: core attributes and
// an extension of each type.
func sample() *event.Event {
	e := event.New("id-1", "/sensors/tn-1", "com.example.order.created")
	e.SetSubject("orders/42")
	e.SetTime("2024-05-01T10:00:00Z")
	e.SetDataContentType("application/json")
	e.SetData([]byte(`{"n":1}`))
	e.SetExtension("myext", event.String("Custom-Value"))
	e.SetExtension("count", event.Integer(42))
	e.SetExtension("neg", event.Integer(-7))
	e.SetExtension("flag", event.Boolean(true))
	e.SetExtension("off", event.Boolean(false))
	e.SetExtension("blob", event.Binary([]byte{1, 2, 3, 4}))                  // AQIDBA==
	e.SetExtension("bigblob", event.Binary([]byte(strings.Repeat("x", 300)))) // eHh4...
	e.SetExtension("ref", event.URIRef("/a/b"))
	return &e
}

// compile parses a JSON filters array, failing the test on error.
func compile(t testing.TB, src string, opts ...filter.Option) filter.Filter {
	t.Helper()
	f, err := filter.ParseJSON([]byte(src), opts...)
	if err != nil {
		t.Fatalf("ParseJSON(%s): %v", src, err)
	}
	return f
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		name, filters string
		want          bool
	}{
		// SUBS-FILTER-3
		{"no filters", `[]`, true},
		{"null filters", `null`, true},

		// SUBS-FILTER-EXACT-1
		{"exact core", `[{"exact":{"type":"com.example.order.created"}}]`, true},
		{"exact differs", `[{"exact":{"type":"com.example.order.deleted"}}]`, false},
		{"exact is case-sensitive", `[{"exact":{"type":"com.example.order.Created"}}]`, false},
		{"exact is not a prefix", `[{"exact":{"type":"com.example"}}]`, false},
		{"exact all listed attributes", `[{"exact":{"type":"com.example.order.created","subject":"orders/42"}}]`, true},
		{"exact one of two differs", `[{"exact":{"type":"com.example.order.created","subject":"orders/43"}}]`, false},
		{"exact absent attribute", `[{"exact":{"dataschema":"https://x"}}]`, false},
		{"exact absent extension", `[{"exact":{"nope":"x"}}]`, false},
		{"exact specversion", `[{"exact":{"specversion":"1.0"}}]`, true},
		{"exact source", `[{"exact":{"source":"/sensors/tn-1"}}]`, true},
		{"exact time", `[{"exact":{"time":"2024-05-01T10:00:00Z"}}]`, true},
		{"exact datacontenttype", `[{"exact":{"datacontenttype":"application/json"}}]`, true},
		{"exact string extension", `[{"exact":{"myext":"Custom-Value"}}]`, true},
		{"exact string extension case", `[{"exact":{"myext":"custom-value"}}]`, false},
		{"exact integer extension", `[{"exact":{"count":"42"}}]`, true},
		{"exact integer not canonical", `[{"exact":{"count":"042"}}]`, false},
		{"exact negative integer", `[{"exact":{"neg":"-7"}}]`, true},
		{"exact boolean true", `[{"exact":{"flag":"true"}}]`, true},
		{"exact boolean false", `[{"exact":{"off":"false"}}]`, true},
		{"exact boolean case", `[{"exact":{"flag":"True"}}]`, false},
		{"exact binary", `[{"exact":{"blob":"AQIDBA=="}}]`, true},
		{"exact binary other bytes", `[{"exact":{"blob":"AQIDBQ=="}}]`, false},
		{"exact binary not base64", `[{"exact":{"blob":"AQIDBA"}}]`, false},
		{"exact binary non-canonical", `[{"exact":{"blob":"AQIDBB=="}}]`, false},
		{"exact uri-reference", `[{"exact":{"ref":"/a/b"}}]`, true},
		{"exact string value is not binary", `[{"exact":{"myext":"AQIDBA=="}}]`, false},

		// SUBS-FILTER-PREFIX-1
		{"prefix core", `[{"prefix":{"type":"com.example."}}]`, true},
		{"prefix whole value", `[{"prefix":{"type":"com.example.order.created"}}]`, true},
		{"prefix longer than value", `[{"prefix":{"type":"com.example.order.created.x"}}]`, false},
		{"prefix case", `[{"prefix":{"type":"COM."}}]`, false},
		{"prefix absent", `[{"prefix":{"dataschema":"h"}}]`, false},
		{"prefix two attributes", `[{"prefix":{"type":"com.","subject":"orders/"}}]`, true},
		{"prefix two, one fails", `[{"prefix":{"type":"com.","subject":"users/"}}]`, false},
		{"prefix extension", `[{"prefix":{"myext":"Custom"}}]`, true},
		{"prefix integer", `[{"prefix":{"count":"4"}}]`, true},
		{"prefix negative integer", `[{"prefix":{"neg":"-"}}]`, true},
		{"prefix boolean", `[{"prefix":{"flag":"tr"}}]`, true},
		{"prefix binary", `[{"prefix":{"blob":"AQID"}}]`, true},
		{"prefix binary miss", `[{"prefix":{"blob":"AQIE"}}]`, false},
		{"prefix big binary", `[{"prefix":{"bigblob":"eHh4eHh4"}}]`, true},

		// SUBS-FILTER-SUFFIX-1
		{"suffix core", `[{"suffix":{"type":".created"}}]`, true},
		{"suffix whole value", `[{"suffix":{"subject":"orders/42"}}]`, true},
		{"suffix longer than value", `[{"suffix":{"subject":"/orders/42"}}]`, false},
		{"suffix case", `[{"suffix":{"type":".Created"}}]`, false},
		{"suffix absent", `[{"suffix":{"dataschema":"x"}}]`, false},
		{"suffix extension", `[{"suffix":{"myext":"-Value"}}]`, true},
		{"suffix integer", `[{"suffix":{"count":"2"}}]`, true},
		{"suffix boolean", `[{"suffix":{"off":"lse"}}]`, true},
		{"suffix binary", `[{"suffix":{"blob":"BA=="}}]`, true},
		{"suffix big binary", `[{"suffix":{"bigblob":"eHh4"}}]`, true},

		// SUBS-FILTER-ALL-1, SUBS-FILTER-ANY-1, SUBS-FILTER-NOT-1
		{"all true", `[{"all":[{"exact":{"type":"com.example.order.created"}},{"prefix":{"subject":"orders/"}}]}]`, true},
		{"all one false", `[{"all":[{"exact":{"type":"com.example.order.created"}},{"prefix":{"subject":"users/"}}]}]`, false},
		{"all of one", `[{"all":[{"suffix":{"type":"created"}}]}]`, true},
		{"any one true", `[{"any":[{"exact":{"type":"nope"}},{"prefix":{"subject":"orders/"}}]}]`, true},
		{"any none true", `[{"any":[{"exact":{"type":"nope"}},{"prefix":{"subject":"users/"}}]}]`, false},
		{"any all absent", `[{"any":[{"exact":{"a":"1"}},{"exact":{"b":"2"}}]}]`, false},
		{"not of false", `[{"not":{"exact":{"type":"nope"}}}]`, true},
		{"not of true", `[{"not":{"exact":{"type":"com.example.order.created"}}}]`, false},
		{"not of absent", `[{"not":{"exact":{"dataschema":"x"}}}]`, true},
		{"not not", `[{"not":{"not":{"prefix":{"type":"com."}}}}]`, true},
		{"not any", `[{"not":{"any":[{"exact":{"type":"a"}},{"exact":{"type":"b"}}]}}]`, true},
		{"any of all and not", `[{"any":[{"all":[{"exact":{"type":"x"}},{"exact":{"subject":"orders/42"}}]},{"not":{"suffix":{"subject":"/43"}}}]}]`, true},
		{"deep nesting true", `[{"all":[{"any":[{"not":{"all":[{"exact":{"type":"x"}}]}}]}]}]`, true},
		{"deep nesting false", `[{"all":[{"any":[{"not":{"all":[{"prefix":{"type":"com"}}]}}]}]}]`, false},

		// SUBS-FILTER-1, SUBS-FILTER-2: every expression of the array.
		{"array all true", `[{"prefix":{"type":"com."}},{"suffix":{"subject":"42"}}]`, true},
		{"array one false", `[{"prefix":{"type":"com."}},{"suffix":{"subject":"43"}}]`, false},
		{"array first false", `[{"prefix":{"type":"org."}},{"suffix":{"subject":"42"}}]`, false},

		// A single expression instead of an array.
		{"single expression", `{"exact":{"type":"com.example.order.created"}}`, true},
		{"single expression false", `{"exact":{"type":"x"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := compile(t, tc.filters)
			if got := f.Match(sample()); got != tc.want {
				t.Errorf("Match = %v, want %v (filter %s)", got, tc.want, f)
			}
		})
	}
}

// TestMatchEmptyEvent: a filter on attributes an empty event lacks matches
// only through not.
func TestMatchEmptyEvent(t *testing.T) {
	var e event.Event
	if compile(t, `[{"exact":{"type":"x"}}]`).Match(&e) {
		t.Error("exact matched an event without the attribute")
	}
	if !compile(t, `[{"not":{"prefix":{"type":"x"}}}]`).Match(&e) {
		t.Error("not of a test on an absent attribute did not match")
	}
	if !compile(t, `[]`).Match(&e) {
		t.Error("the empty filter did not match")
	}
}

func TestZeroFilter(t *testing.T) {
	var f filter.Filter
	if !f.Empty() || !f.Match(sample()) {
		t.Error("the zero Filter must be empty and match every event")
	}
	if got := f.String(); got != "[]" {
		t.Errorf("String() = %q, want []", got)
	}
	if compile(t, `[{"exact":{"type":"x"}}]`).Empty() {
		t.Error("a filter with an expression reports Empty")
	}
}

// TestGenericForms: the forms YAML and JSON decoders produce are accepted.
func TestGenericForms(t *testing.T) {
	e := sample()
	for _, tc := range []struct {
		name string
		in   any
		want bool
	}{
		{"[]any of map[string]any", []any{map[string]any{"exact": map[string]any{"type": "com.example.order.created"}}}, true},
		{"[]map[string]any", []map[string]any{{"prefix": map[string]any{"type": "org."}}}, false},
		{"map[any]any (yaml.v2)", []any{map[any]any{"suffix": map[any]any{"subject": "/42"}}}, true},
		{"map[string]string values", []any{map[string]any{"exact": map[string]string{"myext": "Custom-Value"}}}, true},
		{"all of []map[string]any", []any{map[string]any{"all": []map[string]any{{"exact": map[string]any{"count": "42"}}}}}, true},
		{"single map", map[string]any{"not": map[string]any{"exact": map[string]any{"type": "x"}}}, true},
		{"nil", nil, true},
		{"empty []any", []any{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := filter.New(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(e); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, filters string
		errs          []string // each must be in the error, which has len(errs) parts
		unsupported   bool
	}{
		{"not an array", `"type=x"`, []string{"filter: filters: is a string, want an array of filter expressions (SUBS-FILTER-7)"}, false},
		{"number", `5`, []string{"filters: is a number"}, false},
		{"expression not an object", `["exact"]`, []string{"filters[0]: is a string, want an object with one dialect member (SUBS-FILTER-7)"}, false},
		{"expression null", `[null]`, []string{"filters[0]: is null"}, false},
		{"empty expression", `[{}]`, []string{"filters[0]: is an empty object, want exactly one dialect member (SUBS-FILTER-7)"}, false},
		{"two dialects", `[{"exact":{"type":"a"},"prefix":{"type":"b"}}]`, []string{"filters[0]: has 2 members (exact, prefix)", "SUBS-FILTER-7"}, false},
		{"empty exact", `[{"exact":{}}]`, []string{"filters[0].exact: names no attribute", "(SUBS-FILTER-EXACT-2)"}, false},
		{"exact not an object", `[{"exact":["type","x"]}]`, []string{"filters[0].exact: is an array, want an object from attribute names to strings (SUBS-FILTER-EXACT-1)"}, false},
		{"exact empty name", `[{"exact":{"":"x"}}]`, []string{`filters[0].exact[""]: the attribute name is empty (SUBS-FILTER-EXACT-2)`}, false},
		{"exact empty value", `[{"exact":{"type":""}}]`, []string{"filters[0].exact.type: the value is empty (SUBS-FILTER-EXACT-2)"}, false},
		{"prefix empty value", `[{"prefix":{"type":""}}]`, []string{"filters[0].prefix.type: the value is empty (SUBS-FILTER-PREFIX-2)"}, false},
		{"suffix empty value", `[{"suffix":{"subject":""}}]`, []string{"filters[0].suffix.subject: the value is empty (SUBS-FILTER-SUFFIX-2)"}, false},
		{"prefix empty name", `[{"prefix":{"":"x"}}]`, []string{"(SUBS-FILTER-PREFIX-2)"}, false},
		{"suffix empty object", `[{"suffix":{}}]`, []string{"filters[0].suffix: names no attribute", "(SUBS-FILTER-SUFFIX-2)"}, false},
		{"number value", `[{"exact":{"count":42}}]`, []string{"filters[0].exact.count: the value is a number, want a string", "quote numbers", "(SUBS-FILTER-EXACT-1)"}, false},
		{"boolean value", `[{"suffix":{"flag":true}}]`, []string{"filters[0].suffix.flag: the value is a boolean", "(SUBS-FILTER-SUFFIX-1)"}, false},
		{"null value", `[{"prefix":{"type":null}}]`, []string{"filters[0].prefix.type: the value is null", "(SUBS-FILTER-PREFIX-1)"}, false},
		{"upper-case name", `[{"exact":{"Type":"x"}}]`, []string{`filters[0].exact.Type: "Type" is not an attribute name`, "(CORE-NAMING-1)"}, false},
		{"name with a dash", `[{"exact":{"my-ext":"x"}}]`, []string{`filters[0].exact.my-ext: "my-ext" is not an attribute name`}, false},
		{"name with a dot", `[{"exact":{"a.b":"x"}}]`, []string{`filters[0].exact["a.b"]:`}, false},
		{"empty all", `[{"all":[]}]`, []string{"filters[0].all: is an empty array, want at least one filter expression (SUBS-FILTER-ALL-2)"}, false},
		{"empty any", `[{"any":[]}]`, []string{"filters[0].any: is an empty array", "(SUBS-FILTER-ANY-2)"}, false},
		{"all not an array", `[{"all":{"exact":{"type":"x"}}}]`, []string{"filters[0].all: is an object, want an array of filter expressions (SUBS-FILTER-ALL-1)"}, false},
		{"any not an array", `[{"any":"x"}]`, []string{"filters[0].any: is a string", "(SUBS-FILTER-ANY-1)"}, false},
		{"not an array", `[{"not":[{"exact":{"type":"x"}}]}]`, []string{"filters[0].not: is an array, want one filter expression (an object) (SUBS-FILTER-NOT-1)"}, false},
		{"not empty object", `[{"not":{}}]`, []string{"filters[0].not: is an empty object", "(SUBS-FILTER-7)"}, false},
		{"nested path", `[{"exact":{"type":"x"}},{"all":[{"exact":{}}]}]`, []string{"filters[1].all[0].exact: names no attribute", "(SUBS-FILTER-EXACT-2)"}, false},
		{"deep path", `[{"any":[{"exact":{"type":"x"}},{"not":{"all":[{"prefix":{"subject":""}}]}}]}]`, []string{"filters[0].any[1].not.all[0].prefix.subject: the value is empty (SUBS-FILTER-PREFIX-2)"}, false},
		{"sql", `[{"sql":"source LIKE '%x%'"}]`, []string{"filters[0].sql: the sql dialect (CloudEvents SQL, optional under SUBS-FILTER-SQL-1) is not supported", "(SUBS-FILTER-4)"}, true},
		{"nested sql", `[{"not":{"sql":"true"}}]`, []string{"filters[0].not.sql:", "(SUBS-FILTER-4)"}, true},
		{"unknown dialect", `[{"regex":{"type":".*"}}]`, []string{`filters[0].regex: unknown filter dialect "regex"`, "(SUBS-FILTER-4)"}, true},
		{"dialect case", `[{"Exact":{"type":"x"}}]`, []string{`unknown filter dialect "Exact"`}, true},
		{"uri dialect", `[{"https://example.com/d":{}}]`, []string{`filters[0]["https://example.com/d"]: unknown filter dialect`}, true},
		{"every problem reported", `[{}, {"exact":{"type":""}}, {"any":[{"prefix":{"a":1}}, {"all":[]}]}]`, []string{
			"filters[0]: is an empty object",
			"filters[1].exact.type: the value is empty",
			"filters[2].any[0].prefix.a: the value is a number",
			"filters[2].any[1].all: is an empty array",
		}, false},
		{"every attribute reported", `[{"exact":{"a":"","B":"x","c":3}}]`, []string{
			"filters[0].exact.B:", "filters[0].exact.a:", "filters[0].exact.c:",
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := filter.ParseJSON([]byte(tc.filters))
			if err == nil {
				t.Fatalf("accepted: %s", f)
			}
			msg := err.Error()
			for _, w := range tc.errs {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if !f.Empty() {
				t.Error("a failed New returned a non-zero Filter")
			}
			var fe *filter.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *filter.Error: %T", err)
			}
			if tc.unsupported != errors.Is(err, filter.ErrUnsupported) || !tc.unsupported != errors.Is(err, filter.ErrInvalid) {
				t.Errorf("errors.Is: unsupported %v, invalid %v; want unsupported %v", errors.Is(err, filter.ErrUnsupported), errors.Is(err, filter.ErrInvalid), tc.unsupported)
			}
			// Every cited rule is in the catalog.
			for _, part := range strings.Split(msg, "\n") {
				if i := strings.LastIndex(part, " ("); i >= 0 && strings.HasSuffix(part, ")") {
					id := part[i+2 : len(part)-1]
					if _, ok := spec.Default().Lookup(id); !ok {
						t.Errorf("error cites %s, which is not in the catalog", id)
					}
				}
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	_, err := filter.ParseJSON([]byte(`[{"exact":{"type":"x"}},{"all":[{"exact":{}}]}]`))
	var fe *filter.Error
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *filter.Error", err)
	}
	if fe.Path != "filters[1].all[0].exact" || fe.Rule != "SUBS-FILTER-EXACT-2" || !errors.Is(fe.Err, filter.ErrInvalid) || fe.Problem == "" {
		t.Errorf("Error = %+v", *fe)
	}
	if !errors.Is(err, filter.ErrInvalid) {
		t.Error("not errors.Is ErrInvalid")
	}
}

func TestParseJSONSyntax(t *testing.T) {
	_, err := filter.ParseJSON([]byte(`[{"exact":`))
	if err == nil || !errors.Is(err, filter.ErrInvalid) || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("got %v, want a not-JSON error wrapping ErrInvalid", err)
	}
}

// nestNot returns depth not expressions around an exact one.
func nestNot(depth int) any {
	var v any = map[string]any{"exact": map[string]any{"type": "x"}}
	for range depth - 1 {
		v = map[string]any{"not": v}
	}
	return []any{v}
}

// TestMaxDepth attacks the nesting limit: DefaultMaxDepth levels pass, one
// more does not, a limit of 1 allows only flat expressions, and a nesting a
// hundred thousand deep is refused at the limit without descending.
func TestMaxDepth(t *testing.T) {
	if _, err := filter.New(nestNot(filter.DefaultMaxDepth)); err != nil {
		t.Errorf("depth %d refused: %v", filter.DefaultMaxDepth, err)
	}
	_, err := filter.New(nestNot(filter.DefaultMaxDepth + 1))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("nested deeper than %d levels (WithMaxDepth)", filter.DefaultMaxDepth)) {
		t.Errorf("depth %d: got %v, want the depth limit", filter.DefaultMaxDepth+1, err)
	}
	if _, err := filter.New(nestNot(100), filter.WithMaxDepth(100)); err != nil {
		t.Errorf("WithMaxDepth(100), depth 100: %v", err)
	}
	if _, err := filter.New(nestNot(2), filter.WithMaxDepth(1)); err == nil {
		t.Error("WithMaxDepth(1) accepted a nested not")
	}
	if _, err := filter.New(nestNot(1), filter.WithMaxDepth(1)); err != nil {
		t.Errorf("WithMaxDepth(1) refused a flat expression: %v", err)
	}
	_, err = filter.New(nestNot(100_000))
	if err == nil || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("depth 100000: got %v, want one depth error", err)
	}
	for _, n := range []int{0, -1} {
		if _, err := filter.New(nil, filter.WithMaxDepth(n)); err == nil || !errors.Is(err, filter.ErrInvalid) {
			t.Errorf("WithMaxDepth(%d): got %v, want an error", n, err)
		}
	}
	// all and any count as levels too.
	var v any = map[string]any{"exact": map[string]any{"type": "x"}}
	v = map[string]any{"any": []any{map[string]any{"all": []any{v}}}}
	if _, err := filter.New([]any{v}, filter.WithMaxDepth(2)); err == nil {
		t.Error("WithMaxDepth(2) accepted any/all/exact, three levels")
	}
	if _, err := filter.New([]any{v}, filter.WithMaxDepth(3)); err != nil {
		t.Errorf("WithMaxDepth(3) refused three levels: %v", err)
	}
}

// TestRoundTrip: String and MarshalJSON give a filter New reads back to
// the same filter, members sorted.
func TestRoundTrip(t *testing.T) {
	src := `[{"prefix":{"type":"com.","subject":"orders/"}},{"any":[{"not":{"exact":{"myext":"x"}}},{"all":[{"suffix":{"type":"d"}}]}]}]`
	f := compile(t, src)
	want := `[{"prefix":{"subject":"orders/","type":"com."}},{"any":[{"not":{"exact":{"myext":"x"}}},{"all":[{"suffix":{"type":"d"}}]}]}]`
	if got := f.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	g := compile(t, f.String())
	if g.String() != f.String() {
		t.Errorf("round trip changed the filter: %s", g)
	}
	var cfg struct {
		Filters filter.Filter `json:"filters"`
	}
	if err := json.Unmarshal([]byte(`{"filters":`+src+`}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Filters.String() != want {
		t.Errorf("UnmarshalJSON gave %s", cfg.Filters)
	}
	if err := json.Unmarshal([]byte(`{"filters":[{"sql":"x"}]}`), &cfg); !errors.Is(err, filter.ErrUnsupported) {
		t.Errorf("UnmarshalJSON of sql: %v, want ErrUnsupported", err)
	}
	out, err := json.Marshal(cfg)
	if err != nil || string(out) != `{"filters":`+want+`}` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
}

// TestNewDoesNotRetain: changing the input after New changes nothing.
func TestNewDoesNotRetain(t *testing.T) {
	attrs := map[string]any{"type": "com.example.order.created"}
	in := []any{map[string]any{"exact": attrs}}
	f, err := filter.New(in)
	if err != nil {
		t.Fatal(err)
	}
	attrs["type"] = "other"
	attrs["subject"] = "x"
	if !f.Match(sample()) {
		t.Error("the filter changed with its input")
	}
}

// TestConcurrentMatch runs one Filter from many goroutines (for -race).
func TestConcurrentMatch(t *testing.T) {
	f := compile(t, `[{"any":[{"exact":{"type":"com.example.order.created"}},{"prefix":{"count":"4"}}]},{"not":{"suffix":{"blob":"=="}}}]`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	for range 8 {
		wg.Go(func() {
			e := sample()
			for range 500 {
				if f.Match(e) { // the blob ends in ==, so not is false
					mu.Lock()
					bad++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if bad != 0 {
		t.Errorf("%d wrong answers", bad)
	}
}

// matchCases are the filters the allocation test and the benchmarks run.
var matchCases = []struct{ name, filters string }{
	{"exact", `[{"exact":{"type":"com.example.order.created"}}]`},
	{"prefix-suffix", `[{"prefix":{"type":"com.example."}},{"suffix":{"subject":"/42"}}]`},
	{"extensions", `[{"exact":{"myext":"Custom-Value","count":"42","flag":"true","blob":"AQIDBA=="}}]`},
	{"integer-prefix", `[{"prefix":{"count":"4","neg":"-"}}]`},
	{"binary-prefix", `[{"prefix":{"blob":"AQ"}},{"suffix":{"blob":"=="}}]`},
	{"nested", `[{"all":[{"any":[{"exact":{"type":"x"}},{"not":{"prefix":{"subject":"users/"}}}]},{"exact":{"specversion":"1.0"}}]}]`},
	{"absent", `[{"not":{"exact":{"dataschema":"x"}}}]`},
}

// TestMatchAllocs: Match allocates nothing, Binary prefix and suffix tests
// on short values included.
func TestMatchAllocs(t *testing.T) {
	e := sample()
	for _, tc := range matchCases {
		f := compile(t, tc.filters)
		if n := testing.AllocsPerRun(100, func() { f.Match(e) }); n != 0 {
			t.Errorf("%s: %v allocations per Match, want 0", tc.name, n)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	e := sample()
	for _, tc := range matchCases {
		f := compile(b, tc.filters)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(e)
			}
		})
	}
}
