package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/openevents/openevents/spec"
)

// Verdict is the outcome of a case or a requirement.
type Verdict string

// The verdicts.
const (
	Pass      Verdict = "PASS"
	Fail      Verdict = "FAIL"
	NotTested Verdict = "NOT-TESTED"
)

// ReportVersion is the version of the JSON report's layout (Result), which
// schemas/conformance-report.schema.json describes. It grows when a field
// changes meaning or goes away; new fields do not change it.
const ReportVersion = 1

// CaseResult is the outcome of one case.
type CaseResult struct {
	Name         string   `json:"name"`
	Requirements []string `json:"requirements"`
	Class        Class    `json:"class"`
	Role         Role     `json:"role"`
	Binding      string   `json:"binding"`
	Mode         Mode     `json:"mode"`
	Verdict      Verdict  `json:"verdict"`
	// Message says why the case failed or was not tested.
	Message string `json:"message,omitempty"`
	// Seconds is how long the case's exchange took (0 when not run).
	Seconds float64 `json:"seconds"`
}

// RequirementResult is the verdict on one requirement: FAIL when one of
// its cases failed, PASS when at least one passed and none failed,
// NOT-TESTED when none ran.
type RequirementResult struct {
	ID    string     `json:"id"`
	Level spec.Level `json:"level"`
	Class Class      `json:"class"`
	// Doc is the catalog document (spec.DocCore, spec.DocHTTP, ...).
	Doc  string `json:"doc"`
	Text string `json:"text"`
	// Section links the rule in the text of the run's profile (the
	// 1.0.2 text, or main's when the rule exists only there).
	Section string  `json:"section"`
	Verdict Verdict `json:"verdict"`
	// Bindings are the bindings of the cases that check it.
	Bindings []string `json:"bindings"`
	// Cases names the cases that check the requirement.
	Cases []string `json:"cases"`
	// Ran is how many of them ran (passed or failed).
	Ran int `json:"ran"`
	// Message joins the messages of the failed cases, or says why the
	// requirement was not tested.
	Message string `json:"message,omitempty"`
}

