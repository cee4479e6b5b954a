package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/openevents/openevents/spec"
)

// The JUnit XML elements WriteJUnit writes: the common layout that
// Jenkins' junit-10.xsd (from Ant's) describes, with only the attributes
// it allows. The root has no skipped attribute: that schema has none there;
// each testsuite counts its own.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name      string      `xml:"name,attr"`
		Tests     int         `xml:"tests,attr"`
		Failures  int         `xml:"failures,attr"`
		Errors    int         `xml:"errors,attr"`
		Skipped   int         `xml:"skipped,attr"`
		Time      string      `xml:"time,attr"`
		Timestamp string      `xml:"timestamp,attr,omitempty"`
		Cases     []junitCase `xml:"testcase"`
		millis    int64
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitMessage `xml:"failure"`
		Skipped   *junitMessage `xml:"skipped"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes the run as JUnit XML: one testcase per requirement
// check (a case and one requirement it cites), named "ID: case", with
// classname "<document>.<binding>" (e.g. "http.http", "core.http") and one
// testsuite per classname. A failed MUST check is a <failure>; a failed
// SHOULD or MAY check passes, with the finding in its system-out, so a CI
// system's verdict agrees with the run's; a check not run is <skipped>
// with the reason. A failure and a finding quote the rule and link it. A
// testsuite's time is the sum of its testcases' (each rounded to the
// millisecond, as written); the root's is the run's, whose cases ran
// concurrently. Nothing of the machine that ran it (paths, host names) is
// written.
func (r *Result) WriteJUnit(w io.Writer) error {
	cat := spec.Default()
	reqs := map[string]RequirementResult{}
	for _, rr := range r.Requirements {
		reqs[rr.ID] = rr
	}
	suites := map[string]*junitSuite{}
	var names []string
	stamp := ""
	if !r.Started.IsZero() {
		stamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for _, c := range r.Cases {
		for _, id := range c.Requirements {
			rr, ok := reqs[id]
			if !ok { // a result put together by hand: ask the catalog
				q, _ := cat.Lookup(id)
				rr = RequirementResult{ID: id, Level: q.Level, Doc: q.Doc, Text: q.Text, Section: q.Section}
			}
			class := rr.Doc + "." + c.Binding
			s := suites[class]
			if s == nil {
				s = &junitSuite{Name: class, Timestamp: stamp}
				suites[class] = s
				names = append(names, class)
			}
			ms := int64(math.Round(c.Seconds * 1000))
			tc := junitCase{Name: id + ": " + c.Name, Classname: class, Time: millis(ms)}
			rule := fmt.Sprintf("%s (%s): %s", id, rr.Level, rr.Text)
			if rr.Section != "" {
				rule += "\n" + rr.Section
			}
			switch {
			case c.Verdict == NotTested:
				tc.Skipped = &junitMessage{Message: c.Message}
				s.Skipped++
			case c.Verdict == Fail && c.Class == ClassMust:
				tc.Failure = &junitMessage{Message: firstLine(c.Message), Type: "MUST", Text: c.Message + "\n\n" + rule}
				s.Failures++
			case c.Verdict == Fail:
				tc.SystemOut = fmt.Sprintf("finding (%s, does not fail the run): %s\n\n%s", rr.Level, c.Message, rule)
			}
			s.Tests++
			s.millis += ms
			s.Cases = append(s.Cases, tc)
		}
	}
	slices.Sort(names)
	all := junitSuites{Name: "CloudEvents conformance", Time: fmt.Sprintf("%.3f", r.Seconds)}
	for _, n := range names {
		s := suites[n]
		s.Time = millis(s.millis)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Suites = append(all.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// millis writes a number of milliseconds as JUnit's seconds, "1.234".
func millis(ms int64) string { return fmt.Sprintf("%d.%03d", ms/1000, ms%1000) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
