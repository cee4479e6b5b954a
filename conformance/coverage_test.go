package conformance

// The requirement IDs in this file are those of its fixture catalog.
//spec:fixture-ids

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/openevents/openevents/spec"
)

// coverageFixture is a small catalog with every kind of entry CoverageOf
// tells apart, written out of order on purpose.
func coverageFixture() []spec.Requirement {
	req := func(id string, level spec.Level, doc string, check spec.Check) spec.Requirement {
		return spec.Requirement{ID: id, Level: level, Doc: doc, Version: spec.Version102, Check: check}
	}
	wip := req("HTTP-WIP-1", spec.LevelMust, spec.DocHTTP, spec.CheckWire)
	wip.Version = spec.Version103WIP
	gone := req("PROTO-GONE-1", spec.LevelRequired, spec.DocProtobuf, spec.CheckWire)
	gone.Removed = spec.Version103WIP
	return []spec.Requirement{
		req("HTTP-A-1", spec.LevelMust, spec.DocHTTP, spec.CheckWire),
		req("CORE-A-10", spec.LevelMustNot, spec.DocCore, spec.CheckWire),
		req("CORE-A-2", spec.LevelMust, spec.DocCore, spec.CheckWire),
		req("CORE-A-3", spec.LevelRequired, spec.DocCore, spec.CheckInspect),
		req("CORE-A-4", spec.LevelShould, spec.DocCore, spec.CheckWire),
		req("CORE-A-5", spec.LevelMay, spec.DocCore, spec.CheckNone),
		req("EXT-TRACE-A-1", spec.LevelMust, spec.DocExtTrace, spec.CheckWire),
		wip,
		gone,
	}
}

func coverageCases() []Case {
	return []Case{
		{Name: "one", Requirements: []string{"CORE-A-2"}},
		{Name: "two", Requirements: []string{"CORE-A-2", "HTTP-WIP-1"}},
		{Name: "three", Requirements: []string{"CORE-A-4"}},
		{Name: "four", Requirements: []string{"EXT-TRACE-A-1"}},
	}
}

