//go:build browser

package conformance

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The HTML report in a real browser: Debian's chromium, headless, driven
// by chromedp. `make browser` installs chromium when missing and runs this
// test; a missing browser fails it (a browser check that skips checks
// nothing).

// chromiumPath is where Debian's chromium package puts the browser;
// OPENEVENTS_CHROMIUM overrides it.
const chromiumPath = "/usr/bin/chromium"

// The window the page is laid out in: a laptop screen.
const browserWidth, browserHeight = 1280, 900

// browser starts a fresh headless chromium with its own profile and
// returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath
	if p := os.Getenv("OPENEVENTS_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no browser at %s (%v): install Debian's chromium (`make browser` does) or set OPENEVENTS_CHROMIUM", path, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(browserWidth, browserHeight),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	// Start the browser now, so that its failure to start is reported as
	// such and not as the first check's.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// writePage renders res to a file and returns its file:// URL.
func writePage(t *testing.T, res *Result) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.WriteHTML(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// run runs one action with a deadline and fails the test on its error.
func run[T any](ctx context.Context, t *testing.T, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// pageJS are the helpers the checks evaluate in the page.
const pageJS = `
window.__t = {
	visible: function (el) { return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"; },
	rows: function (table) {
		return Array.prototype.slice.call(document.querySelectorAll("#" + table + " tr.entry"));
	},
	shown: function (table) {
		return this.rows(table).filter(this.visible).map(function (r) {
			return { verdict: r.dataset.verdict, level: r.dataset.level, doc: r.dataset.doc, id: (r.querySelector("th") || {}).textContent };
		});
	},
	choose: function (id, value) {
		var s = document.getElementById(id);
		s.value = value;
		if (s.value !== value) { throw new Error("#" + id + " has no option " + value); }
		s.dispatchEvent(new Event("change", { bubbles: true }));
	},
};
true`

type shownRow struct {
	Verdict string `json:"verdict"`
	Level   string `json:"level"`
	Doc     string `json:"doc"`
	ID      string `json:"id"`
}

// box is an element's geometry and the styles that decide its wrapping.
type box struct {
	Top            float64 `json:"top"`
	Left           float64 `json:"left"`
	Right          float64 `json:"right"`
	ScrollWidth    float64 `json:"scrollWidth"`
	ClientWidth    float64 `json:"clientWidth"`
	ScrollHeight   float64 `json:"scrollHeight"`
	ClientHeight   float64 `json:"clientHeight"`
	Visible        bool    `json:"visible"`
	Text           string  `json:"text"`
	ViewportWidth  float64 `json:"viewportWidth"`
	ViewportHeight float64 `json:"viewportHeight"`
	DocumentWidth  float64 `json:"documentWidth"`
	WhiteSpace     string  `json:"whiteSpace"`
}

// measure returns the geometry of the element the JavaScript expression
// el yields.
func measure(ctx context.Context, t *testing.T, el string) box {
	t.Helper()
	return run(ctx, t, "measuring "+el, chromedp.Evaluate[box](`(function () {
		var el = `+el+`;
		if (!el) { throw new Error("no element: `+strings.ReplaceAll(el, `"`, `'`)+`"); }
		var r = el.getBoundingClientRect(), cs = getComputedStyle(el);
		return {
			top: r.top, left: r.left, right: r.right,
			scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
			scrollHeight: el.scrollHeight, clientHeight: el.clientHeight,
			visible: __t.visible(el), text: el.textContent,
			viewportWidth: window.innerWidth, viewportHeight: window.innerHeight,
			documentWidth: document.documentElement.scrollWidth,
			whiteSpace: cs.whiteSpace,
		};
	})()`))
}

// longToken is a message word no line can hold: a message must wrap
// inside it rather than run off the page.
var longToken = strings.Repeat("0123456789abcdef", 40)

// TestHTMLInBrowser opens the HTML report of a real failing run in
// chromium and checks what a reader sees: the verdict and counts at the
// top, failures first, the verdict and document filters, and that a long
// message is shown whole. It then checks the same page with JavaScript
// off: every row is there, and no filter that cannot work is shown.
func TestHTMLInBrowser(t *testing.T) {
	ctx := browser(t)
	_, bad := reportRuns(t)
	// One real message made long: the longest message of the run plus a
	// word longer than any line.
	res := *bad
	res.Requirements = append([]RequirementResult(nil), bad.Requirements...)
	longest := -1
	for i, rr := range res.Requirements {
		if rr.Verdict == Fail && (longest < 0 || len(rr.Message) > len(res.Requirements[longest].Message)) {
			longest = i
		}
	}
	if longest < 0 {
		t.Fatal("the always-200 run failed no requirement")
	}
	res.Requirements[longest].Message += "\n" + res.Requirements[longest].Message + " " + longToken
	longID := res.Requirements[longest].ID
	page := writePage(t, &res)

	run(ctx, t, "opening the report", chromedp.Navigate(page))
	run(ctx, t, "loading the helpers", chromedp.Evaluate[bool](pageJS))

	// The verdict, the summary of counts and the counts table start in
	// the first screen.
	for _, sel := range []string{"#verdict", "#summary", "#counts"} {
		b := measure(ctx, t, `document.querySelector("`+sel+`")`)
		if !b.Visible || b.Top < 0 || b.Top >= b.ViewportHeight {
			t.Errorf("%s is not in the first screen: top %.0f, viewport height %.0f, visible %v", sel, b.Top, b.ViewportHeight, b.Visible)
		}
	}
	verdict := measure(ctx, t, `document.getElementById("verdict")`).Text
	mustFailed := res.Counts()[ClassMust][Fail]
	if !strings.Contains(verdict, "FAIL") || !strings.Contains(verdict, fmt.Sprintf("%d of the", mustFailed)) {
		t.Errorf("verdict %q: want FAIL and the %d MUST requirements that failed", verdict, mustFailed)
	}
	total := run(ctx, t, "reading the counts", chromedp.Evaluate[[]string](
		`Array.prototype.map.call(document.querySelectorAll("#counts tfoot td"), function (td) { return td.textContent.trim(); })`))
	counts := res.Counts()
	var want []string
	for _, c := range []Class{ClassMust, ClassShould, ClassMay} {
		for _, v := range []Verdict{Pass, Fail, NotTested} {
			want = append(want, fmt.Sprint(counts[c][v]))
		}
	}
	if strings.Join(total, " ") != strings.Join(want, " ") {
		t.Errorf("the counts' total row reads %q, want %q", total, want)
	}

	// Everything shows; the first requirement is a failed MUST.
	shown := run(ctx, t, "reading the rows", chromedp.Evaluate[[]shownRow](`__t.shown("requirements")`))
	if len(shown) != len(res.Requirements) {
		t.Fatalf("%d requirement rows visible, want all %d", len(shown), len(res.Requirements))
	}
	if shown[0].Verdict != "FAIL" || shown[0].Level != "MUST" {
		t.Errorf("the first requirement row is %s %s (%s), want a FAIL of a MUST", shown[0].Verdict, shown[0].Level, shown[0].ID)
	}
	firstBadge := run(ctx, t, "reading the first badge", chromedp.Evaluate[string](`document.querySelector("#requirements tr.entry .badge").textContent`))
	if firstBadge != "FAIL" {
		t.Errorf("the first requirement row shows %q, want FAIL", firstBadge)
	}

	// The filters.
	count := func(pred func(RequirementResult) bool) int {
		n := 0
		for _, rr := range res.Requirements {
			if pred(rr) {
				n++
			}
		}
		return n
	}
	for _, f := range []struct {
		name, sel, value string
		keep             func(RequirementResult) bool
		row              func(shownRow) bool
	}{
		{"verdict FAIL", "filter-verdict", "FAIL",
			func(rr RequirementResult) bool { return rr.Verdict == Fail },
			func(r shownRow) bool { return r.Verdict == "FAIL" }},
		{"document json", "filter-doc", "json",
			func(rr RequirementResult) bool { return rr.Doc == "json" },
			func(r shownRow) bool { return r.Doc == "json" }},
		{"level SHOULD", "filter-level", "SHOULD",
			func(rr RequirementResult) bool { return rr.Class == ClassShould },
			func(r shownRow) bool { return r.Level == "SHOULD" }},
	} {
		run(ctx, t, "resetting the filters", chromedp.Click(chromedp.ID("filter-reset")))
		run(ctx, t, "choosing "+f.name, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`__t.choose(%q, %q)`, f.sel, f.value)))
		rows := run(ctx, t, "reading the rows", chromedp.Evaluate[[]shownRow](`__t.shown("requirements")`))
		n := count(f.keep)
		if n == 0 || n == len(res.Requirements) {
			t.Fatalf("%s: %d of %d requirements match, so the filter shows nothing", f.name, n, len(res.Requirements))
		}
		if len(rows) != n {
			t.Errorf("%s: %d rows visible, want %d", f.name, len(rows), n)
		}
		for _, r := range rows {
			if !f.row(r) {
				t.Errorf("%s: the row %s (%s %s, %s) is visible", f.name, r.ID, r.Verdict, r.Level, r.Doc)
			}
		}
		status := run(ctx, t, "reading the status", chromedp.Evaluate[string](`document.getElementById("filter-status").textContent`))
		if !strings.Contains(status, fmt.Sprintf("Showing %d of %d requirements", n, len(res.Requirements))) {
			t.Errorf("%s: the status reads %q", f.name, status)
		}
		// The hidden entries' message rows are hidden with them.
		stray := run(ctx, t, "reading the message rows", chromedp.Evaluate[int](
			`Array.prototype.filter.call(document.querySelectorAll("#requirements tr.msg"), function (m) {
				var entry = m.previousElementSibling;
				return __t.visible(m) !== __t.visible(entry);
			}).length`))
		if stray != 0 {
			t.Errorf("%s: %d message rows shown or hidden apart from their requirement", f.name, stray)
		}
	}
	run(ctx, t, "resetting the filters", chromedp.Click(chromedp.ID("filter-reset")))
	if n := len(run(ctx, t, "reading the rows", chromedp.Evaluate[[]shownRow](`__t.shown("requirements")`))); n != len(res.Requirements) {
		t.Errorf("after Show all, %d of %d rows visible", n, len(res.Requirements))
	}

	// The long message is whole: visible, wrapped inside its box, within
	// the page's width, and the page does not scroll sideways.
	msg := measure(ctx, t, `document.querySelector("#req-`+longID+` pre.message")`)
	if !msg.Visible || !strings.Contains(msg.Text, longToken) {
		t.Errorf("the long message of %s is not shown", longID)
	}
	if msg.ScrollWidth > msg.ClientWidth || msg.ScrollHeight > msg.ClientHeight {
		t.Errorf("the long message is clipped: scroll %vx%v in a box of %vx%v", msg.ScrollWidth, msg.ScrollHeight, msg.ClientWidth, msg.ClientHeight)
	}
	if msg.Right > msg.ViewportWidth || msg.DocumentWidth > msg.ViewportWidth {
		t.Errorf("the long message runs past the window: right edge %.0f, page width %.0f, window %.0f", msg.Right, msg.DocumentWidth, msg.ViewportWidth)
	}
	if msg.Right-msg.Left < msg.ViewportWidth/2 {
		t.Errorf("the long message is squeezed into %.0f of %.0f pixels", msg.Right-msg.Left, msg.ViewportWidth)
	}
	if msg.WhiteSpace != "pre-wrap" {
		t.Errorf("the message's white-space is %q, want pre-wrap", msg.WhiteSpace)
	}

	// With JavaScript off: every row visible, no filter shown.
	nojs, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if _, err := chromedp.Call(nojs, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turning JavaScript off: %v", err)
	}
	run(nojs, t, "opening the report without JavaScript", chromedp.Navigate(page))
	// Evaluate still runs (the protocol is not the page's scripts); the
	// page's own script did not.
	state := run(nojs, t, "reading the page without JavaScript", chromedp.Evaluate[struct {
		Rows      int    `json:"rows"`
		Visible   int    `json:"visible"`
		FormShown bool   `json:"formShown"`
		Status    string `json:"status"`
	}](`(function () {
		var rows = document.querySelectorAll("#requirements tr.entry, #cases tr.entry");
		var visible = Array.prototype.filter.call(rows, function (r) { return r.getClientRects().length > 0; }).length;
		var form = document.getElementById("filters");
		return { rows: rows.length, visible: visible, formShown: form.getClientRects().length > 0, status: document.getElementById("filter-status").textContent };
	})()`))
	if want := len(res.Requirements) + len(res.Cases); state.Rows != want || state.Visible != want {
		t.Errorf("without JavaScript: %d of %d rows visible, want all %d", state.Visible, state.Rows, want)
	}
	if state.FormShown || state.Status != "" {
		t.Errorf("without JavaScript the filters show (%v) or the script ran (status %q)", state.FormShown, state.Status)
	}
}
