package conformance

import (
	"html/template"
	"io"
)

// htmlPage is the self-contained HTML report: inline CSS, no scripts, no
// external assets, so it can be attached to a CI run and opened anywhere.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": func(v Verdict) string {
		switch v {
		case Pass:
			return "pass"
		case Fail:
			return "fail"
		}
		return "untested"
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CloudEvents conformance: {{.Target}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.msg { white-space: pre-wrap; font-family: monospace; font-size: 90%; }
.pass { background: #e3f6e3; }
.fail { background: #fbe1e1; }
.untested { background: #f3f3f3; color: #666; }
.verdict { font-size: 130%; font-weight: bold; }
</style>
</head>
<body>
<h1>CloudEvents conformance</h1>
<p>Target: <code>{{.Target}}</code>, started {{.Started.UTC.Format "2006-01-02 15:04:05 UTC"}}, {{printf "%.2f" .Seconds}} s,
{{len .Cases}} cases, {{len .Requirements}} requirements.</p>
{{if .Passed}}<p class="verdict pass">PASS: no MUST requirement failed. SHOULD and MAY failures below are findings.</p>
{{else}}<p class="verdict fail">FAIL: at least one MUST requirement failed.</p>{{end}}
<h2>Requirements</h2>
<table>
<tr><th>Verdict</th><th>Level</th><th>Requirement</th><th>Rule</th><th>Cases</th><th>Message</th></tr>
{{range .Requirements}}<tr class="{{lower .Verdict}}">
<td>{{.Verdict}}</td><td>{{.Level}}</td><td><a href="{{.Section}}">{{.ID}}</a></td><td>{{.Text}}</td>
<td>{{range $i, $c := .Cases}}{{if $i}}<br>{{end}}{{$c}}{{end}}</td><td class="msg">{{.Message}}</td>
</tr>
{{end}}</table>
<h2>Cases</h2>
<table>
<tr><th>Verdict</th><th>Class</th><th>Case</th><th>Requirements</th><th>Role</th><th>Mode</th><th>Message</th></tr>
{{range .Cases}}<tr class="{{lower .Verdict}}">
<td>{{.Verdict}}</td><td>{{.Class}}</td><td>{{.Name}}</td><td>{{range $i, $id := .Requirements}}{{if $i}} {{end}}{{$id}}{{end}}</td>
<td>{{.Role}}</td><td>{{.Mode}}</td><td class="msg">{{.Message}}</td>
</tr>
{{end}}</table>
</body>
</html>
`))

// WriteHTML writes the result as a self-contained HTML page.
func (r *Result) WriteHTML(w io.Writer) error {
	return htmlPage.Execute(w, r)
}
