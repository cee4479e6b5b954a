package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/conformance"
)

const conformanceLong = `Conformance tests a CloudEvents provider over the wire against the
requirements of the specification, one requirement at a time.`

const conformanceRunLong = `Run tests a CloudEvents HTTP provider over the wire, case by case, and
reports a verdict for each requirement of the catalog (spec/) it checks:
PASS, FAIL or NOT-TESTED, with the requirement's level (MUST, SHOULD, MAY).

With --http URL it tests the provider at URL; without it, it starts the
embedded reference provider (OpenEvents' HTTP receiver with an echo reply on
127.0.0.1, a free port) and tests that.

Cases play two roles. "receiver" cases send valid events in binary,
structured and batched mode (expecting 2xx) and malformed or invalid ones
(expecting 400, or 415 for an unknown event format). "echo" cases expect the
provider to answer each event with a reply event equal to it, as
"ce listen --http ADDR --reply" does, and compare the reply with what was
sent. To test a provider that only receives, leave the echo cases out:
--label-filter '!echo'.

Selecting cases (Ginkgo's filters): each case is labelled with its level
class (MUST, SHOULD, MAY), binding (http), mode (binary, structured, batch,
webhook), role (receiver, echo) and requirement IDs, and its name starts
with its IDs, so
  --label-filter 'MUST && binary'    only the binary-mode MUST cases
  --focus 'HTTP-HEADER-VALUE'        cases whose name matches the regexp
  --skip 'batch'                     all but those
(--focus and --skip may be repeated).

Reports: a per-requirement summary on standard output always; --json FILE
and --html FILE write the per-requirement and per-case results (the HTML page
is self-contained); --junit FILE writes JUnit XML for CI systems.

Verdict: only MUST failures fail the run. A SHOULD or MAY violation is a
finding: FAIL in the summary and reports, but a passing test in the JUnit
file, and the exit status stays 0.

Exit status: 0 when no MUST requirement failed, 1 when one did (or a report
could not be written), 2 for a usage error.`

// conformanceOptions are the flags of ce conformance run.
type conformanceOptions struct {
	httpURL     string
	junit       string
	jsonFile    string
	htmlFile    string
	labelFilter string
	focus       []string
	skip        []string
	timeout     time.Duration
	verbose     bool
}

func newConformanceCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Test a CloudEvents provider against the specification",
		Long:  conformanceLong,
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newConformanceRunCommand(stdout, stderr))
	return cmd
}

func newConformanceRunCommand(stdout, stderr io.Writer) *cobra.Command {
	var o conformanceOptions
	cmd := &cobra.Command{
		Use:   "run [--http URL] [flags]",
		Short: "Run the conformance suite against an HTTP provider (default: the embedded reference provider)",
		Long:  conformanceRunLong,
		Example: `  ce conformance run
  ce conformance run --http http://127.0.0.1:8080/ --html report.html
  ce conformance run --http https://events.example.com/hook --label-filter '!echo' --junit junit.xml
  ce conformance run --label-filter MUST --focus 'HTTP-HEADER-VALUE-1[5-7]'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConformance(cmd, &o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.httpURL, "http", "", "URL of the HTTP provider to test (default: start the embedded reference provider)")
	f.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	f.StringVar(&o.jsonFile, "json", "", "write the per-requirement results as JSON to this file")
	f.StringVar(&o.htmlFile, "html", "", "write a self-contained HTML report to this file")
	f.StringVar(&o.labelFilter, "label-filter", "", "run only cases whose labels match this Ginkgo label expression")
	f.StringArrayVar(&o.focus, "focus", nil, "run only cases whose name matches this regular expression (repeatable)")
	f.StringArrayVar(&o.skip, "skip", nil, "skip cases whose name matches this regular expression (repeatable)")
	f.DurationVar(&o.timeout, "timeout", conformance.DefaultTimeout, "bound on the whole run")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print Ginkgo's progress, spec by spec, to standard error")
	return cmd
}

func runConformance(cmd *cobra.Command, o *conformanceOptions, stdout, stderr io.Writer) error {
	if o.timeout <= 0 {
		return usageError(errors.New("--timeout must be positive"))
	}
	cfg := conformance.Config{
		Target:      o.httpURL,
		LabelFilter: o.labelFilter,
		Focus:       o.focus,
		Skip:        o.skip,
		Timeout:     o.timeout,
		Verbose:     o.verbose,
	}
	if o.verbose {
		cfg.Progress = stderr
	}
	if cfg.Target == "" {
		ref, err := conformance.StartReference()
		if err != nil {
			return failure(fmt.Errorf("starting the reference provider: %w", err))
		}
		defer func() { _ = ref.Close() }()
		cfg.Target = ref.URL
		_, _ = fmt.Fprintf(stderr, "testing the embedded reference provider at %s\n", ref.URL)
	}
	res, err := conformance.Run(cmd.Context(), cfg)
	if err != nil {
		if conformance.IsConfigError(err) {
			return usageError(err)
		}
		return failure(err)
	}
	if err := res.WriteConsole(stdout); err != nil {
		return failure(err)
	}
	if err := writeReports(res, o); err != nil {
		return failure(err)
	}
	if !res.Passed {
		return &exitError{code: exitFailure, err: errQuiet}
	}
	return nil
}

// writeReports writes the report files the flags ask for.
func writeReports(res *conformance.Result, o *conformanceOptions) error {
	if o.junit != "" {
		if err := res.WriteJUnit(o.junit); err != nil {
			return fmt.Errorf("writing the JUnit report: %w", err)
		}
	}
	for _, r := range []struct {
		path  string
		write func(io.Writer) error
	}{{o.jsonFile, res.WriteJSON}, {o.htmlFile, res.WriteHTML}} {
		if r.path == "" {
			continue
		}
		f, err := os.Create(r.path)
		if err != nil {
			return err
		}
		err = r.write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", r.path, err)
		}
	}
	return nil
}
