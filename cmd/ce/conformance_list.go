package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/conformance"
	"github.com/openevents/openevents/spec"
)

const conformanceListLong = `List prints the conformance suite's cases, one a line: the level class of
its requirements (MUST, SHOULD, MAY), the role the provider plays, the
binding, the content mode, the requirement IDs and the case's name. It
tests nothing and needs no provider.

With --coverage it prints instead, per catalog document and level class,
how many requirements there are, how many can be checked over the wire
(check "wire" in spec/catalog) and how many of those at least one case
cites, then the headline figure: the wire-testable MUST requirements
(MUST, MUST NOT, REQUIRED) of core, JSON, protobuf, HTTP, web-hook and
MQTT that have a case. --missing (or -v) adds the wire-testable
requirements that have none. --spec 1.0.2 or --spec main counts only the
rules of that text (default: every rule of the catalog).

Coverage is the suite's reach, not a verdict: a requirement with a case
can still be NOT-TESTED in a run (outside the profile, a role or binding
the provider does not play).`

// conformanceListOptions are the flags of ce conformance list.
type conformanceListOptions struct {
	coverage bool
	missing  bool
	specText string
}

func newConformanceListCommand(stdout io.Writer) *cobra.Command {
	var o conformanceListOptions
	cmd := &cobra.Command{
		Use:   "list [--coverage [--missing]] [--spec TEXT]",
		Short: "List the conformance cases, or how many requirements they cover",
		Long:  conformanceListLong,
		Example: `  ce conformance list
  ce conformance list --coverage
  ce conformance list --coverage --missing --spec 1.0.2`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runConformanceList(&o, stdout)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.coverage, "coverage", false, "print per document and level how many wire-testable requirements have a case")
	f.BoolVar(&o.missing, "missing", false, "--coverage: also list the wire-testable requirements without a case")
	f.BoolVarP(&o.missing, "verbose", "v", false, "same as --missing")
	f.StringVar(&o.specText, "spec", "", "count only the rules of this text: 1.0.2 or main (default: every rule)")
	return cmd
}

func runConformanceList(o *conformanceListOptions, stdout io.Writer) error {
	if o.missing && !o.coverage {
		return usageError(fmt.Errorf("--missing and -v need --coverage"))
	}
	if o.specText != "" && !o.coverage {
		return usageError(fmt.Errorf("--spec needs --coverage"))
	}
	cat, err := spec.Load()
	if err != nil {
		return failure(err)
	}
	cases, err := conformance.Cases(cat)
	if err != nil {
		return failure(err)
	}
	if !o.coverage {
		return failure(writeCaseList(stdout, cat, cases))
	}
	cov, err := conformance.CoverageOf(cat.All(), cases, o.specText)
	if err != nil {
		return usageError(err)
	}
	return failure(writeCoverage(stdout, cov, o.missing))
}

// writeCaseList prints one line per case, then the count.
func writeCaseList(w io.Writer, cat *spec.Catalog, cases []conformance.Case) error {
	// The tabwriter holds every line until Flush, which reports w's
	// error; the writes into it cannot fail on their own.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "CLASS\tROLE\tBINDING\tMODE\tREQUIREMENTS\tNAME")
	for i := range cases {
		c := &cases[i]
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Class(cat), c.Role, c.Binding, c.Mode, strings.Join(c.Requirements, " "), c.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d cases\n", len(cases))
	return err
}

// writeCoverage prints the per-document table, the headline and, with
// missing, the requirements without a case.
func writeCoverage(w io.Writer, cov *conformance.Coverage, missing bool) error {
	text := "every text of the catalog"
	if cov.Spec != "" {
		text = "the " + cov.Spec + " text"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintf(w, "Coverage of %s by %d cases\n\n", text, cov.Cases)
	// The numbers align right; the names are padded to one width so
	// that they read left-aligned.
	width := len("DOC")
	for _, r := range cov.Rows {
		width = max(width, len(r.Doc))
	}
	_, _ = fmt.Fprintf(tw, "%-*s\t%-6s\tREQUIREMENTS\tWIRE\tWITH A CASE\tPERCENT\t\n", width, "DOC", "CLASS")
	for _, r := range cov.Rows {
		_, _ = fmt.Fprintf(tw, "%-*s\t%-6s\t%d\t%d\t%d\t%s\t\n", width, r.Doc, r.Class, r.Requirements, r.Wire, r.Covered, coveragePercent(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	h := cov.Headline
	var b strings.Builder
	fmt.Fprintf(&b, "\nwire-testable MUST requirements of %s with a case: %d of %d (%s)\n",
		strings.Join(conformance.HeadlineDocs(), ", "), h.Covered, h.Wire, coveragePercent(h))
	if missing {
		for _, r := range cov.Rows {
			if len(r.Missing) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\nwithout a case: %s %s (%d)\n", r.Doc, r.Class, len(r.Missing))
			for _, q := range r.Missing {
				fmt.Fprintf(&b, "  %-28s %-11s %s\n", q.ID, q.Level, q.Text)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// percent formats a row's share, "-" when nothing is wire-testable.
func coveragePercent(r conformance.CoverageRow) string {
	if r.Wire == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", r.Percent())
}
