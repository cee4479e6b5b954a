package schemas_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/schemas"
	"github.com/openevents/openevents/spec"
)

func newValidator(t testing.TB) *schemas.Validator {
	t.Helper()
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// event returns a minimal valid event with extra members appended as raw
// JSON text ("name": value pairs, comma-separated).
func event(extra string) string {
	s := `{"specversion":"1.0","type":"com.example.t","source":"/s","id":"1"`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func TestValidateEvent(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name string
		doc  string
		// want lists "pointer ID" for every failure, sorted; nil means valid.
		want []string
	}{
		{"minimal", event(""), nil},
		{"all optional null", event(`"subject":null,"time":null,"dataschema":null,"datacontenttype":null,"x":null`), nil},
		{"data null", event(`"data":null`), nil},
		{"data_base64", event(`"data_base64":"AAECAw=="`), nil},
		{"extension types", event(`"a":"s","b":-2147483648,"c":true,"d":2147483647`), nil},
		{"long extension name", event(`"abcdefghijklmnopqrstuvwxy":1`), nil},
		{"leap second", event(`"time":"2016-12-31T23:59:60Z"`), nil},
		{"absolute dataschema", event(`"dataschema":"urn:example:s"`), nil},
		{"media type with parameters", event(`"datacontenttype":"text/plain; charset=\"utf-8\"; q=1"`), nil},

		{"id missing", `{"specversion":"1.0","type":"t","source":"/s"}`, []string{" CORE-ATTR-ID-1"}},
		{"id null", event(`"subject":"x"`)[:len(event(""))-len(`"1"}`)] + `null}`, []string{"/id CORE-ATTR-ID-1"}},
		{"id empty", strings.Replace(event(""), `"id":"1"`, `"id":""`, 1), []string{"/id CORE-ATTR-ID-2"}},
		{"source number", strings.Replace(event(""), `"/s"`, `7`, 1), []string{"/source CORE-ATTR-SOURCE-2"}},
		{"source with space", strings.Replace(event(""), `"/s"`, `"/a b"`, 1), []string{"/source CORE-ATTR-SOURCE-2"}},
		{"source bad percent", strings.Replace(event(""), `"/s"`, `"/%zz"`, 1),
			[]string{"/source CORE-ATTR-SOURCE-2", "/source CORE-ATTR-SOURCE-2"}}, // pattern and format
		{"specversion 0.3", strings.Replace(event(""), `"1.0"`, `"0.3"`, 1), []string{"/specversion CORE-ATTR-SPECVERSION-3"}},
		{"specversion empty", strings.Replace(event(""), `"1.0"`, `""`, 1), []string{"/specversion CORE-ATTR-SPECVERSION-2"}},
		{"specversion number", strings.Replace(event(""), `"1.0"`, `1.0`, 1),
			[]string{"/specversion CORE-ATTR-SPECVERSION-2"}},
		{"type null", strings.Replace(event(""), `"com.example.t"`, `null`, 1), []string{"/type CORE-ATTR-TYPE-1"}},
		{"subject empty", event(`"subject":""`), []string{"/subject CORE-ATTR-SUBJECT-1"}},
		{"subject control", event(`"subject":"a\u0085"`), []string{"/subject CORE-TYPE-STRING-1"}},
		{"subject noncharacter", event(`"subject":"\ud83f\udffe"`), []string{"/subject CORE-TYPE-STRING-2"}},
		{"time without seconds", event(`"time":"2018-04-05T17:31Z"`),
			[]string{"/time CORE-ATTR-TIME-1", "/time CORE-ATTR-TIME-1"}},
		{"time false leap second", event(`"time":"2018-04-05T17:31:60Z"`), []string{"/time CORE-ATTR-TIME-1"}},
		{"dataschema relative", event(`"dataschema":"/schema"`),
			[]string{"/dataschema CORE-ATTR-DATASCHEMA-1", "/dataschema CORE-ATTR-DATASCHEMA-1"}},
		{"dataschema fragment", event(`"dataschema":"https://x.example/s#f"`), []string{"/dataschema CORE-ATTR-DATASCHEMA-1"}},
		{"datacontenttype", event(`"datacontenttype":"json"`), []string{"/datacontenttype CORE-ATTR-DATACONTENTTYPE-1"}},
		{"extension name", event(`"my-ext":1`), []string{"/my-ext CORE-NAMING-1"}},
		{"empty extension name", event(`"":1`), []string{"/ CORE-NAMING-5"}},
		{"extension float", event(`"x":1.5`), []string{"/x JSON-TYPE-INTEGER-1"}},
		{"extension whole float passes", event(`"x":1.0,"y":1e3`), nil}, // a schema compares values
		{"extension range", event(`"x":-2147483649`), []string{"/x CORE-TYPE-INTEGER-1"}},
		{"extension object", event(`"x":{}`), []string{"/x CORE-TYPE-1"}},
		{"data and data_base64", event(`"data":1,"data_base64":""`), []string{" JSON-DATA-5"}},
		{"data_base64 unpadded", event(`"data_base64":"AAE"`), []string{"/data_base64 JSON-DATA-2"}},
		{"data_base64 pad bits", event(`"data_base64":"AAF="`), []string{"/data_base64 JSON-DATA-2"}},
		{"data_base64 null", event(`"data":1,"data_base64":null`), nil},
		{"not an object", `[]`, []string{" "}},
		{"several", `{"specversion":"1.0","source":"","id":"1","subject":""}`,
			[]string{" CORE-ATTR-TYPE-1", "/source CORE-ATTR-SOURCE-2", "/subject CORE-ATTR-SUBJECT-1"}},
		{"malformed", `{"id":`, []string{" JSON-SYNTAX-1"}},
		{"trailing data", event("") + `{}`, []string{" JSON-SYNTAX-1"}},
		{"empty", ``, []string{" JSON-SYNTAX-1"}},
		{"duplicate member passes", event(`"id":"2"`), nil}, // encoding/json keeps the last
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateEvent([]byte(tt.doc))
			if got := failures(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("ValidateEvent(%s)\n got %q\nwant %q\n(%v)", tt.doc, got, tt.want, err)
			}
		})
	}
}

