package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"golang.org/x/net/html"

	"github.com/openevents/openevents/schemas"
	"github.com/openevents/openevents/spec"
)

// The report tests render real runs of the suite: the reference provider
// on a few cases (the rest NOT-TESTED by the focus), and a provider that
// answers 200 to every request, which fails MUST requirements (it accepts
// malformed events), has SHOULD findings (the web-hook handshake), and
// never replies, so its echo cases are NOT-TESTED with a run note.

// refFocus selects the reference run's cases, by requirement ID.
var refFocus = []string{"CORE-ATTR-ID-1", "HTTP-BATCH-7", "WEBHOOK-ABUSE-1"}

var (
	runsOnce        sync.Once
	runsRef, runsOK *Result
	runsErr         error
)

// reportRuns returns the two runs, made once per test binary: Run is
// serialised and takes a few seconds on a shared machine.
func reportRuns(t testing.TB) (ref, always200 *Result) {
	t.Helper()
	runsOnce.Do(func() {
		runsRef, runsOK, runsErr = makeReportRuns()
	})
	if runsErr != nil {
		t.Fatalf("running the suite for the reports: %v", runsErr)
	}
	return runsRef, runsOK
}

func makeReportRuns() (ref, always200 *Result, err error) {
	srv, err := StartReference()
	if err != nil {
		return nil, nil, err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer ok.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ref, err = Run(ctx, Config{HTTP: &HTTPTarget{URL: srv.URL}, Profile: Profile{Spec: spec.Profile102}, Focus: refFocus})
	if err != nil {
		return nil, nil, fmt.Errorf("reference: %w", err)
	}
	always200, err = Run(ctx, Config{HTTP: &HTTPTarget{URL: ok.URL}, Profile: Profile{Spec: spec.Profile102}})
	if err != nil {
		return nil, nil, fmt.Errorf("always-200 provider: %w", err)
	}
	return ref, always200, nil
}

// TestReportRuns checks that the runs the report tests render have what
// those tests need to mean anything.
func TestReportRuns(t *testing.T) {
	ref, bad := reportRuns(t)
	if !ref.Passed || bad.Passed {
		t.Errorf("passed: reference %v, always-200 %v; want true, false", ref.Passed, bad.Passed)
	}
	for _, want := range []struct {
		res     *Result
		v       Verdict
		c       Class
		atLeast int
	}{
		{ref, Pass, ClassMust, 1}, {ref, NotTested, ClassMust, 10},
		{bad, Fail, ClassMust, 10}, {bad, Fail, ClassShould, 1}, {bad, NotTested, ClassMust, 1}, {bad, Pass, ClassMust, 1},
	} {
		if n := want.res.Counts()[want.c][want.v]; n < want.atLeast {
			t.Errorf("%s: %d %s requirements %s, want at least %d", want.res.Target, n, want.c, want.v, want.atLeast)
		}
	}
	if len(bad.Notes) == 0 {
		t.Error("the always-200 provider's run has no note (it never replies, so its echo cases are not run)")
	}
}

// --- JUnit -----------------------------------------------------------------

// The JUnit document as the common (Ant/Jenkins junit-10.xsd) schema has
// it, decoded with every attribute and child element kept, so that the
// check can see what the schema does not allow.
type (
	xmlSuites struct {
		XMLName xml.Name   `xml:"testsuites"`
		Attrs   []xml.Attr `xml:",any,attr"`
		Suites  []xmlSuite `xml:"testsuite"`
		Other   []xmlAny   `xml:",any"`
	}
	xmlSuite struct {
		Attrs     []xml.Attr `xml:",any,attr"`
		Cases     []xmlCase  `xml:"testcase"`
		SystemOut []string   `xml:"system-out"`
		SystemErr []string   `xml:"system-err"`
		Other     []xmlAny   `xml:",any"`
	}
	xmlCase struct {
		Attrs     []xml.Attr `xml:",any,attr"`
		Failure   []xmlMsg   `xml:"failure"`
		Error     []xmlMsg   `xml:"error"`
		Skipped   []xmlMsg   `xml:"skipped"`
		SystemOut []string   `xml:"system-out"`
		SystemErr []string   `xml:"system-err"`
		Other     []xmlAny   `xml:",any"`
	}
	xmlMsg struct {
		Attrs []xml.Attr `xml:",any,attr"`
		Text  string     `xml:",chardata"`
		Other []xmlAny   `xml:",any"`
	}
	xmlAny struct {
		XMLName xml.Name
	}
)

func attrs(as []xml.Attr) map[string]string {
	m := map[string]string{}
	for _, a := range as {
		m[a.Name.Local] = a.Value
	}
	return m
}

// junit-10.xsd: the attributes each element may carry, and those it must.
var (
	suitesAttrs   = []string{"name", "time", "tests", "failures", "disabled", "errors"}
	suiteAttrs    = []string{"name", "tests", "failures", "errors", "time", "disabled", "skipped", "timestamp", "hostname", "id", "package"}
	suiteRequired = []string{"name", "tests", "failures", "errors", "time"} // the XSD needs name and tests; CI systems read the others
	caseAttrs     = []string{"name", "assertions", "time", "classname", "status"}
	caseRequired  = []string{"name", "classname", "time"}
	msgAttrs      = []string{"message", "type"}
)

// junitMillis reads a JUnit time ("1.234") as whole milliseconds.
func junitMillis(s string) (int64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("time %q is not a non-negative number of seconds", s)
	}
	return int64(math.Round(f * 1000)), nil
}

