package conformance

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/openevents/openevents/spec"
)

// The HTML report is one self-contained page: inline CSS and a small
// inline script, no external asset, so it can be attached to a CI run and
// opened anywhere. Everything is visible without the script; the script
// only adds the filters (verdict, level, document, binding), which hide
// table rows by their data-* attributes.
//
// The page reads top-down as a reviewer needs it: the verdict of the run
// and the profile, the run's notes, the counts by document and level, the
// requirements with the failures first (MUST, then SHOULD, then MAY, then
// the passes, then what was not tested), then the cases. Each message gets
// a full-width row below its entry, so a long one wraps instead of being
// squeezed into a column.

// htmlView is what the template renders: the result, ordered and counted.
type htmlView struct {
	*Result
	Verdict     Verdict // the run's: Pass, Fail or NotTested
	VerdictLine string
	ProfileText string
	StartedText string
	Summary     []htmlClassCount
	Docs        []htmlDocRow
	Total       htmlDocRow
	DocNames    []string // the documents present, in catalog order
	Bindings    []string // the bindings present, sorted
	Reqs        []htmlReq
	Cases       []htmlCase
}

// htmlClassCount is one level class's tally of requirements.
type htmlClassCount struct {
	Class                  Class
	Pass, Fail, NotTested  int
	PassID, FailID, NoneID string // the header cells of the counts table
}

// htmlDocRow is one row of the counts table: a document's requirements
// per class (MUST, SHOULD, MAY) and, within each, per verdict (PASS, FAIL,
// NOT-TESTED).
type htmlDocRow struct {
	Doc    string
	ID     string
	Counts []htmlCount
}

type htmlCount struct {
	N       int
	Headers string // ids of the header cells that describe the cell
	Class   string // CSS class: a failure count above zero stands out
}

// htmlReq is one requirement's entry.
type htmlReq struct {
	RequirementResult
	Anchor   string
	Cases    []htmlLink
	Bindings string // space-separated, for data-bindings
}

// htmlCase is one case's entry.
type htmlCase struct {
	CaseResult
	Anchor   string
	Reqs     []htmlLink
	Docs     string // space-separated documents of its requirements
	Seconds  string
	ClassCSS string
}

type htmlLink struct{ Text, Href string }

var htmlClasses = []Class{ClassMust, ClassShould, ClassMay}
var htmlVerdicts = []Verdict{Pass, Fail, NotTested}

// verdictCSS is the CSS class of a verdict.
func verdictCSS(v Verdict) string {
	switch v {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	}
	return "untested"
}

// entryRank orders entries for the report: failures first, by class, then
// passes, then what was not tested.
func entryRank(v Verdict, c Class) int {
	switch v {
	case Fail:
		return slices.Index(htmlClasses, c) + 1 // 1..3; an unknown class sorts 0, first
	case Pass:
		return 4
	}
	return 5
}

