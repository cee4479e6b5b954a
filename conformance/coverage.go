package conformance

import (
	"errors"
	"fmt"
	"slices"

	"github.com/openevents/openevents/spec"
)

// HeadlineDocs are the catalog documents of the coverage headline
// (Coverage.Headline): the core specification, the JSON and protobuf
// formats, the HTTP and MQTT bindings and the web-hook specification, the
// texts every provider of those bindings is judged by. The extensions,
// 0.3 and the Subscriptions API are counted per document but left out of
// the headline, since a provider is held to them only on a claim.
func HeadlineDocs() []string {
	return []string{spec.DocCore, spec.DocJSON, spec.DocProtobuf, spec.DocHTTP, spec.DocWebhook, spec.DocMQTT}
}

// Coverage says how much of the catalog the cases check: per document
// and level class, how many requirements there are, how many of them can
// be checked over the wire (check "wire") and how many of those have at
// least one case. Whether a case ran against a provider does not enter
// into it; this is the suite's reach, not a verdict.
type Coverage struct {
	// Spec is the text counted: "" for every requirement of the catalog,
	// spec.Profile102 or spec.ProfileMain for those part of that text
	// (spec.Requirement.In).
	Spec string
	// Cases is how many cases were counted.
	Cases int
	// Rows are per document (in the order of spec.Docs, unknown
	// documents after them in byte order) and class (MUST, SHOULD, MAY);
	// a document and class with no requirement has no row.
	Rows []CoverageRow
	// Headline counts the wire-testable MUST-class requirements (MUST,
	// MUST NOT, REQUIRED) of HeadlineDocs: the suite's target figure.
	Headline CoverageRow
}

// CoverageRow is the count for one document and level class, or, for
// Coverage.Headline, for several documents (Doc is then empty).
type CoverageRow struct {
	Doc   string
	Class Class
	// Requirements counts every requirement of the row, whatever its
	// check; Wire those with check "wire"; Covered those of Wire that at
	// least one case cites.
	Requirements int
	Wire         int
	Covered      int
	// Missing are the wire-testable requirements of the row that no
	// case cites, in catalog order.
	Missing []spec.Requirement
}

// Percent returns Covered as a percentage of Wire, 0 when Wire is 0.
func (r CoverageRow) Percent() float64 {
	if r.Wire == 0 {
		return 0
	}
	return 100 * float64(r.Covered) / float64(r.Wire)
}

// CoverageOf counts which of reqs the cases cite, for the text specText
// ("" for all of reqs, or a name of spec.Profiles). reqs is usually
// spec.Catalog.All and cases the result of Cases; any list will do, so
// the count can be tested on a small catalog. It returns an error, with
// every problem joined, for an unknown text or when a case cites an ID
// that is not among reqs or cannot be checked over the wire (Cases
// refuses such cases too, so this only happens with hand-made lists).
// The result shares no memory with reqs or cases.
func CoverageOf(reqs []spec.Requirement, cases []Case, specText string) (*Coverage, error) {
	if specText != "" && !slices.Contains(spec.Profiles(), specText) {
		return nil, fmt.Errorf("conformance: coverage: unknown spec text %q: want %s, or empty for every text", specText, coverageJoinOr(spec.Profiles()))
	}
	byID := make(map[string]spec.Requirement, len(reqs))
	for _, r := range reqs {
		byID[r.ID] = r
	}
	cited := make(map[string]bool)
	var errs []error
	for i := range cases {
		for _, id := range cases[i].Requirements {
			r, ok := byID[id]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("conformance: coverage: case %q cites %s, which is not in the catalog", cases[i].Name, id))
			case r.Check != spec.CheckWire:
				errs = append(errs, fmt.Errorf("conformance: coverage: case %q cites %s, which cannot be checked over the wire (check %q)", cases[i].Name, id, r.Check))
			}
			cited[id] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	cov := &Coverage{Spec: specText, Cases: len(cases)}
	cov.Headline.Class = ClassMust
	rows := map[string]map[Class]*CoverageRow{}
	var docs []string
	headline := HeadlineDocs()
	for _, r := range coverageSorted(reqs) {
		if specText != "" && !r.In(specText) {
			continue
		}
		class := ClassOf(r.Level)
		if rows[r.Doc] == nil {
			rows[r.Doc] = map[Class]*CoverageRow{}
			docs = append(docs, r.Doc)
		}
		row := rows[r.Doc][class]
		if row == nil {
			row = &CoverageRow{Doc: r.Doc, Class: class}
			rows[r.Doc][class] = row
		}
		targets := []*CoverageRow{row}
		if class == ClassMust && slices.Contains(headline, r.Doc) {
			targets = append(targets, &cov.Headline)
		}
		for _, t := range targets {
			t.Requirements++
			if r.Check != spec.CheckWire {
				continue
			}
			t.Wire++
			if cited[r.ID] {
				t.Covered++
			} else {
				t.Missing = append(t.Missing, r)
			}
		}
	}
	slices.SortStableFunc(docs, func(a, b string) int { return coverageDocRank(a) - coverageDocRank(b) })
	for _, d := range docs {
		for _, c := range []Class{ClassMust, ClassShould, ClassMay} {
			if row := rows[d][c]; row != nil {
				cov.Rows = append(cov.Rows, *row)
			}
		}
	}
	return cov, nil
}

// coverageSorted returns copies of reqs in catalog order: the order
// of spec.Docs, then as the catalog sorts IDs within a document (the
// input of CoverageOf need not be sorted).
func coverageSorted(reqs []spec.Requirement) []spec.Requirement {
	out := make([]spec.Requirement, len(reqs))
	for i, r := range reqs {
		r.Roles = slices.Clone(r.Roles)
		out[i] = r
	}
	slices.SortStableFunc(out, func(a, b spec.Requirement) int {
		if d := coverageDocRank(a.Doc) - coverageDocRank(b.Doc); d != 0 {
			return d
		}
		if a.Doc != b.Doc {
			if a.Doc < b.Doc {
				return -1
			}
			return 1
		}
		return coverageCompareID(a.ID, b.ID)
	})
	return out
}

// coverageDocRank is a document's place in spec.Docs; unknown documents come
// after every known one.
func coverageDocRank(doc string) int {
	if i := slices.Index(spec.Docs(), doc); i >= 0 {
		return i
	}
	return len(spec.Docs())
}

// coverageCompareID orders IDs as the catalog does: the stem, then the
// trailing number as a number (HTTP-HEADER-VALUE-2 before HTTP-HEADER-VALUE-14).
func coverageCompareID(a, b string) int {
	sa, na := coverageSplitID(a)
	sb, nb := coverageSplitID(b)
	switch {
	case sa != sb:
		if sa < sb {
			return -1
		}
		return 1
	case na != nb:
		if na < nb {
			return -1
		}
		return 1
	}
	return 0
}

func coverageSplitID(id string) (string, int) {
	n, mul, i := 0, 1, len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' && mul < 1e9 {
		n += int(id[i-1]-'0') * mul
		mul *= 10
		i--
	}
	return id[:i], n
}

// coverageJoinOr joins names as "a, b or c".
func coverageJoinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1 : len(names)-1] {
		s += ", " + n
	}
	return s + " or " + names[len(names)-1]
}