func coverageIDs(rs []spec.Requirement) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func TestCoverageOf(t *testing.T) {
	type row struct {
		doc                 string
		class               Class
		reqs, wire, covered int
		missing             []string
	}
	tests := []struct {
		name string
		text string
		want []row
		// headline: wire, covered, missing
		hWire, hCovered int
		hMissing        []string
	}{
		{
			name: "every text",
			want: []row{
				{doc: spec.DocCore, class: ClassMust, reqs: 3, wire: 2, covered: 1, missing: []string{"CORE-A-10"}},
				{doc: spec.DocCore, class: ClassShould, reqs: 1, wire: 1, covered: 1},
				{doc: spec.DocCore, class: ClassMay, reqs: 1, wire: 0, covered: 0},
				{doc: spec.DocProtobuf, class: ClassMust, reqs: 1, wire: 1, covered: 0, missing: []string{"PROTO-GONE-1"}},
				{doc: spec.DocHTTP, class: ClassMust, reqs: 2, wire: 2, covered: 1, missing: []string{"HTTP-A-1"}},
				{doc: spec.DocExtTrace, class: ClassMust, reqs: 1, wire: 1, covered: 1},
			},
			hWire: 5, hCovered: 2, hMissing: []string{"CORE-A-10", "PROTO-GONE-1", "HTTP-A-1"},
		},
		{
			name: "1.0.2 leaves out the rule only main has",
			text: spec.Profile102,
			want: []row{
				{doc: spec.DocCore, class: ClassMust, reqs: 3, wire: 2, covered: 1, missing: []string{"CORE-A-10"}},
				{doc: spec.DocCore, class: ClassShould, reqs: 1, wire: 1, covered: 1},
				{doc: spec.DocCore, class: ClassMay, reqs: 1},
				{doc: spec.DocProtobuf, class: ClassMust, reqs: 1, wire: 1, missing: []string{"PROTO-GONE-1"}},
				{doc: spec.DocHTTP, class: ClassMust, reqs: 1, wire: 1, missing: []string{"HTTP-A-1"}},
				{doc: spec.DocExtTrace, class: ClassMust, reqs: 1, wire: 1, covered: 1},
			},
			hWire: 4, hCovered: 1, hMissing: []string{"CORE-A-10", "PROTO-GONE-1", "HTTP-A-1"},
		},
		{
			name: "main leaves out the rule it removed",
			text: spec.ProfileMain,
			want: []row{
				{doc: spec.DocCore, class: ClassMust, reqs: 3, wire: 2, covered: 1, missing: []string{"CORE-A-10"}},
				{doc: spec.DocCore, class: ClassShould, reqs: 1, wire: 1, covered: 1},
				{doc: spec.DocCore, class: ClassMay, reqs: 1},
				{doc: spec.DocHTTP, class: ClassMust, reqs: 2, wire: 2, covered: 1, missing: []string{"HTTP-A-1"}},
				{doc: spec.DocExtTrace, class: ClassMust, reqs: 1, wire: 1, covered: 1},
			},
			hWire: 4, hCovered: 2, hMissing: []string{"CORE-A-10", "HTTP-A-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := coverageFixture()
			cov, err := CoverageOf(reqs, coverageCases(), tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if cov.Cases != 4 || cov.Spec != tt.text {
				t.Errorf("Cases %d, Spec %q", cov.Cases, cov.Spec)
			}
			if len(cov.Rows) != len(tt.want) {
				t.Fatalf("%d rows, want %d: %+v", len(cov.Rows), len(tt.want), cov.Rows)
			}
			for i, w := range tt.want {
				g := cov.Rows[i]
				if g.Doc != w.doc || g.Class != w.class || g.Requirements != w.reqs || g.Wire != w.wire || g.Covered != w.covered || !slices.Equal(coverageIDs(g.Missing), w.missing) {
					t.Errorf("row %d: got %s %s %d/%d/%d missing %v, want %s %s %d/%d/%d missing %v",
						i, g.Doc, g.Class, g.Requirements, g.Wire, g.Covered, coverageIDs(g.Missing),
						w.doc, w.class, w.reqs, w.wire, w.covered, w.missing)
				}
			}
			h := cov.Headline
			if h.Class != ClassMust || h.Doc != "" || h.Wire != tt.hWire || h.Covered != tt.hCovered || !slices.Equal(coverageIDs(h.Missing), tt.hMissing) {
				t.Errorf("headline %s %d/%d missing %v, want MUST %d/%d missing %v", h.Class, h.Covered, h.Wire, coverageIDs(h.Missing), tt.hCovered, tt.hWire, tt.hMissing)
			}
			// The input is left as it was.
			if !slices.Equal(coverageIDs(reqs), coverageIDs(coverageFixture())) {
				t.Errorf("CoverageOf reordered its input: %v", coverageIDs(reqs))
			}
		})
	}
}

func TestCoverageOfRefuses(t *testing.T) {
	tests := []struct {
		name  string
		cases []Case
		text  string
		want  []string
	}{
		{"unknown text", nil, "1.0.3", []string{`unknown spec text "1.0.3"`, "1.0.2 or main"}},
		{"unknown ID", []Case{{Name: "c", Requirements: []string{"CORE-NOPE-1"}}}, "", []string{`case "c" cites CORE-NOPE-1, which is not in the catalog`}},
		{"not wire", []Case{{Name: "c", Requirements: []string{"CORE-A-3"}}, {Name: "d", Requirements: []string{"CORE-A-5"}}}, "", []string{
			`case "c" cites CORE-A-3, which cannot be checked over the wire (check "inspect")`,
			`case "d" cites CORE-A-5, which cannot be checked over the wire (check "none")`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cov, err := CoverageOf(coverageFixture(), tt.cases, tt.text)
			if err == nil {
				t.Fatalf("no error, coverage %+v", cov)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestCoveragePercent(t *testing.T) {
	for _, tt := range []struct {
		r    CoverageRow
		want float64
	}{
		{CoverageRow{}, 0},
		{CoverageRow{Wire: 4, Covered: 1}, 25},
		{CoverageRow{Wire: 3, Covered: 3}, 100},
	} {
		if got := tt.r.Percent(); got != tt.want {
			t.Errorf("%d of %d: %v%%, want %v%%", tt.r.Covered, tt.r.Wire, got, tt.want)
		}
	}
}

// TestCoverageEmbedded counts the embedded catalog and cases and checks
// the headline against a count made here, requirement by requirement.
func TestCoverageEmbedded(t *testing.T) {
	cat, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Cases(cat)
	if err != nil {
		t.Fatal(err)
	}
	cov, err := CoverageOf(cat.All(), cases, "")
	if err != nil {
		t.Fatal(err)
	}
	cited := map[string]bool{}
	for _, c := range cases {
		for _, id := range c.Requirements {
			cited[id] = true
		}
	}
	wire, covered := 0, 0
	for _, doc := range HeadlineDocs() {
		for _, r := range cat.ByDoc(doc) {
			if !r.Level.IsMust() || r.Check != spec.CheckWire {
				continue
			}
			wire++
			if cited[r.ID] {
				covered++
			}
		}
	}
	if cov.Headline.Wire != wire || cov.Headline.Covered != covered {
		t.Errorf("headline %d of %d, counted %d of %d", cov.Headline.Covered, cov.Headline.Wire, covered, wire)
	}
	if wire < 100 || covered == 0 {
		t.Errorf("the headline counts %d of %d: the catalog or cases were not read", covered, wire)
	}
	total := 0
	for _, row := range cov.Rows {
		total += row.Requirements
		for _, r := range row.Missing {
			if cited[r.ID] || r.Check != spec.CheckWire || r.Doc != row.Doc || ClassOf(r.Level) != row.Class {
				t.Errorf("row %s %s lists %s as missing", row.Doc, row.Class, r.ID)
			}
		}
		if row.Covered+len(row.Missing) != row.Wire {
			t.Errorf("row %s %s: %d covered + %d missing != %d wire", row.Doc, row.Class, row.Covered, len(row.Missing), row.Wire)
		}
	}
	if total != cat.Len() {
		t.Errorf("the rows count %d requirements, the catalog has %d", total, cat.Len())
	}
}

// ExampleCoverageOf counts a two-requirement catalog with one case.
func ExampleCoverageOf() {
	reqs := []spec.Requirement{
		{ID: "CORE-X-1", Level: spec.LevelMust, Doc: spec.DocCore, Version: spec.Version102, Check: spec.CheckWire},
		{ID: "CORE-X-2", Level: spec.LevelMustNot, Doc: spec.DocCore, Version: spec.Version102, Check: spec.CheckWire},
	}
	cases := []Case{{Name: "an event without id is refused", Requirements: []string{"CORE-X-1"}}}
	cov, err := CoverageOf(reqs, cases, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	h := cov.Headline
	fmt.Printf("%d of %d wire-testable MUST requirements have a case (%.0f%%); missing: %s\n", h.Covered, h.Wire, h.Percent(), h.Missing[0].ID)
	// Output: 1 of 2 wire-testable MUST requirements have a case (50%); missing: CORE-X-2
}