// anchorID turns text into a fragment identifier: letters, digits and
// '-' kept, everything else '_'.
func anchorID(prefix, s string) string {
	return prefix + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

func newHTMLView(r *Result) *htmlView {
	v := &htmlView{Result: r, ProfileText: r.Profile.String()}
	if !r.Started.IsZero() {
		v.StartedText = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}

	// Counts per class, the verdict line.
	counts := r.Counts()
	tested := 0
	for _, c := range htmlClasses {
		n := counts[c]
		v.Summary = append(v.Summary, htmlClassCount{
			Class: c, Pass: n[Pass], Fail: n[Fail], NotTested: n[NotTested],
			PassID: "h-" + string(c) + "-PASS", FailID: "h-" + string(c) + "-FAIL", NoneID: "h-" + string(c) + "-NOT-TESTED",
		})
		tested += n[Pass] + n[Fail]
	}
	must := counts[ClassMust]
	mustTested := must[Pass] + must[Fail]
	v.Verdict = r.Verdict
	switch {
	case r.Verdict == Fail:
		v.VerdictLine = fmt.Sprintf("%d of the %d MUST requirements tested failed; a provider conforms only when none does.", must[Fail], mustTested)
	case tested == 0:
		v.VerdictLine = "no requirement was tested at all: this run says nothing about the provider."
	case mustTested == 0:
		v.VerdictLine = fmt.Sprintf("no MUST requirement was tested (%d not tested); only SHOULD and MAY requirements were, so this run says nothing about conformance.", must[NotTested])
	default:
		v.VerdictLine = fmt.Sprintf("none of the %d MUST requirements tested failed", mustTested)
		if must[NotTested] > 0 {
			v.VerdictLine += fmt.Sprintf(" (%d more were not tested)", must[NotTested])
		}
		v.VerdictLine += ". SHOULD and MAY failures are findings; they do not fail the run."
	}

	// Counts per document: the catalog's documents in its order, any
	// other after them, sorted.
	perDoc := map[string]map[Class]map[Verdict]int{}
	bindings := map[string]bool{}
	for _, rr := range r.Requirements {
		if perDoc[rr.Doc] == nil {
			perDoc[rr.Doc] = map[Class]map[Verdict]int{}
		}
		if perDoc[rr.Doc][rr.Class] == nil {
			perDoc[rr.Doc][rr.Class] = map[Verdict]int{}
		}
		perDoc[rr.Doc][rr.Class][rr.Verdict]++
		for _, b := range rr.Bindings {
			bindings[b] = true
		}
	}
	for _, c := range r.Cases {
		bindings[c.Binding] = true
	}
	var others []string
	for d := range perDoc {
		if !slices.Contains(spec.Docs(), d) {
			others = append(others, d)
		}
	}
	slices.Sort(others)
	for _, d := range append(spec.Docs(), others...) {
		if perDoc[d] != nil {
			v.DocNames = append(v.DocNames, d)
		}
	}
	total := map[Class]map[Verdict]int{}
	row := func(doc, id string, m map[Class]map[Verdict]int) htmlDocRow {
		dr := htmlDocRow{Doc: doc, ID: id}
		for _, c := range htmlClasses {
			for _, vd := range htmlVerdicts {
				n := m[c][vd]
				css := "num"
				switch {
				case n == 0:
					css += " zero"
				case vd == Fail:
					css += " fail"
				}
				dr.Counts = append(dr.Counts, htmlCount{
					N: n, Class: css,
					Headers: id + " h-" + string(c) + " h-" + string(c) + "-" + string(vd),
				})
			}
		}
		return dr
	}
	for _, d := range v.DocNames {
		v.Docs = append(v.Docs, row(d, anchorID("d-", d), perDoc[d]))
		for c, byVerdict := range perDoc[d] {
			if total[c] == nil {
				total[c] = map[Verdict]int{}
			}
			for vd, n := range byVerdict {
				total[c][vd] += n
			}
		}
	}
	v.Total = row("all documents", "d-all", total)
	for b := range bindings {
		v.Bindings = append(v.Bindings, b)
	}
	slices.Sort(v.Bindings)

	// Entries, failures first; the anchors link requirements and cases.
	caseAnchor := map[string]string{}
	for i, c := range r.Cases {
		caseAnchor[c.Name] = fmt.Sprintf("case-%d", i+1)
	}
	reqDoc := map[string]string{}
	for _, rr := range r.Requirements {
		reqDoc[rr.ID] = rr.Doc
		hr := htmlReq{RequirementResult: rr, Anchor: anchorID("req-", rr.ID), Bindings: strings.Join(rr.Bindings, " ")}
		for _, name := range rr.Cases {
			hr.Cases = append(hr.Cases, htmlLink{Text: name, Href: "#" + caseAnchor[name]})
		}
		v.Reqs = append(v.Reqs, hr)
	}
	slices.SortStableFunc(v.Reqs, func(a, b htmlReq) int {
		return cmp.Compare(entryRank(a.Verdict, a.Class), entryRank(b.Verdict, b.Class))
	})
	for _, c := range r.Cases {
		hc := htmlCase{CaseResult: c, Anchor: caseAnchor[c.Name], Seconds: fmt.Sprintf("%.3f", c.Seconds), ClassCSS: verdictCSS(c.Verdict)}
		var docs []string
		for _, id := range c.Requirements {
			hc.Reqs = append(hc.Reqs, htmlLink{Text: id, Href: "#" + anchorID("req-", id)})
			if d := reqDoc[id]; d != "" && !slices.Contains(docs, d) {
				docs = append(docs, d)
			}
		}
		hc.Docs = strings.Join(docs, " ")
		v.Cases = append(v.Cases, hc)
	}
	slices.SortStableFunc(v.Cases, func(a, b htmlCase) int {
		return cmp.Compare(entryRank(a.Verdict, a.Class), entryRank(b.Verdict, b.Class))
	})
	return v
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"css": verdictCSS,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CloudEvents conformance {{.Verdict}}: {{.Target}}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; background: #fff; margin: 0 auto; padding: 1em 1.5em 3em; max-width: 120em; }
h1 { font-size: 150%; margin: .3em 0; }
h2 { font-size: 120%; margin: 1.6em 0 .5em; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
caption { text-align: left; padding: .3em 0; color: #444; }
th, td { border: 1px solid #c4c4c4; padding: .3em .5em; text-align: left; vertical-align: top; }
thead th { background: #ececec; }
tbody th { font-weight: 600; }
.verdict { font-size: 125%; padding: .5em .8em; border: 2px solid; border-radius: 4px; margin: .6em 0; }
.verdict.pass { background: #e4f5e4; border-color: #2d7a2d; }
.verdict.fail { background: #fbe3e3; border-color: #b02020; }
.summary { margin: .3em 0; }
.notes { background: #fff6d6; border: 2px solid #c99a00; border-radius: 4px; padding: .2em 1em .4em; margin: 1em 0; }
.notes h2 { margin: .4em 0; }
.badge { display: inline-block; font-weight: 700; padding: 0 .35em; border-radius: 3px; white-space: nowrap; }
.badge.pass { background: #d3efd3; color: #134d13; }
.badge.fail { background: #f6caca; color: #7a0d0d; }
.badge.untested { background: #e6e6e6; color: #3a3a3a; }
tr.pass > * { background: #f4fbf4; }
tr.fail > * { background: #fdf1f1; }
tr.untested > * { color: #444; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num.zero { color: #8a8a8a; }
td.num.fail { background: #f6caca; font-weight: 700; color: #7a0d0d; }
tfoot th, tfoot td { font-weight: 700; border-top: 2px solid #888; }
td.text, th.text { overflow-wrap: anywhere; }
.id { white-space: nowrap; }
@media (max-width: 60em) { .id { white-space: normal; } }
ul.plain { list-style: none; margin: 0; padding: 0; }
ul.plain li + li { margin-top: .2em; }
tr.msg > td { border-top: none; }
.msg-label { font-size: 85%; color: #444; }
pre.message { margin: .2em 0 0; white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; font-size: 90%; max-width: 100%; }
form.filters { display: flex; flex-wrap: wrap; gap: .6em 1.5em; align-items: end; border: 1px solid #c4c4c4; padding: .5em .8em; margin: .5em 0; }
form.filters label { display: block; font-size: 85%; color: #333; }
form.filters select, form.filters button { font: inherit; }
form.filters p { margin: 0; flex-basis: 100%; }
[hidden] { display: none !important; }
</style>
</head>
<body>
<header>
<h1>CloudEvents conformance of <code>{{.Target}}</code></h1>
<p id="verdict" class="verdict {{css .Verdict}}"><strong>Verdict: {{.Verdict}}</strong>: {{.VerdictLine}}</p>
<p id="profile"><strong>Profile:</strong> {{.ProfileText}}</p>
<p id="summary" class="summary"><strong>Requirements:</strong>
{{- range $i, $c := .Summary}}{{if $i}};{{end}} {{$c.Class}} {{$c.Pass}} passed, {{$c.Fail}} failed, {{$c.NotTested}} not tested{{end}}.</p>
<p class="meta">{{len .Cases}} cases, {{len .Requirements}} requirements{{if .StartedText}}; started {{.StartedText}}{{end}}, took {{printf "%.2f" .Seconds}} s.</p>
</header>
<main>
{{- if .Notes}}
<section id="notes" class="notes" aria-labelledby="notes-title">
<h2 id="notes-title">Notes on this run (read first)</h2>
<ul>
{{- range .Notes}}
<li>{{.}}</li>
{{- end}}
</ul>
</section>
{{- end}}
<section aria-labelledby="counts-title">
<h2 id="counts-title">Requirements by document and level</h2>
<table id="counts">
<caption>How many requirements of each document passed, failed or were not tested, per level (MUST includes MUST NOT and REQUIRED; SHOULD includes SHOULD NOT and RECOMMENDED; MAY includes OPTIONAL).</caption>
<colgroup><col></colgroup>
{{- range .Summary}}
<colgroup span="3"></colgroup>
{{- end}}
<thead>
<tr><th id="h-doc" rowspan="2" scope="col">Document</th>
{{- range .Summary}}<th id="h-{{.Class}}" colspan="3" scope="colgroup">{{.Class}}</th>{{end}}</tr>
<tr>
{{- range .Summary}}<th id="{{.PassID}}" scope="col">PASS</th><th id="{{.FailID}}" scope="col">FAIL</th><th id="{{.NoneID}}" scope="col">NOT-TESTED</th>{{end}}</tr>
</thead>
<tbody>
{{- range .Docs}}
<tr data-doc="{{.Doc}}"><th id="{{.ID}}" scope="row">{{.Doc}}</th>
{{- range .Counts}}<td class="{{.Class}}" headers="{{.Headers}}">{{.N}}</td>{{end}}</tr>
{{- end}}
</tbody>
<tfoot>
<tr><th id="{{.Total.ID}}" scope="row">{{.Total.Doc}}</th>
{{- range .Total.Counts}}<td class="{{.Class}}" headers="{{.Headers}}">{{.N}}</td>{{end}}</tr>
</tfoot>
</table>
</section>

<section aria-labelledby="reqs-title">
<h2 id="reqs-title">Requirements</h2>
<p>Failures first (MUST, then SHOULD, then MAY), then the requirements that passed, then those not tested. A requirement fails when one of its cases failed. Each ID links to the rule in the text of the profile.</p>
<noscript><p>The filters need JavaScript; every requirement and case is listed.</p></noscript>
<form id="filters" class="filters" hidden>
<div><label for="filter-verdict">Verdict</label>
<select id="filter-verdict" data-filter="verdict">
<option value="">all verdicts</option>
<option value="FAIL">FAIL</option>
<option value="PASS">PASS</option>
<option value="NOT-TESTED">NOT-TESTED</option>
</select></div>
<div><label for="filter-level">Level</label>
<select id="filter-level" data-filter="level">
<option value="">all levels</option>
<option value="MUST">MUST (also MUST NOT, REQUIRED)</option>
<option value="SHOULD">SHOULD (also SHOULD NOT, RECOMMENDED)</option>
<option value="MAY">MAY (also OPTIONAL)</option>
</select></div>
<div><label for="filter-doc">Document</label>
<select id="filter-doc" data-filter="doc">
<option value="">all documents</option>
{{- range .DocNames}}
<option value="{{.}}">{{.}}</option>
{{- end}}
</select></div>
<div><label for="filter-binding">Binding</label>
<select id="filter-binding" data-filter="bindings">
<option value="">all bindings</option>
{{- range .Bindings}}
<option value="{{.}}">{{.}}</option>
{{- end}}
</select></div>
<div><button type="button" id="filter-reset">Show all</button></div>
<p id="filter-status" role="status" aria-live="polite"></p>
</form>
<table id="requirements" class="entries">
<caption>{{len .Reqs}} requirements; a message, when there is one, is in the row below its requirement.</caption>
<thead>
<tr><th scope="col">Verdict</th><th scope="col">Level</th><th scope="col">Requirement</th><th scope="col">Document</th><th scope="col">Bindings</th><th scope="col">Rule</th><th scope="col">Cases</th></tr>
</thead>
{{- range .Reqs}}
<tbody id="{{.Anchor}}">
<tr class="entry {{css .Verdict}}" data-verdict="{{.Verdict}}" data-level="{{.Class}}" data-doc="{{.Doc}}" data-bindings="{{.Bindings}}">
<td><span class="badge {{css .Verdict}}">{{.Verdict}}</span></td>
<td class="id">{{.Level}}</td>
<th scope="row" class="id" id="{{.Anchor}}-id">{{if .Section}}<a href="{{.Section}}">{{.ID}}</a>{{else}}{{.ID}}{{end}}</th>
<td>{{.Doc}}</td>
<td>{{.Bindings}}</td>
<td class="text">{{.Text}}</td>
<td class="text"><ul class="plain">{{range .Cases}}<li><a href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul></td>
</tr>
{{- if .Message}}
<tr class="msg {{css .Verdict}}" data-verdict="{{.Verdict}}" data-level="{{.Class}}" data-doc="{{.Doc}}" data-bindings="{{.Bindings}}">
<td colspan="7" headers="{{.Anchor}}-id"><span class="msg-label">{{if eq .Verdict "FAIL"}}Why it failed{{else if eq .Verdict "NOT-TESTED"}}Why it was not tested{{else}}Message{{end}}:</span>
<pre class="message">{{.Message}}</pre></td>
</tr>
{{- end}}
</tbody>
{{- end}}
</table>
</section>

<section aria-labelledby="cases-title">
<h2 id="cases-title">Cases</h2>
<p>Each case is one exchange with the provider; the filters above apply here too (a case belongs to the documents of its requirements).</p>
<table id="cases" class="entries">
<caption>{{len .Cases}} cases, failures first.</caption>
<thead>
<tr><th scope="col">Verdict</th><th scope="col">Level</th><th scope="col">Case</th><th scope="col">Requirements</th><th scope="col">Binding</th><th scope="col">Role</th><th scope="col">Mode</th><th scope="col">Seconds</th></tr>
</thead>
{{- range .Cases}}
<tbody id="{{.Anchor}}">
<tr class="entry {{.ClassCSS}}" data-verdict="{{.Verdict}}" data-level="{{.Class}}" data-doc="{{.Docs}}" data-bindings="{{.Binding}}">
<td><span class="badge {{.ClassCSS}}">{{.Verdict}}</span></td>
<td>{{.Class}}</td>
<th scope="row" class="text" id="{{.Anchor}}-name">{{.Name}}</th>
<td><ul class="plain">{{range .Reqs}}<li class="id"><a href="{{.Href}}">{{.Text}}</a></li>{{end}}</ul></td>
<td>{{.Binding}}</td>
<td>{{.Role}}</td>
<td>{{.Mode}}</td>
<td class="num">{{.Seconds}}</td>
</tr>
{{- if .Message}}
<tr class="msg {{.ClassCSS}}" data-verdict="{{.Verdict}}" data-level="{{.Class}}" data-doc="{{.Docs}}" data-bindings="{{.Binding}}">
<td colspan="8" headers="{{.Anchor}}-name"><pre class="message">{{.Message}}</pre></td>
</tr>
{{- end}}
</tbody>
{{- end}}
</table>
</section>
</main>
<script>
(function () {
	"use strict";
	var form = document.getElementById("filters");
	if (!form || !form.querySelectorAll) {
		return;
	}
	var selects = form.querySelectorAll("select[data-filter]");
	var status = document.getElementById("filter-status");
	function has(list, value) {
		return (" " + (list || "") + " ").indexOf(" " + value + " ") >= 0;
	}
	function apply() {
		var words = [];
		["requirements", "cases"].forEach(function (id) {
			var shown = 0, total = 0;
			document.getElementById(id).querySelectorAll("tr[data-verdict]").forEach(function (row) {
				var ok = true;
				selects.forEach(function (s) {
					if (s.value !== "" && !has(row.getAttribute("data-" + s.getAttribute("data-filter")), s.value)) {
						ok = false;
					}
				});
				row.hidden = !ok;
				if (row.classList.contains("entry")) {
					total++;
					if (ok) {
						shown++;
					}
				}
			});
			words.push(shown + " of " + total + " " + id);
		});
		status.textContent = "Showing " + words.join(" and ") + ".";
	}
	selects.forEach(function (s) {
		s.addEventListener("change", apply);
	});
	document.getElementById("filter-reset").addEventListener("click", function () {
		selects.forEach(function (s) {
			s.value = "";
		});
		apply();
	});
	form.hidden = false;
	apply();
})();
</script>
</body>
</html>
`))

// WriteHTML writes the result as a self-contained HTML page: the verdict
// and profile, the run's notes, the counts by document and level, the
// requirements with failures first, then the cases. It renders without
// scripts; a small inline script adds filters by verdict, level, document
// and binding.
func (r *Result) WriteHTML(w io.Writer) error {
	return htmlPage.Execute(w, newHTMLView(r))
}