// junitCheck is what a JUnit document of res must be: one testcase per
// (case, requirement) pair, named "ID: case", with classname
// "<doc>.<binding>"; a failure exactly for a failed MUST check; a failed
// SHOULD or MAY check passing with the finding in system-out; a check not
// run skipped with its reason.
type junitCheck struct {
	name, classname string
	verdict         Verdict
	class           Class
	message         string
}

func expectedJUnit(res *Result) map[string]junitCheck {
	doc := map[string]string{}
	for _, rr := range res.Requirements {
		doc[rr.ID] = rr.Doc
	}
	want := map[string]junitCheck{}
	for _, c := range res.Cases {
		for _, id := range c.Requirements {
			name := id + ": " + c.Name
			want[name] = junitCheck{name: name, classname: doc[id] + "." + c.Binding, verdict: c.Verdict, class: c.Class, message: c.Message}
		}
	}
	return want
}

// machinePaths lists the paths of this machine that a report must not
// name: the working directory and the module's root, GOROOT, GOPATH, the
// module and build caches, the home and temporary directories.
func machinePaths(t *testing.T) []string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{wd, filepath.Dir(wd), os.TempDir()}
	for _, env := range []string{"GOPATH", "GOMODCACHE", "HOME", "GOCACHE"} {
		paths = append(paths, filepath.SplitList(os.Getenv(env))...)
	}
	if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, home)
	}
	if out, err := exec.Command("go", "env", "GOROOT", "GOPATH", "GOMODCACHE", "GOCACHE").Output(); err == nil {
		paths = append(paths, strings.Fields(string(out))...)
	}
	var keep []string
	for _, p := range paths {
		if p = filepath.Clean(p); len(p) > 1 && p != "." && !slices.Contains(keep, p) {
			keep = append(keep, p)
		}
	}
	return keep
}

// sourceLocation matches a Go source location such as "suite.go:123",
// which a test framework's failure would carry.
var sourceLocation = regexp.MustCompile(`\.go:[0-9]+`)

// junitProblems checks a JUnit document of res against the common schema
// and this package's promises, and returns what is wrong.
func junitProblems(doc []byte, res *Result, paths []string) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var root xmlSuites
	if err := dec.Decode(&root); err != nil {
		return []string{"not a testsuites document: " + err.Error()}
	}
	for _, o := range root.Other {
		bad("testsuites has a <%s> element", o.XMLName.Local)
	}
	checkAttrs := func(where string, as []xml.Attr, allowed, required []string) map[string]string {
		m := attrs(as)
		for _, a := range as {
			if !slices.Contains(allowed, a.Name.Local) || a.Name.Space != "" {
				bad("%s has the attribute %s, which junit-10.xsd does not allow", where, a.Name.Local)
			}
		}
		for _, r := range required {
			if _, ok := m[r]; !ok {
				bad("%s has no %s attribute", where, r)
			}
		}
		return m
	}
	count := func(where string, m map[string]string, name string, want int) {
		if got, err := strconv.Atoi(m[name]); err != nil || got != want {
			bad("%s: %s=%q, want %d", where, name, m[name], want)
		}
	}
	ra := checkAttrs("testsuites", root.Attrs, suitesAttrs, []string{"tests", "failures", "errors"})

	want := expectedJUnit(res)
	seen := map[string]bool{}
	var tests, failures, errs int
	for i, s := range root.Suites {
		sa := checkAttrs(fmt.Sprintf("testsuite %d", i), s.Attrs, suiteAttrs, suiteRequired)
		where := "testsuite " + sa["name"]
		for _, o := range s.Other {
			bad("%s has a <%s> element (Ginkgo's properties, or something else the schema does not allow)", where, o.XMLName.Local)
		}
		var sf, se, ss int
		var ms int64
		for _, c := range s.Cases {
			ca := checkAttrs(where+" testcase", c.Attrs, caseAttrs, caseRequired)
			name := ca["name"]
			cw := where + " testcase " + strconv.Quote(name)
			for _, o := range c.Other {
				bad("%s has a <%s> element", cw, o.XMLName.Local)
			}
			for _, m := range slices.Concat(c.Failure, c.Error, c.Skipped) {
				checkAttrs(cw+" message", m.Attrs, msgAttrs, nil)
				if len(m.Other) > 0 {
					bad("%s: a message element holds elements", cw)
				}
			}
			if n, err := junitMillis(ca["time"]); err != nil {
				bad("%s: %v", cw, err)
			} else {
				ms += n
			}
			if ca["classname"] != sa["name"] {
				bad("%s: classname %q in the testsuite %q", cw, ca["classname"], sa["name"])
			}
			sf += len(c.Failure)
			se += len(c.Error)
			ss += len(c.Skipped)
			if seen[name] {
				bad("%s: twice", cw)
			}
			seen[name] = true
			w, ok := want[name]
			if !ok {
				bad("%s: no such (case, requirement) pair in the run", cw)
				continue
			}
			if ca["classname"] != w.classname {
				bad("%s: classname %q, want %q", cw, ca["classname"], w.classname)
			}
			mustFail := w.verdict == Fail && w.class == ClassMust
			finding := w.verdict == Fail && w.class != ClassMust
			out := strings.Join(c.SystemOut, "\n")
			switch {
			case len(c.Error) > 0:
				bad("%s: an <error>; a conformance check fails or passes", cw)
			case mustFail && (len(c.Failure) != 1 || len(c.Skipped) != 0):
				bad("%s: a failed MUST check without exactly one <failure>", cw)
			case mustFail && (!strings.Contains(c.Failure[0].Text, w.message) || attrs(c.Failure[0].Attrs)["message"] == ""):
				bad("%s: the failure does not carry the case's message %q", cw, w.message)
			case !mustFail && len(c.Failure) != 0:
				bad("%s: a <failure> for a %s check that is %s", cw, w.class, w.verdict)
			case finding && (!strings.Contains(out, "finding") || !strings.Contains(out, w.message) || len(c.Skipped) != 0):
				bad("%s: a failed %s check must pass with the finding in system-out, got %q", cw, w.class, out)
			case w.verdict == NotTested && (len(c.Skipped) != 1 || !strings.Contains(attrs(c.Skipped[0].Attrs)["message"]+c.Skipped[0].Text, w.message)):
				bad("%s: a check not run must be <skipped> with the reason %q", cw, w.message)
			case w.verdict == Pass && (len(c.Skipped) != 0 || out != ""):
				bad("%s: a passed check with <skipped> or system-out", cw)
			}
		}
		count(where, sa, "tests", len(s.Cases))
		count(where, sa, "failures", sf)
		count(where, sa, "errors", se)
		if _, ok := sa["skipped"]; ok {
			count(where, sa, "skipped", ss)
		}
		if got, err := junitMillis(sa["time"]); err != nil || got != ms {
			bad("%s: time=%q, want the sum of its testcases' times, %.3f", where, sa["time"], float64(ms)/1000)
		}
		tests += len(s.Cases)
		failures += sf
		errs += se
	}
	count("testsuites", ra, "tests", tests)
	count("testsuites", ra, "failures", failures)
	count("testsuites", ra, "errors", errs)
	for name := range want {
		if !seen[name] {
			bad("no testcase for the check %q", name)
		}
	}
	mustFailed := 0
	for _, w := range want {
		if w.verdict == Fail && w.class == ClassMust {
			mustFailed++
		}
	}
	if failures != mustFailed {
		bad("%d failures, want the %d failed MUST checks", failures, mustFailed)
	}

	text := string(doc)
	if strings.Contains(strings.ToLower(text), "ginkgo") || strings.Contains(text, "<properties") {
		bad("the document names Ginkgo or has properties")
	}
	for _, path := range paths {
		if strings.Contains(text, path) {
			bad("the document names the path %s of the machine that ran it", path)
		}
	}
	if loc := sourceLocation.FindString(text); loc != "" {
		bad("the document names a source location %q", loc)
	}
	return p
}

