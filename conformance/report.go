package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
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
	// Seconds is how long the case ran.
	Seconds float64 `json:"seconds"`
}

// RequirementResult is the verdict on one requirement: FAIL when one of
// its cases failed, PASS when at least one passed and none failed,
// NOT-TESTED when none ran.
type RequirementResult struct {
	ID      string     `json:"id"`
	Level   spec.Level `json:"level"`
	Class   Class      `json:"class"`
	Text    string     `json:"text"`
	Section string     `json:"section"`
	Verdict Verdict    `json:"verdict"`
	// Cases names the cases that check the requirement.
	Cases []string `json:"cases"`
	// Message joins the messages of the failed cases.
	Message string `json:"message,omitempty"`
}

// Result is the outcome of a run. Report is Ginkgo's own report, for its
// JUnit and JSON reporters.
type Result struct {
	Target       string              `json:"target"`
	Started      time.Time           `json:"started"`
	Seconds      float64             `json:"seconds"`
	Passed       bool                `json:"passed"`
	Requirements []RequirementResult `json:"requirements"`
	Cases        []CaseResult        `json:"cases"`
	Report       types.Report        `json:"-"`
}

// newResult builds the per-case and per-requirement results from Ginkgo's
// report.
func newResult(cat *spec.Catalog, cases []Case, target string, r types.Report) *Result {
	byTitle := make(map[string]*Case, len(cases))
	for i := range cases {
		byTitle[cases[i].Title()] = &cases[i]
	}
	res := &Result{Target: target, Started: r.StartTime, Seconds: r.RunTime.Seconds(), Report: r}
	reqs := map[string]*RequirementResult{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		c, ok := byTitle[sr.LeafNodeText]
		if !ok {
			continue
		}
		cr := caseResult(cat, c, sr)
		res.Cases = append(res.Cases, cr)
		for _, id := range c.Requirements {
			rr := reqs[id]
			if rr == nil {
				q, _ := cat.Lookup(id)
				rr = &RequirementResult{ID: id, Level: q.Level, Class: ClassOf(q.Level), Text: q.Text, Section: q.Section, Verdict: NotTested}
				reqs[id] = rr
			}
			rr.Cases = append(rr.Cases, c.Name)
			switch {
			case cr.Verdict == Fail:
				rr.Verdict = Fail
				if rr.Message != "" {
					rr.Message += "\n"
				}
				rr.Message += c.Name + ": " + cr.Message
			case cr.Verdict == Pass && rr.Verdict == NotTested:
				rr.Verdict = Pass
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
	res.Passed = true
	for _, rr := range res.Requirements {
		if rr.Class == ClassMust && rr.Verdict == Fail {
			res.Passed = false
		}
	}
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

func caseResult(cat *spec.Catalog, c *Case, sr types.SpecReport) CaseResult {
	cr := CaseResult{
		Name: c.Name, Requirements: c.Requirements, Class: c.Class(cat), Role: c.Role,
		Binding: c.Binding, Mode: c.Mode, Seconds: sr.RunTime.Seconds(),
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
	default: // skipped, filtered out, pending
		cr.Verdict = NotTested
		if sr.State == types.SpecStateSkipped && sr.Failure.Message != "" {
			cr.Message = sr.Failure.Message
		}
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
	_, _ = fmt.Fprintf(tw, "Conformance of %s (%d cases, %d requirements)\n\n", r.Target, len(r.Cases), len(r.Requirements))
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
		b.WriteString("no case ran: check --label-filter, --focus and --skip\n")
	}
	if r.Passed {
		b.WriteString("verdict: PASS (no MUST requirement failed; SHOULD and MAY failures are findings)\n")
	} else {
		b.WriteString("verdict: FAIL (a MUST requirement failed)\n")
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

// WriteJUnit writes Ginkgo's JUnit XML report of the run to the file
// path. SHOULD and MAY findings are passing test cases there, with the
// finding in their system-out; only MUST failures are failures.
func (r *Result) WriteJUnit(path string) error {
	return reporters.GenerateJUnitReport(r.Report, path)
}

// WriteGinkgoJSON writes Ginkgo's own JSON report of the run to path.
func (r *Result) WriteGinkgoJSON(path string) error {
	return reporters.GenerateJSONReport(r.Report, path)
}
