package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/openevents/openevents/spec"
)

// The JUnit XML elements WriteJUnit writes: the common (Ant/Jenkins)
// layout, with only the attributes CI systems read.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
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
		Timestamp string      `xml:"timestamp,attr"`
		Cases     []junitCase `xml:"testcase"`
		secs      float64
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
// with the reason. Nothing of the machine that ran it (paths, host names)
// is written.
func (r *Result) WriteJUnit(w io.Writer) error {
	cat := spec.Default()
	suites := map[string]*junitSuite{}
	var names []string
	stamp := r.Started.UTC().Format("2006-01-02T15:04:05")
	for _, c := range r.Cases {
		for _, id := range c.Requirements {
			q, _ := cat.Lookup(id)
			class := q.Doc + "." + c.Binding
			s := suites[class]
			if s == nil {
				s = &junitSuite{Name: class, Timestamp: stamp}
				suites[class] = s
				names = append(names, class)
			}
			tc := junitCase{Name: id + ": " + c.Name, Classname: class, Time: seconds(c.Seconds)}
			switch {
			case c.Verdict == NotTested:
				tc.Skipped = &junitMessage{Message: c.Message}
				s.Skipped++
			case c.Verdict == Fail && c.Class == ClassMust:
				tc.Failure = &junitMessage{Message: firstLine(c.Message), Type: "MUST", Text: c.Message}
				s.Failures++
			case c.Verdict == Fail:
				tc.SystemOut = fmt.Sprintf("finding (%s, does not fail the run): %s", q.Level, c.Message)
			}
			s.Tests++
			s.secs += c.Seconds
			s.Cases = append(s.Cases, tc)
		}
	}
	slices.Sort(names)
	all := junitSuites{Name: "CloudEvents conformance", Time: seconds(r.Seconds)}
	for _, n := range names {
		s := suites[n]
		s.Time = seconds(s.secs)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Skipped += s.Skipped
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

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