func junitOf(t *testing.T, res *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := res.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestJUnitReport checks the JUnit file of the real runs against the
// common schema and the run.
func TestJUnitReport(t *testing.T) {
	ref, bad := reportRuns(t)
	paths := machinePaths(t)
	for _, res := range []*Result{ref, bad} {
		doc := junitOf(t, res)
		for _, p := range junitProblems(doc, res, paths) {
			t.Errorf("%s: %s", res.Target, p)
		}
	}
	// The always-200 run has every kind of testcase; make sure the file
	// says so, so the check above checked each.
	doc := string(junitOf(t, bad))
	for _, want := range []string{"<failure ", "<skipped ", "<system-out>finding (SHOULD"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the always-200 run's JUnit has no %q", want)
		}
	}
}

// TestJUnitCheckCatches feeds the check broken copies of a real JUnit
// file: each must be caught, or the check above proves nothing.
func TestJUnitCheckCatches(t *testing.T) {
	_, bad := reportRuns(t)
	doc := string(junitOf(t, bad))
	paths := []string{"/home/builder/src/openevents"}
	oneFailure := regexp.MustCompile(`(?s)<failure [^>]*>.*?</failure>`)
	for _, tc := range []struct {
		name, want string
		edit       func(string) string
	}{
		{"skipped on testsuites", "does not allow", func(s string) string {
			return strings.Replace(s, "<testsuites ", `<testsuites skipped="3" `, 1)
		}},
		{"properties", "<properties>", func(s string) string {
			return strings.Replace(s, "</testsuite>", `<properties><property name="SuiteSucceeded" value="false"/></properties></testsuite>`, 1)
		}},
		{"a failure dropped", "failures", func(s string) string {
			return oneFailure.ReplaceAllLiteralString(s, "")
		}},
		{"a testcase without classname", "classname", func(s string) string {
			return strings.Replace(s, ` classname="`, ` class="`, 1)
		}},
		{"a testsuite without time", "no time", func(s string) string {
			return regexp.MustCompile(`(<testsuite [^>]*) time="[^"]*"`).ReplaceAllString(s, "$1")
		}},
		{"a build path", "/home/builder/src/openevents", func(s string) string {
			return strings.Replace(s, "</failure>", " at /home/builder/src/openevents/conformance/suite.go:42</failure>", 1)
		}},
		{"a finding as a failure", "a <failure> for a SHOULD check", func(s string) string {
			return strings.Replace(s, "<system-out>finding (SHOULD", `<failure message="x" type="SHOULD">x</failure><system-out>finding (SHOULD`, 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := tc.edit(doc)
			if edited == doc {
				t.Fatal("the edit changed nothing")
			}
			problems := junitProblems([]byte(edited), bad, paths)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
				t.Errorf("not caught: want a problem mentioning %q, got %q", tc.want, problems)
			}
		})
	}
}