// Result is the outcome of a run: the JSON report's document. It holds
// no Ginkgo type, so it can be stored, compared and rendered on its own.
type Result struct {
	// Version is ReportVersion.
	Version int    `json:"version"`
	Target  string `json:"target"`
	// Profile is what the provider was held to.
	Profile Profile   `json:"profile"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	// Verdict is the run's: FAIL when a MUST requirement failed,
	// NOT-TESTED when none failed and none passed either (the run says
	// nothing about the provider), PASS otherwise.
	Verdict Verdict `json:"verdict"`
	// Passed is Verdict == PASS: at least one MUST requirement passed and
	// none failed.
	Passed bool `json:"passed"`
	// Notes are run-wide remarks a person should read first, e.g. that
	// the provider never replies, so the echo cases were not run.
	Notes        []string            `json:"notes,omitempty"`
	Requirements []RequirementResult `json:"requirements"`
	Cases        []CaseResult        `json:"cases"`
}

// newResult builds the per-case and per-requirement results from the
// outcomes and Ginkgo's reports of the Its (which say what was selected
// and how each It ended).
func newResult(cat *spec.Catalog, cases []Case, cfg Config, specs map[string]types.SpecReport, outcomes []outcome) *Result {
	res := &Result{Version: ReportVersion, Target: cfg.target(), Profile: cfg.Profile}
	if res.Profile.Extensions == nil {
		res.Profile.Extensions = []string{} // [] in JSON: none claimed
	}
	reqs := map[string]*RequirementResult{}
	for i := range cases {
		c := &cases[i]
		cr := caseResult(cat, c, specs[c.Title()], outcomes[i])
		res.Cases = append(res.Cases, cr)
		for _, id := range c.Requirements {
			rr := reqs[id]
			if rr == nil {
				q, _ := cat.Lookup(id)
				section := q.SectionIn(cfg.Profile.Spec)
				if section == "" {
					section = q.Section // outside the profile: its own text
				}
				rr = &RequirementResult{ID: id, Level: q.Level, Class: ClassOf(q.Level), Doc: q.Doc, Text: q.Text, Section: section, Verdict: NotTested}
				reqs[id] = rr
			}
			rr.Cases = append(rr.Cases, c.Name)
			if cr.Verdict != NotTested {
				rr.Ran++
			}
			if !slices.Contains(rr.Bindings, c.Binding) {
				rr.Bindings = append(rr.Bindings, c.Binding)
			}
			switch {
			case cr.Verdict == Fail:
				if rr.Verdict != Fail {
					rr.Message = ""
				}
				rr.Verdict = Fail
				if rr.Message != "" {
					rr.Message += "\n"
				}
				rr.Message += c.Name + ": " + cr.Message
			case cr.Verdict == Pass && rr.Verdict == NotTested:
				rr.Verdict = Pass
				rr.Message = ""
			case cr.Verdict == NotTested && rr.Verdict == NotTested && rr.Message == "":
				rr.Message = cr.Message
			}
		}
	}
	for _, rr := range reqs {
		res.Requirements = append(res.Requirements, *rr)
	}
	slices.SortFunc(res.Requirements, func(a, b RequirementResult) int {
		if c := strings.Compare(classRank(a.Class), classRank(b.Class)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	res.Verdict = NotTested
	for _, rr := range res.Requirements {
		switch {
		case rr.Class != ClassMust:
		case rr.Verdict == Fail:
			res.Verdict = Fail
		case rr.Verdict == Pass && res.Verdict == NotTested:
			res.Verdict = Pass
		}
	}
	res.Passed = res.Verdict == Pass
	return res
}

func classRank(c Class) string {
	switch c {
	case ClassMust:
		return "0"
	case ClassShould:
		return "1"
	}
	return "2"
}

// caseResult is one case's verdict: Ginkgo's state of its It, which
// reported the outcome, with the outcome's finding and timing.
func caseResult(cat *spec.Catalog, c *Case, sr types.SpecReport, o outcome) CaseResult {
	cr := CaseResult{
		Name: c.Name, Requirements: c.Requirements, Class: c.Class(cat), Role: c.Role,
		Binding: c.Binding, Mode: c.Mode, Seconds: o.seconds,
	}
	switch {
	case sr.State == types.SpecStatePassed:
		cr.Verdict = Pass
		for _, e := range sr.ReportEntries {
			if e.Name == findingEntry {
				cr.Verdict = Fail
				cr.Message = e.StringRepresentation()
			}
		}
	case sr.State.Is(types.SpecStateFailureStates):
		cr.Verdict = Fail
		cr.Message = sr.Failure.Message
	case sr.State == types.SpecStateSkipped && sr.Failure.Message != "":
		cr.Verdict = NotTested
		cr.Message = sr.Failure.Message
	default: // filtered out, or never reached
		cr.Verdict = NotTested
		cr.Message = "not selected by the label filter, focus or skip"
	}
	return cr
}

// Counts returns how many requirements got each verdict, per class.
func (r *Result) Counts() map[Class]map[Verdict]int {
	m := map[Class]map[Verdict]int{}
	for _, rr := range r.Requirements {
		if m[rr.Class] == nil {
			m[rr.Class] = map[Verdict]int{}
		}
		m[rr.Class][rr.Verdict]++
	}
	return m
}

// WriteConsole prints the per-requirement summary: one line per
// requirement with its verdict, level and, for a failure, the message,
// then the counts and the verdict of the run.
func (r *Result) WriteConsole(w io.Writer) error {
	// The tabwriter holds every line until Flush, which reports a write
	// error of w; the Fprintf calls into it cannot fail on their own.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintf(tw, "Conformance of %s (%d cases, %d requirements)\nProfile: %s\n", r.Target, len(r.Cases), len(r.Requirements), r.Profile)
	for _, n := range r.Notes {
		_, _ = fmt.Fprintf(tw, "Note: %s\n", n)
	}
	_, _ = fmt.Fprintln(tw)
	_, _ = fmt.Fprintln(tw, "VERDICT\tLEVEL\tREQUIREMENT\tMESSAGE")
	for _, rr := range r.Requirements {
		msg := rr.Text
		if rr.Message != "" {
			msg = strings.ReplaceAll(rr.Message, "\n", " | ")
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rr.Verdict, rr.Level, rr.ID, msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	counts := r.Counts()
	var b strings.Builder
	b.WriteString("\n")
	for _, c := range []Class{ClassMust, ClassShould, ClassMay} {
		n := counts[c]
		fmt.Fprintf(&b, "%-6s  %d passed, %d failed, %d not tested\n", c, n[Pass], n[Fail], n[NotTested])
	}
	ran := 0
	for _, c := range r.Cases {
		if c.Verdict != NotTested {
			ran++
		}
	}
	if ran == 0 {
		b.WriteString("no case could judge the provider: see the reasons above\n")
	}
	switch r.Verdict {
	case Pass:
		b.WriteString("verdict: PASS (no MUST requirement failed; SHOULD and MAY failures are findings)\n")
	case Fail:
		b.WriteString("verdict: FAIL (a MUST requirement failed)\n")
	default:
		b.WriteString("verdict: NOT-TESTED (no MUST requirement was tested, so this run says nothing about conformance)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the result as one JSON document: the target, the
// verdict, every requirement tested and every case.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