// failures returns "pointer ID" for each failure of err, which must be nil
// or an *schemas.Error.
func failures(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *schemas.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *schemas.Error", err, err)
	}
	if len(e.Failures) == 0 {
		t.Fatalf("*schemas.Error without failures")
	}
	var out []string
	for _, f := range e.Failures {
		if f.Message == "" {
			t.Errorf("failure without message: %+v", f)
		}
		out = append(out, f.InstancePointer+" "+f.RequirementID)
	}
	return out
}

func TestValidateBatch(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"empty", `[]`, nil},
		{"two", "[" + event("") + "," + event(`"data":[1]`) + "]", nil},
		{"object", event(""), []string{" JSON-BATCH-3"}},
		{"element pointer", "[" + event("") + "," + event(`"subject":""`) + "]", []string{"/1/subject CORE-ATTR-SUBJECT-1"}},
		{"element not an object", `[1]`, []string{"/0 "}},
		{"empty name in element", "[" + event(`"":1`) + "]", []string{"/0/ CORE-NAMING-5"}},
		{"bad name in element", "[" + event(`"A":1`) + "]", []string{"/0/A CORE-NAMING-1"}},
		{"malformed", `[` + event(""), []string{" JSON-SYNTAX-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateBatch([]byte(tt.doc))
			if got := failures(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("ValidateBatch(%s)\n got %q\nwant %q\n(%v)", tt.doc, got, tt.want, err)
			}
		})
	}
}

func TestErrorDetails(t *testing.T) {
	v := newValidator(t)

	err := v.ValidateEvent([]byte(`{"id": 1,}`))
	var syn *json.SyntaxError
	if !errors.As(err, &syn) || syn.Offset != 10 {
		t.Errorf("malformed JSON: error %v does not wrap the *json.SyntaxError at offset 10", err)
	}

	err = v.ValidateEvent([]byte(event(`"subject":"","x":{}`)))
	var e *schemas.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *schemas.Error", err)
	}
	if got, want := e.RequirementIDs(), []string{"CORE-ATTR-SUBJECT-1", "CORE-TYPE-1"}; !slices.Equal(got, want) {
		t.Errorf("RequirementIDs() = %q, want %q", got, want)
	}
	if got, want := e.Error(), "schemas: /subject: length must be >= 1, but got 0 (CORE-ATTR-SUBJECT-1) (and 1 more)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	f := e.Failures[0]
	if f.KeywordLocation != "/properties/subject/minLength" ||
		f.AbsoluteKeywordLocation != schemas.EventSchemaURL+"#/properties/subject/minLength" {
		t.Errorf("keyword locations = %q, %q", f.KeywordLocation, f.AbsoluteKeywordLocation)
	}
	var ve interface{ Error() string }
	if ve = errors.Unwrap(err); ve == nil {
		t.Error("Unwrap() = nil, want the validator's error")
	}

	// Pattern failures are explained by the rule, not by the pattern text.
	err = v.ValidateEvent([]byte(event(`"source2":"\u0001"`)))
	if !errors.As(err, &e) || !strings.Contains(e.Failures[0].Message, "No control characters") {
		t.Errorf("pattern failure message: %v", err)
	}
}

// TestSchemaText checks the embedded text: the accessors copy it, and every
// requirement ID the schemas cite is in the catalog.
func TestSchemaText(t *testing.T) {
	a := schemas.EventSchema()
	a[0] = 'x'
	if schemas.EventSchema()[0] != '{' {
		t.Error("EventSchema returns shared bytes")
	}
	cat := catalog(t)
	n := 0
	for _, doc := range [][]byte{schemas.EventSchema(), schemas.BatchSchema()} {
		for _, id := range ruleIDs(t, doc) {
			n++
			if _, ok := cat.Lookup(id); !ok {
				t.Errorf("schema cites %s, which is not in the catalog", id)
			}
		}
	}
	if n < 20 {
		t.Errorf("schemas cite %d requirement IDs, want a rule per requirement", n)
	}
}