// --- JSON ------------------------------------------------------------------

func reportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(schemas.ConformanceReportSchemaURL, bytes.NewReader(schemas.ConformanceReportSchema())); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemas.ConformanceReportSchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func jsonOf(t *testing.T, res *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := res.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestJSONReportSchema validates the JSON report of the real runs against
// schemas/conformance-report.schema.json, and checks that the report reads
// back to the same result.
func TestJSONReportSchema(t *testing.T) {
	s := reportSchema(t)
	ref, bad := reportRuns(t)
	for _, res := range []*Result{ref, bad} {
		b := jsonOf(t, res)
		if err := s.Validate(decodeJSON(t, b)); err != nil {
			t.Errorf("%s: the JSON report does not match the schema: %#v", res.Target, err)
		}
		var back Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if again := jsonOf(t, &back); !bytes.Equal(again, b) {
			t.Errorf("%s: the JSON report does not read back to the same result", res.Target)
		}
	}
}

// TestJSONReportSchemaRejects: the schema refuses what is not a report of
// this layout. Each edit is made to a real report.
func TestJSONReportSchemaRejects(t *testing.T) {
	s := reportSchema(t)
	_, bad := reportRuns(t)
	b := jsonOf(t, bad)
	firstFail := slices.IndexFunc(bad.Requirements, func(rr RequirementResult) bool { return rr.Verdict == Fail })
	firstMust := slices.IndexFunc(bad.Requirements, func(rr RequirementResult) bool { return rr.Level == spec.LevelMust })
	firstCase := slices.IndexFunc(bad.Cases, func(c CaseResult) bool { return c.Verdict == Fail })
	if firstFail < 0 || firstMust < 0 || firstCase < 0 {
		t.Fatal("the always-200 run has no failed requirement, MUST requirement or failed case")
	}
	for _, tc := range []struct {
		name, at string // at: the instance location the schema must blame
		edit     func(m map[string]any)
	}{
		{"verdict MAYBE", fmt.Sprintf("/requirements/%d/verdict", firstFail), func(m map[string]any) {
			jsonReq(m, firstFail)["verdict"] = "MAYBE"
		}},
		{"case verdict MAYBE", fmt.Sprintf("/cases/%d/verdict", firstCase), func(m map[string]any) {
			jsonCase(m, firstCase)["verdict"] = "MAYBE"
		}},
		{"version 2", "/version", func(m map[string]any) { m["version"] = 2 }},
		{"unknown member", "", func(m map[string]any) { m["score"] = 3 }},
		{"run verdict PASS with a failed MUST, passed false", "/passed", func(m map[string]any) { m["verdict"] = "PASS" }},
		{"ran missing", fmt.Sprintf("/requirements/%d", firstFail), func(m map[string]any) {
			delete(jsonReq(m, firstFail), "ran")
		}},
		{"passed missing", "", func(m map[string]any) { delete(m, "passed") }},
		{"class that is not the level's", fmt.Sprintf("/requirements/%d/class", firstMust), func(m map[string]any) {
			jsonReq(m, firstMust)["class"] = "SHOULD"
		}},
		{"a FAIL without a message", fmt.Sprintf("/requirements/%d", firstFail), func(m map[string]any) {
			delete(jsonReq(m, firstFail), "message")
		}},
		{"unknown document", fmt.Sprintf("/requirements/%d/doc", firstFail), func(m map[string]any) {
			jsonReq(m, firstFail)["doc"] = "amqp-ish"
		}},
		{"seconds negative", fmt.Sprintf("/cases/%d/seconds", firstCase), func(m map[string]any) {
			jsonCase(m, firstCase)["seconds"] = -1
		}},
		{"started not a date-time", "/started", func(m map[string]any) { m["started"] = "yesterday" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			tc.edit(m)
			e, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate(decodeJSON(t, e))
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("accepted (%v)", err)
			}
			if !blames(ve, tc.at) {
				t.Errorf("rejected, but not at %q: %#v", tc.at, ve)
			}
		})
	}
}

func jsonReq(m map[string]any, i int) map[string]any { return jsonAt(m, "requirements", i) }

func jsonCase(m map[string]any, i int) map[string]any { return jsonAt(m, "cases", i) }

// jsonAt returns the i-th object of the array m[key], or an empty object
// (which the edit then changes to no effect, and the test reports).
func jsonAt(m map[string]any, key string, i int) map[string]any {
	if list, ok := m[key].([]any); ok && i < len(list) {
		if o, ok := list[i].(map[string]any); ok {
			return o
		}
	}
	return map[string]any{}
}

