package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/openevents/openevents/spec"
)

// Defaults of Config.
const (
	DefaultTimeout        = 5 * time.Minute
	DefaultRequestTimeout = 10 * time.Second
)

// findingEntry names the Ginkgo report entry that records a SHOULD or MAY
// violation; see the package documentation.
const findingEntry = "finding"

// Config selects what Run tests and how.
type Config struct {
	// Target is the provider's absolute http:// or https:// URL. Required.
	Target string
	// LabelFilter, Focus and Skip select cases as Ginkgo's --label-filter,
	// --focus and --skip do. Labels are the level class (MUST, SHOULD,
	// MAY), the binding (http), the mode (binary, structured, batch,
	// webhook), the role (receiver, echo) and each requirement ID.
	LabelFilter string
	Focus       []string
	Skip        []string
	// Timeout bounds the whole run (DefaultTimeout when zero);
	// RequestTimeout bounds each request (DefaultRequestTimeout when zero).
	Timeout        time.Duration
	RequestTimeout time.Duration
	// Progress receives Ginkgo's own console reporter output; nil
	// discards it. Verbose makes that reporter list every spec.
	Progress io.Writer
	Verbose  bool
	// Client sends the requests; nil means a fresh *http.Client that does
	// not follow redirects.
	Client *http.Client
}

// ErrAlreadyRun is returned by Run when it was called before in the same
// process: Ginkgo keeps its spec tree in package state and exits the
// process on a second RunSpecs, so Run refuses instead.
var ErrAlreadyRun = errors.New("conformance: the suite has already run in this process")

// ran guards the one Ginkgo run a process may make (see ErrAlreadyRun).
var ran atomic.Bool

// ansiEscape matches a terminal colour sequence.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// validate checks cfg and fills its defaults; every problem found here is
// the caller's mistake (a usage error for the CLI).
func (cfg *Config) validate() error {
	u, err := url.Parse(cfg.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("conformance: target %q is not an absolute http:// or https:// URL", cfg.Target)
	}
	if cfg.LabelFilter != "" {
		if _, err := types.ParseLabelFilter(cfg.LabelFilter); err != nil {
			// Ginkgo's errors carry terminal colours and a link; keep
			// the words.
			msg := strings.Join(strings.Fields(ansiEscape.ReplaceAllString(err.Error(), "")), " ")
			msg, _, _ = strings.Cut(msg, " Learn more at:")
			return fmt.Errorf("conformance: label filter %q: %s", cfg.LabelFilter, msg)
		}
	}
	for _, re := range append(append([]string(nil), cfg.Focus...), cfg.Skip...) {
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("conformance: focus or skip expression: %w", err)
		}
	}
	if cfg.Timeout < 0 || cfg.RequestTimeout < 0 {
		return errors.New("conformance: timeouts must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return nil
}

// IsConfigError reports whether err, returned by Run, is a mistake in the
// Config rather than a failure to run.
func IsConfigError(err error) bool {
	var ce *configError
	return errors.As(err, &ce)
}

type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// testingT is the GinkgoTestingT that Run hands to RunSpecs: the verdict
// is read from the report, so it only records that Ginkgo saw a failure.
type testingT struct{ failed bool }

func (x *testingT) Fail() { x.failed = true }

// Run tests the provider at cfg.Target with every embedded case the
// filters select and returns the result. It can be called once per process
// (ErrAlreadyRun). Errors are a bad Config (IsConfigError), a provider
// that cannot be reached at all (checked with one connection first), or a
// suite that could not run; a provider that fails requirements is a
// Result, not an error. Run is not safe for concurrent use with anything else that drives
// Ginkgo, and it sets Ginkgo's console output (formatter.ColorableStdOut)
// to cfg.Progress for the rest of the process.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, &configError{err}
	}
	cat, err := spec.Load()
	if err != nil {
		return nil, err
	}
	cases, err := Cases(cat)
	if err != nil {
		return nil, err
	}
	if err := reachable(ctx, cfg.Target, cfg.RequestTimeout); err != nil {
		return nil, err
	}
	if !ran.CompareAndSwap(false, true) {
		return nil, ErrAlreadyRun
	}

	d := &httpDriver{target: cfg.Target, client: cfg.Client}
	var report types.Report
	var got bool
	ginkgo.Describe("CloudEvents conformance over HTTP", func() {
		for i := range cases {
			defineIt(ctx, cat, &cases[i], d, cfg.RequestTimeout)
		}
	})
	ginkgo.ReportAfterSuite("openevents conformance report", func(r types.Report) {
		report, got = r, true
	})

	suite, rep := ginkgo.GinkgoConfiguration()
	suite.LabelFilter = cfg.LabelFilter
	suite.FocusStrings = cfg.Focus
	suite.SkipStrings = cfg.Skip
	suite.Timeout = cfg.Timeout
	suite.RandomizeAllSpecs = false
	suite.FailFast = false
	rep.NoColor = true
	rep.Succinct = !cfg.Verbose
	rep.Verbose = cfg.Verbose
	formatter.ColorableStdOut = io.Discard
	if cfg.Progress != nil {
		formatter.ColorableStdOut = cfg.Progress
	}
	ginkgo.RunSpecs(&testingT{}, "CloudEvents conformance", suite, rep)
	if !got {
		return nil, errors.New("conformance: Ginkgo produced no report")
	}
	return newResult(cat, cases, cfg.Target, report), nil
}

// reachable connects once to target's host and port, so that a provider
// that is not there is reported as such instead of as a failure of every
// requirement.
func reachable(ctx context.Context, target string, timeout time.Duration) error {
	u, err := url.Parse(target) // validated already
	if err != nil {
		return err
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("conformance: cannot reach the provider at %s: %w", target, err)
	}
	return conn.Close()
}

// defineIt declares the Ginkgo spec of one case.
func defineIt(ctx context.Context, cat *spec.Catalog, c *Case, d *httpDriver, timeout time.Duration) {
	class := c.Class(cat)
	labels := ginkgo.Label(string(class), c.Binding, string(c.Mode), string(c.Role))
	ids := ginkgo.Label(c.Requirements...)
	ginkgo.It(c.Title(), labels, ids, func(sctx ginkgo.SpecContext) {
		rctx, cancel := context.WithTimeout(sctx, timeout)
		defer cancel()
		if ctx.Err() != nil {
			ginkgo.Skip("the run was cancelled: " + context.Cause(ctx).Error())
		}
		resp, err := d.do(rctx, &c.Request)
		if err == nil {
			err = judge(c, resp)
		}
		if errors.Is(err, errNotApplicable) {
			ginkgo.Skip(err.Error())
		}
		if class != ClassMust {
			// A SHOULD or MAY violation is a finding, not a failure:
			// record it and let the spec pass (package documentation).
			if err != nil {
				ginkgo.AddReportEntry(findingEntry, err.Error())
			}
			return
		}
		if err != nil {
			ginkgo.Fail(err.Error())
		}
	}, ginkgo.NodeTimeout(timeout+time.Second))
}