func catalog(t *testing.T) *spec.Catalog {
	t.Helper()
	cat, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// ruleIDs returns the IDs of every "ID: ..." $comment in a schema document.
func ruleIDs(t *testing.T, doc []byte) []string {
	var ids []string
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			if c, ok := n["$comment"].(string); ok {
				if rest, ok := strings.CutPrefix(c, "ID: "); ok {
					id, _, _ := strings.Cut(rest, ".")
					ids = append(ids, id)
				}
			}
			for _, c := range n {
				walk(c)
			}
		case []any:
			for _, c := range n {
				walk(c)
			}
		}
	}
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	walk(root)
	return ids
}

// TestCorpus runs the shared corpus through the schemas. The corpus says
// exactly which documents the Validator must reject, so this fails both when
// the schema misses what it should see and when the corpus undersells it.
func TestCorpus(t *testing.T) {
	v := newValidator(t)
	cases, err := eventtest.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog(t)
	reported := map[string]bool{}
	for _, c := range cases {
		for _, id := range c.IDs {
			if _, ok := cat.Lookup(id); !ok {
				t.Errorf("%s: expect.json names %s, which is not in the catalog", c.Name, id)
			}
		}
		t.Run(c.Name, func(t *testing.T) {
			validate := v.ValidateEvent
			if c.Batch {
				validate = v.ValidateBatch
			}
			err := validate(c.Data)
			var e *schemas.Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not a *schemas.Error", err, err)
			}
			if e != nil {
				for _, id := range e.RequirementIDs() {
					reported[id] = true
				}
			}
			switch {
			case c.Valid && c.SchemaValid && err != nil:
				t.Errorf("valid case rejected (%s): %v", c.Why, err)
			case c.Valid && !c.SchemaValid && err == nil:
				t.Errorf("case marked schema_valid false is accepted (%s)", c.Why)
			case !c.Valid && c.Schema && err == nil:
				t.Errorf("invalid case accepted, but expect.json says the schema sees it (%s)", c.Why)
			case !c.Valid && !c.Schema && err != nil:
				t.Errorf("invalid case rejected, but expect.json says the schema cannot see it (%s): %v", c.Why, err)
			case !c.Valid && c.Schema:
				checkIDs(t, c, e)
			}
		})
	}
	// Every rule of the schema is exercised by the corpus.
	for _, doc := range [][]byte{schemas.EventSchema(), schemas.BatchSchema()} {
		for _, id := range ruleIDs(t, doc) {
			if !reported[id] {
				t.Errorf("no corpus case makes the schema report %s", id)
			}
		}
	}
}

// checkIDs requires that the Validator names at least one of the case's
// requirement IDs. There are two exceptions, where the schema rejects the
// document for a reason the requirement list does not name: a non-object
// where an event belongs (the schema's root type rule cites no
// requirement), and a spec version 0.3 event, which the 1.0 schema refuses
// for its specversion before anything 0.3-specific.
func checkIDs(t *testing.T, c eventtest.Case, e *schemas.Error) {
	t.Helper()
	got := e.RequirementIDs()
	for _, id := range got {
		if slices.Contains(c.IDs, id) {
			return
		}
	}
	v03 := strings.HasPrefix(c.Name, "invalid/v03-")
	for _, f := range e.Failures {
		rootType := f.RequirementID == "" && strings.HasSuffix(f.KeywordLocation, "/type")
		if !rootType && !(v03 && f.RequirementID == "CORE-ATTR-SPECVERSION-3") {
			t.Errorf("schema reports %q, none of the expected %q: %v", got, c.IDs, e)
			return
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	v := newValidator(t)
	docs := [][]byte{[]byte(event("")), []byte(event(`"subject":""`)), []byte(`[`)}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				doc := docs[(i+j)%len(docs)]
				if err := v.ValidateEvent(doc); (err == nil) != (string(doc) == event("")) {
					t.Errorf("ValidateEvent(%s) = %v", doc, err)
				}
			}
		})
	}
	wg.Wait()
}

func ExampleValidator_ValidateEvent() {
	v, err := schemas.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	err = v.ValidateEvent([]byte(`{
		"specversion": "1.0",
		"type": "com.example.order.created",
		"source": "/orders",
		"subject": "",
		"comexampleretries": 1.5
	}`))
	var e *schemas.Error
	if errors.As(err, &e) {
		for _, f := range e.Failures {
			fmt.Println(f)
		}
	}
	// Output:
	// /: missing properties: 'id' (CORE-ATTR-ID-1)
	// /comexampleretries: expected integer, but got number (JSON-TYPE-INTEGER-1)
	// /subject: length must be >= 1, but got 0 (CORE-ATTR-SUBJECT-1)
}