// blames reports whether a leaf of the validation error is at the
// instance location at.
func blames(ve *jsonschema.ValidationError, at string) bool {
	if len(ve.Causes) == 0 {
		return ve.InstanceLocation == at
	}
	for _, c := range ve.Causes {
		if blames(c, at) {
			return true
		}
	}
	return false
}

// TestJSONReportSchemaAgrees: the schema names every member of the report
// (Result, RequirementResult, CaseResult, Profile) and no other, and its
// enums are this package's and the catalog's values.
func TestJSONReportSchemaAgrees(t *testing.T) {
	var sch map[string]any
	if err := json.Unmarshal(schemas.ConformanceReportSchema(), &sch); err != nil {
		t.Fatal(err)
	}
	if sch["$schema"] != "https://json-schema.org/draft/2020-12/schema" || sch["$id"] != schemas.ConformanceReportSchemaURL {
		t.Errorf("$schema %v, $id %v", sch["$schema"], sch["$id"])
	}
	defs, _ := sch["$defs"].(map[string]any)
	object := func(name string) map[string]any {
		if name == "" {
			return sch
		}
		o, _ := defs[name].(map[string]any)
		if o == nil {
			t.Fatalf("the schema has no $defs/%s", name)
		}
		return o
	}
	for _, tc := range []struct {
		def string
		typ reflect.Type
	}{
		{"", reflect.TypeFor[Result]()},
		{"requirement", reflect.TypeFor[RequirementResult]()},
		{"case", reflect.TypeFor[CaseResult]()},
		{"profile", reflect.TypeFor[Profile]()},
	} {
		o := object(tc.def)
		props, _ := o["properties"].(map[string]any)
		if strict, ok := o["additionalProperties"].(bool); !ok || strict {
			t.Errorf("%s: additionalProperties is not false", tc.typ.Name())
		}
		var fields []string
		for f := range tc.typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			fields = append(fields, name)
			if _, ok := props[name]; !ok {
				t.Errorf("%s.%s (%q) is not in the schema", tc.typ.Name(), f.Name, name)
			}
		}
		for name := range props {
			if !slices.Contains(fields, name) {
				t.Errorf("the schema's %s has %q, which %s does not", cmpName(tc.def), name, tc.typ.Name())
			}
		}
	}

	enum := func(def string, path ...string) []string {
		node := object(def)
		for _, p := range path {
			next, ok := node[p].(map[string]any)
			if !ok {
				t.Fatalf("the schema has no object at %s/%s", cmpName(def), strings.Join(path, "/"))
			}
			node = next
		}
		values, ok := node["enum"].([]any)
		if !ok {
			t.Fatalf("the schema has no enum at %s/%s", cmpName(def), strings.Join(path, "/"))
		}
		var out []string
		for _, v := range values {
			s, ok := v.(string)
			if !ok {
				t.Fatalf("%s/%s: a value %v that is no string", cmpName(def), strings.Join(path, "/"), v)
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	var levels []string
	for _, l := range []spec.Level{spec.LevelMust, spec.LevelMustNot, spec.LevelRequired, spec.LevelShould, spec.LevelShouldNot, spec.LevelRecommended, spec.LevelMay, spec.LevelOptional} {
		levels = append(levels, string(l))
	}
	cases, err := Cases(spec.Default())
	if err != nil {
		t.Fatal(err)
	}
	var roles, modes []string
	for _, c := range cases {
		if !slices.Contains(roles, string(c.Role)) {
			roles = append(roles, string(c.Role))
		}
		if !slices.Contains(modes, string(c.Mode)) {
			modes = append(modes, string(c.Mode))
		}
	}
	for _, tc := range []struct {
		what string
		got  []string
		want []string
		all  bool // the schema's enum must equal want, not only hold it
	}{
		{"verdict", enum("verdict"), []string{string(Pass), string(Fail), string(NotTested)}, true},
		{"class", enum("class"), []string{string(ClassMust), string(ClassShould), string(ClassMay)}, true},
		{"level", enum("requirement", "properties", "level"), levels, true},
		{"doc", enum("requirement", "properties", "doc"), spec.Docs(), true},
		{"profile spec", enum("profile", "properties", "spec"), spec.Profiles(), true},
		{"extension", enum("profile", "properties", "extensions", "items"), Extensions(), true},
		{"role", enum("case", "properties", "role"), roles, false},
		{"mode", enum("case", "properties", "mode"), modes, false},
	} {
		want := sorted(tc.want)
		if tc.all && !slices.Equal(tc.got, want) {
			t.Errorf("%s: the schema's enum is %q, want %q", tc.what, tc.got, want)
		}
		for _, w := range want {
			if !slices.Contains(tc.got, w) {
				t.Errorf("%s: the schema's enum %q lacks %q", tc.what, tc.got, w)
			}
		}
	}
}

func cmpName(def string) string {
	if def == "" {
		return "top level"
	}
	return "$defs/" + def
}

// --- HTML ------------------------------------------------------------------

func htmlOf(t *testing.T, res *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := res.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// htmlDoc is a parsed page with a few lookups.
type htmlDoc struct{ root *html.Node }

func parseHTML(t *testing.T, b []byte) htmlDoc {
	t.Helper()
	n, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return htmlDoc{n}
}

func htmlAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// all returns the elements under n (n included) that match.
func htmlAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func htmlTag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func (d htmlDoc) byID(t *testing.T, id string) *html.Node {
	t.Helper()
	found := htmlAll(d.root, func(n *html.Node) bool { v, _ := htmlAttr(n, "id"); return v == id })
	if len(found) != 1 {
		t.Fatalf("%d elements with id %q, want 1", len(found), id)
	}
	return found[0]
}

// text is the text content of n, with runs of white space made one space.
func htmlText(n *html.Node) string {
	return strings.Join(strings.Fields(htmlRaw(n)), " ")
}

func htmlRaw(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func htmlHasClass(n *html.Node, class string) bool {
	v, _ := htmlAttr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

// entries returns the entry rows of the table with the given id.
func (d htmlDoc) entries(t *testing.T, table string) []*html.Node {
	t.Helper()
	return htmlAll(d.byID(t, table), func(n *html.Node) bool { return n.Data == "tr" && htmlHasClass(n, "entry") })
}

// verdictRank is the report's order, written again here: FAIL MUST,
// FAIL SHOULD, FAIL MAY, PASS, NOT-TESTED.
func verdictRank(v, class string) int {
	switch {
	case v == "FAIL" && class == "MUST":
		return 0
	case v == "FAIL" && class == "SHOULD":
		return 1
	case v == "FAIL":
		return 2
	case v == "PASS":
		return 3
	}
	return 4
}

// TestHTMLReport checks the page of the real runs as a parser sees it:
// verdict, profile and notes at the top, the counts, the order, every
// requirement with its data, its link and its message, the cases.
func TestHTMLReport(t *testing.T) {
	ref, bad := reportRuns(t)
	for _, res := range []*Result{ref, bad} {
		t.Run(map[bool]string{true: "reference", false: "always-200"}[res.Passed], func(t *testing.T) {
			checkHTML(t, res, parseHTML(t, htmlOf(t, res)))
		})
	}
}

func checkHTML(t *testing.T, res *Result, d htmlDoc) {
	// The top: verdict, profile, summary, notes, in that order.
	verdict := htmlText(d.byID(t, "verdict"))
	want := "Verdict: PASS"
	if !res.Passed {
		want = "Verdict: FAIL"
	}
	if !strings.HasPrefix(verdict, want) {
		t.Errorf("verdict %q, want it to start with %q", verdict, want)
	}
	mustFailed := res.Counts()[ClassMust][Fail]
	if !res.Passed && !strings.Contains(verdict, strconv.Itoa(mustFailed)+" of the") {
		t.Errorf("verdict %q does not say that %d MUST requirements failed", verdict, mustFailed)
	}
	if got := htmlText(d.byID(t, "profile")); !strings.Contains(got, res.Profile.String()) {
		t.Errorf("profile %q, want %q", got, res.Profile.String())
	}
	summary := htmlText(d.byID(t, "summary"))
	for _, c := range []Class{ClassMust, ClassShould, ClassMay} {
		n := res.Counts()[c]
		if w := fmt.Sprintf("%s %d passed, %d failed, %d not tested", c, n[Pass], n[Fail], n[NotTested]); !strings.Contains(summary, w) {
			t.Errorf("summary %q lacks %q", summary, w)
		}
	}
	if len(res.Notes) > 0 {
		notes := htmlRaw(d.byID(t, "notes"))
		for _, n := range res.Notes {
			if !strings.Contains(notes, n) {
				t.Errorf("the notes section lacks %q", n)
			}
		}
	}
	order := []string{"verdict", "profile", "summary"}
	if len(res.Notes) > 0 {
		order = append(order, "notes")
	}
	order = append(order, "counts", "requirements", "cases")
	pos := map[*html.Node]int{}
	i := 0
	for n := range d.root.Descendants() {
		pos[n] = i
		i++
	}
	for j := 1; j < len(order); j++ {
		if pos[d.byID(t, order[j-1])] > pos[d.byID(t, order[j])] {
			t.Errorf("#%s comes after #%s", order[j-1], order[j])
		}
	}

	// The counts, recounted from the result.
	recount := map[string]int{}
	docs := map[string]bool{}
	for _, rr := range res.Requirements {
		recount[rr.Doc+" "+string(rr.Class)+" "+string(rr.Verdict)]++
		recount["all documents "+string(rr.Class)+" "+string(rr.Verdict)]++
		docs[rr.Doc] = true
	}
	counts := d.byID(t, "counts")
	rows := htmlAll(counts, func(n *html.Node) bool {
		return n.Data == "tr" && len(htmlAll(n, func(c *html.Node) bool { return c.Data == "th" && htmlHasScope(c, "row") })) == 1
	})
	if len(rows) != len(docs)+1 {
		t.Errorf("the counts table has %d rows, want one per document present (%d) and the total", len(rows), len(docs))
	}
	var rowDocs []string
	for _, row := range rows {
		doc := htmlText(htmlAll(row, htmlTag("th"))[0])
		rowDocs = append(rowDocs, doc)
		cells := htmlAll(row, htmlTag("td"))
		if len(cells) != 9 {
			t.Fatalf("counts row %s has %d cells, want 9", doc, len(cells))
		}
		k := 0
		for _, c := range []Class{ClassMust, ClassShould, ClassMay} {
			for _, v := range []Verdict{Pass, Fail, NotTested} {
				key := doc + " " + string(c) + " " + string(v)
				if got := htmlText(cells[k]); got != strconv.Itoa(recount[key]) {
					t.Errorf("counts %s: %s, want %d", key, got, recount[key])
				}
				if h, _ := htmlAttr(cells[k], "headers"); !strings.Contains(h, "h-"+string(c)+"-"+string(v)) {
					t.Errorf("counts %s: headers=%q do not name its column", key, h)
				}
				k++
			}
		}
	}
	var catalogOrder []string
	for _, doc := range spec.Docs() {
		if docs[doc] {
			catalogOrder = append(catalogOrder, doc)
		}
	}
	if !slices.Equal(rowDocs, append(catalogOrder, "all documents")) {
		t.Errorf("counts rows %q, want the documents in catalog order and the total", rowDocs)
	}

	// The requirements: failures first, each once, with its data.
	byID := map[string]RequirementResult{}
	for _, rr := range res.Requirements {
		byID[rr.ID] = rr
	}
	reqRows := d.entries(t, "requirements")
	if len(reqRows) != len(res.Requirements) {
		t.Fatalf("%d requirement rows, want %d", len(reqRows), len(res.Requirements))
	}
	last := -1
	seen := map[string]bool{}
	for _, row := range reqRows {
		v, _ := htmlAttr(row, "data-verdict")
		class, _ := htmlAttr(row, "data-level")
		th := htmlAll(row, func(n *html.Node) bool { return n.Data == "th" && htmlHasScope(n, "row") })
		if len(th) != 1 {
			t.Fatalf("a requirement row without one row header")
		}
		id := htmlText(th[0])
		rr, ok := byID[id]
		if !ok || seen[id] {
			t.Errorf("requirement row %q: unknown or twice", id)
			continue
		}
		seen[id] = true
		if r := verdictRank(v, class); r < last {
			t.Errorf("%s (%s %s) comes after a row of a later group", id, v, class)
		} else {
			last = r
		}
		doc, _ := htmlAttr(row, "data-doc")
		bindings, _ := htmlAttr(row, "data-bindings")
		if v != string(rr.Verdict) || class != string(rr.Class) || doc != rr.Doc || bindings != strings.Join(rr.Bindings, " ") {
			t.Errorf("%s: data-verdict=%q data-level=%q data-doc=%q data-bindings=%q, want %s %s %s %q", id, v, class, doc, bindings, rr.Verdict, rr.Class, rr.Doc, rr.Bindings)
		}
		if a := htmlAll(th[0], htmlTag("a")); len(a) != 1 {
			t.Errorf("%s: the ID is not a link", id)
		} else if href, _ := htmlAttr(a[0], "href"); href != rr.Section {
			t.Errorf("%s: links %q, want %q", id, href, rr.Section)
		}
		rowText := htmlText(row)
		for _, s := range slices.Concat([]string{string(rr.Level), rr.Text}, rr.Cases) {
			if !strings.Contains(rowText, strings.Join(strings.Fields(s), " ")) {
				t.Errorf("%s: the row lacks %q", id, s)
			}
		}
		// The message, whole, in the next row.
		next := row.NextSibling
		for next != nil && next.Type != html.ElementNode {
			next = next.NextSibling
		}
		hasMsg := next != nil && htmlHasClass(next, "msg")
		switch {
		case rr.Message == "" && hasMsg:
			t.Errorf("%s: a message row, but no message", id)
		case rr.Message != "" && !hasMsg:
			t.Errorf("%s: no message row for %q", id, rr.Message)
		case rr.Message != "":
			pre := htmlAll(next, htmlTag("pre"))
			td := htmlAll(next, htmlTag("td"))
			if len(pre) != 1 || htmlRaw(pre[0]) != rr.Message {
				t.Errorf("%s: the message row does not hold the message exactly", id)
			}
			if span, _ := htmlAttr(td[0], "colspan"); span != "7" {
				t.Errorf("%s: the message spans %q columns, want all 7", id, span)
			}
			if mv, _ := htmlAttr(next, "data-verdict"); mv != v {
				t.Errorf("%s: the message row's data-verdict %q, the row's %q", id, mv, v)
			}
		}
		if _, hidden := htmlAttr(row, "hidden"); hidden {
			t.Errorf("%s: hidden without the script", id)
		}
	}
	if len(reqRows) > 0 && !res.Passed {
		if v, _ := htmlAttr(reqRows[0], "data-verdict"); v != "FAIL" {
			t.Errorf("the first requirement is %s, want a FAIL", v)
		}
	}

	// The cases: each once, failures first.
	caseRows := d.entries(t, "cases")
	if len(caseRows) != len(res.Cases) {
		t.Errorf("%d case rows, want %d", len(caseRows), len(res.Cases))
	}
	last = -1
	for _, row := range caseRows {
		v, _ := htmlAttr(row, "data-verdict")
		class, _ := htmlAttr(row, "data-level")
		if r := verdictRank(v, class); r < last {
			t.Errorf("case %q (%s %s) comes after a row of a later group", htmlText(row), v, class)
		} else {
			last = r
		}
	}

	// Filters: labelled selects, one option per document and binding
	// present, hidden until the script shows them.
	form := d.byID(t, "filters")
	if _, ok := htmlAttr(form, "hidden"); !ok {
		t.Error("the filters show without the script, where they cannot work")
	}
	labels := map[string]bool{}
	for _, l := range htmlAll(d.root, htmlTag("label")) {
		f, _ := htmlAttr(l, "for")
		labels[f] = true
	}
	for _, s := range htmlAll(form, htmlTag("select")) {
		id, _ := htmlAttr(s, "id")
		if !labels[id] {
			t.Errorf("select #%s has no label", id)
		}
	}
	var docOptions []string
	for _, o := range htmlAll(d.byID(t, "filter-doc"), htmlTag("option")) {
		if v, _ := htmlAttr(o, "value"); v != "" {
			docOptions = append(docOptions, v)
		}
	}
	if !slices.Equal(docOptions, catalogOrder) {
		t.Errorf("document filter offers %q, want %q", docOptions, catalogOrder)
	}

	// Self-contained and accessible.
	for _, n := range htmlAll(d.root, func(n *html.Node) bool {
		_, src := htmlAttr(n, "src")
		return src || n.Data == "link" || n.Data == "iframe" || n.Data == "img"
	}) {
		t.Errorf("an external asset: <%s>", n.Data)
	}
	for _, s := range htmlAll(d.root, htmlTag("style")) {
		if css := htmlRaw(s); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
			t.Error("the style loads something")
		}
	}
	ids := map[string]bool{}
	for _, n := range htmlAll(d.root, func(n *html.Node) bool { _, ok := htmlAttr(n, "id"); return ok }) {
		id, _ := htmlAttr(n, "id")
		if ids[id] {
			t.Errorf("the id %q is used twice", id)
		}
		ids[id] = true
	}
	for _, table := range []string{"counts", "requirements", "cases"} {
		tb := d.byID(t, table)
		if len(htmlAll(tb, htmlTag("caption"))) != 1 || len(htmlAll(tb, htmlTag("thead"))) != 1 {
			t.Errorf("table #%s has no caption or no thead", table)
		}
		for _, th := range htmlAll(tb, htmlTag("th")) {
			if _, ok := htmlAttr(th, "scope"); !ok {
				t.Errorf("table #%s: a th without scope: %q", table, htmlText(th))
			}
		}
	}
}

func htmlHasScope(n *html.Node, scope string) bool {
	v, _ := htmlAttr(n, "scope")
	return v == scope
}

// TestHTMLReportEscapes: what the provider said ends up as text, never as
// markup: a message is the provider's words.
func TestHTMLReportEscapes(t *testing.T) {
	res := &Result{
		Version: ReportVersion, Target: "http://example.com/<b>", Profile: Profile{Spec: spec.Profile102},
		Notes: []string{"note <script>alert(1)</script>"},
		Requirements: []RequirementResult{{
			ID: "CORE-ATTR-ID-1", Level: spec.LevelRequired, Class: ClassMust, Doc: spec.DocCore, Text: "every event has an id",
			Section: "javascript:alert(1)", Verdict: Fail, Bindings: []string{"http"}, Cases: []string{"c <i>"},
			Message: "c <i>: status 200 </pre><script>alert(2)</script>",
		}},
		Cases: []CaseResult{{Name: "c <i>", Requirements: []string{"CORE-ATTR-ID-1"}, Class: ClassMust, Role: RoleReceiver, Binding: "http", Mode: ModeBinary, Verdict: Fail, Message: "status 200 </pre><script>alert(2)</script>"}},
	}
	b := htmlOf(t, res)
	d := parseHTML(t, b)
	if n := len(htmlAll(d.root, htmlTag("script"))); n != 1 {
		t.Errorf("%d script elements, want only the page's own", n)
	}
	if n := len(htmlAll(d.root, htmlTag("i"))) + len(htmlAll(d.root, htmlTag("b"))); n != 0 {
		t.Errorf("%d elements made of the result's text", n)
	}
	if strings.Contains(string(b), `href="javascript:`) {
		t.Error("a javascript: URL as a link")
	}
	pre := htmlAll(d.byID(t, "requirements"), htmlTag("pre"))
	if len(pre) != 1 || htmlRaw(pre[0]) != res.Requirements[0].Message {
		t.Errorf("the message does not read back as written")
	}
}

// TestHTMLReportNothingTested: a run in which no requirement was tested
// must not read as a pass of the provider.
func TestHTMLReportNothingTested(t *testing.T) {
	res := &Result{
		Version: ReportVersion, Target: "http://example.com/", Profile: Profile{Spec: spec.Profile102}, Passed: true,
		Requirements: []RequirementResult{{ID: "CORE-ATTR-ID-1", Level: spec.LevelRequired, Class: ClassMust, Doc: spec.DocCore, Verdict: NotTested, Bindings: []string{"http"}, Cases: []string{"c"}, Message: "not run"}},
		Cases:        []CaseResult{{Name: "c", Requirements: []string{"CORE-ATTR-ID-1"}, Class: ClassMust, Role: RoleEcho, Binding: "http", Mode: ModeBinary, Verdict: NotTested, Message: "not run"}},
	}
	v := htmlText(parseHTML(t, htmlOf(t, res)).byID(t, "verdict"))
	if !strings.Contains(v, "no requirement was tested") {
		t.Errorf("verdict %q does not say that nothing was tested", v)
	}
}
