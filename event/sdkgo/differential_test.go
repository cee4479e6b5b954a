package sdkgo_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/sdkgo"
	"github.com/openevents/openevents/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/deviations.json from what the differential test observes (new entries get an empty category and why, to fill in by hand)")

// deviation is one entry of testdata/deviations.json.
type deviation struct {
	Ours     string `json:"ours"`     // accept or reject
	SDKGo    string `json:"sdkgo"`    // accept, reject or differs
	Rule     string `json:"rule"`     // requirement ID; our decoder's primary one when we reject
	Category string `json:"category"` // SDKGO-n, see DEVIATIONS.md
	Why      string `json:"why"`
}

const deviationsFile = "testdata/deviations.json"

func loadDeviations(t *testing.T) map[string]deviation {
	t.Helper()
	raw, err := os.ReadFile(deviationsFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var devs map[string]deviation
	if err := dec.Decode(&devs); err != nil {
		t.Fatalf("%s: %v", deviationsFile, err)
	}
	return devs
}

// inputs are the documents the differential test runs: every non-batch
// case of the shared corpus, and the few in testdata/extra that show a
// finding the corpus has no case for, named "extra/NAME.json".
func inputs(t testing.TB) []eventtest.Case {
	t.Helper()
	cases, err := eventtest.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	cases = slices.DeleteFunc(cases, func(c eventtest.Case) bool { return c.Batch })
	extra, err := filepath.Glob("testdata/extra/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range extra {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, eventtest.Case{Name: "extra/" + filepath.Base(p), Data: data})
	}
	return cases
}

// TestDifferential decodes every input with jsonformat.Decode and with
// sdk-go (json.Unmarshal and Validate) and compares the verdicts, and for
// inputs both accept, the events (sdk-go's converted with FromSDK). Every
// disagreement must be listed in testdata/deviations.json, and every
// listed one must still occur.
func TestDifferential(t *testing.T) {
	devs := loadDeviations(t)
	catalog := spec.Default()
	seen := map[string]bool{}
	observed := map[string]deviation{}
	for _, c := range inputs(t) {
		o := run(c.Data)
		ours, sdkgo := o.oursVerdict(), o.sdkVerdict()
		agree := ours == sdkgo || ours == "reject" && sdkgo == "reject"
		d, listed := devs[c.Name]
		seen[c.Name] = listed
		if agree {
			if listed {
				t.Errorf("%s: listed as a deviation (ours %s, sdk-go %s) but both now %s it", c.Name, d.Ours, d.SDKGo, ours)
			}
			continue
		}
		obs := deviation{Ours: ours, SDKGo: sdkgo}
		if ours == "reject" {
			obs.Rule = primaryRule(o.oursErr)
		}
		if listed {
			obs.Category, obs.Why = d.Category, d.Why
			if ours == "accept" {
				obs.Rule = d.Rule
			}
		}
		observed[c.Name] = obs
		switch {
		case !listed:
			t.Errorf("%s: unlisted disagreement: ours %s (%v), sdk-go %s (sdk-go error: %v; conversion: %v; differs in %v)",
				c.Name, ours, o.oursErr, sdkgo, o.sdkErr, o.convErr, diff(&o.ours, &o.conv))
			continue
		case d.Ours != ours || d.SDKGo != sdkgo:
			t.Errorf("%s: listed as ours %s, sdk-go %s; observed ours %s, sdk-go %s", c.Name, d.Ours, d.SDKGo, ours, sdkgo)
		case ours == "reject" && d.Rule != obs.Rule:
			t.Errorf("%s: listed with rule %s, but our decoder reports %s first", c.Name, d.Rule, obs.Rule)
		}
		if _, ok := catalog.Lookup(d.Rule); !ok {
			t.Errorf("%s: rule %q is not in the requirement catalog", c.Name, d.Rule)
		}
		if _, ok := categories[d.Category]; !ok {
			t.Errorf("%s: category %q is not one of the known ones", c.Name, d.Category)
		}
		if strings.TrimSpace(d.Why) == "" {
			t.Errorf("%s: no why", c.Name)
		}
		if sdkgo == "differs" {
			// A difference in the events must be one explain accounts
			// for, and under the category the entry gives.
			cats, ok := explain(&o)
			if !ok {
				t.Errorf("%s: the events differ in a way no category explains (differs in %v; conversion: %v)", c.Name, diff(&o.ours, &o.conv), o.convErr)
			} else if !slices.Contains(cats, d.Category) {
				t.Errorf("%s: listed under %s, but explained by %v", c.Name, d.Category, cats)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(devs)) {
		if _, ok := seen[name]; !ok {
			t.Errorf("%s: listed in %s but not an input any more", name, deviationsFile)
		}
	}
	if *update {
		writeDeviations(t, observed)
	}
}

func writeDeviations(t *testing.T, devs map[string]deviation) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, name := range slices.Sorted(maps.Keys(devs)) {
		var line bytes.Buffer
		enc := json.NewEncoder(&line)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(name); err != nil {
			t.Fatal(err)
		}
		line.Truncate(line.Len() - 1)
		line.WriteString(": ")
		if err := enc.Encode(devs[name]); err != nil {
			t.Fatal(err)
		}
		line.Truncate(line.Len() - 1)
		if i < len(devs)-1 {
			line.WriteByte(',')
		}
		b.WriteString("  ")
		b.Write(line.Bytes())
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	if err := os.WriteFile(deviationsFile, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// typical are seeds beyond the corpus: ordinary events as producers write
// them, compact (the corpus is mostly indented, which hides sdk-go's
// handling of compact input).
var typical = []string{
	`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`,
	`{"specversion":"1.0","id":"1","source":"https://example.com/x","type":"com.example.t","subject":"s","time":"2024-03-01T09:30:00.5+01:00","dataschema":"https://example.com/s","datacontenttype":"application/json","data":{"a":[1,2,{"b":null}]}}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"hello\nworld"}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/octet-stream","data_base64":"AAECAwQ="}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"AAECAwQ="}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","flag":true,"n":-7,"s":"x","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}`,
	`{"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"https://example.com/s","datacontentencoding":"base64","data":"AAEC"}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"application/vnd.x+json","data":{"a":1}}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"str"}`,
	`{"specversion":"1.0","id":"1","source":"HTTP://Example.com/a?b#c","type":"t","dataschema":"URN:x:y"}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2024-03-01t09:30:00.000z","comexamplets":"2024-03-01T09:30:00-00:00"}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"APPLICATION/JSON","data" : [ 1 , "x" ] }`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/json; charset=utf-8","data":{"k":"\u00e9\ud83d\ude00"}}`,
	`{"specversion":"0.3","id":"1","source":"/s","type":"t","dataschema":"https://example.com/s","schemaurl":"https://example.com/t"}`,
	`{"id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"late","specversion":"1.0"}`,
}

// FuzzDifferential feeds the same bytes to both decoders. Neither our
// decoder nor the adapter may panic (sdk-go's panics are recovered and
// count as a rejection: they are findings, see SDKGO-4). When both accept,
// the events must agree, or differ only as explain allows. When we accept,
// our event must also survive ToSDK and FromSDK unchanged (or ToSDK must
// say it cannot represent it), and Format must read and write it as
// jsonformat does.
func FuzzDifferential(f *testing.F) {
	for _, c := range inputs(f) {
		f.Add(c.Data)
	}
	for _, s := range typical {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := run(data)
		if o.oursErr != nil {
			return
		}
		if o.sdkErr == nil {
			if _, ok := explain(&o); !ok {
				t.Fatalf("both accept %q, but the events differ in %v (conversion: %v)", data, diff(&o.ours, &o.conv), o.convErr)
			}
		}
		checkRoundTrip(t, &o.ours)
		checkFormat(t, data, &o.ours)
	})
}

// checkRoundTrip converts a valid event to sdk-go and back.
func checkRoundTrip(t *testing.T, e *event.Event) {
	t.Helper()
	se, err := sdkgo.ToSDK(e)
	if err != nil {
		if !errors.Is(err, sdkgo.ErrUnrepresentable) {
			t.Fatalf("ToSDK of a valid event: %v", err)
		}
		return
	}
	back, err := sdkgo.FromSDK(&se)
	if err != nil {
		t.Fatalf("FromSDK(ToSDK(e)): %v", err)
	}
	if d := diff(e, &back); len(d) > 0 {
		t.Fatalf("FromSDK(ToSDK(e)) differs in %v", d)
	}
}

// checkFormat reads data with Format and writes it again.
func checkFormat(t *testing.T, data []byte, ours *event.Event) {
	t.Helper()
	var se sdk.Event
	if err := (sdkgo.Format{}).Unmarshal(data, &se); err != nil {
		if !errors.Is(err, sdkgo.ErrUnrepresentable) {
			t.Fatalf("Format.Unmarshal of input jsonformat accepts: %v", err)
		}
		return
	}
	out, err := (sdkgo.Format{}).Marshal(&se)
	if err != nil {
		t.Fatalf("Format.Marshal: %v", err)
	}
	var back event.Event
	if err := jsonformat.Decode(out, &back); err != nil {
		t.Fatalf("Format.Marshal wrote %q, which jsonformat refuses: %v", out, err)
	}
	if d := diff(ours, &back); len(d) > 0 {
		t.Fatalf("Format round trip differs in %v", d)
	}
}

// TestSDKGoPanics keeps a finding of DEVIATIONS.md (SDKGO-4) true that
// the verdict table cannot show: on testdata/extra/data-base64-number-
// compact.json both decoders say no, but sdk-go by panicking. If sdk-go
// returns an error instead, update DEVIATIONS.md and this test.
func TestSDKGoPanics(t *testing.T) {
	data, err := os.ReadFile("testdata/extra/data-base64-number-compact.json")
	if err != nil {
		t.Fatal(err)
	}
	o := run(data)
	if !o.panic {
		t.Errorf("sdk-go no longer panics on %s (error: %v)", data, o.sdkErr)
	}
	if primaryRule(o.oursErr) != "JSON-DATA-2" {
		t.Errorf("jsonformat: got %v, want a JSON-DATA-2 error", o.oursErr)
	}
}
