package conformance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/extensions/globals"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/openevents/openevents/spec"
)

// Defaults of Config.
const (
	DefaultTimeout        = 5 * time.Minute
	DefaultRequestTimeout = 10 * time.Second
	DefaultConcurrency    = 4
)

// findingEntry names the Ginkgo report entry that records a SHOULD or MAY
// violation; see the package documentation.
const findingEntry = "finding"

// Config selects what Run tests and how. The zero value of every field
// but the target is a usable default.
type Config struct {
	// HTTP is the provider's HTTP endpoint, for the receiver and echo
	// cases. Sender is a provider that sends, for the sender cases. At
	// least one target is required; the cases of a binding or role
	// without a target are NOT-TESTED.
	HTTP   *HTTPTarget
	Sender *SenderTarget
	// MQTT is a relay reached through an MQTT broker, for the MQTT relay
	// cases.
	MQTT *MQTTTarget
	// GRPC is a provider of openevents.v1.EventService or the de-facto
	// io.cloudevents.v1.CloudEventService, for the gRPC cases.
	GRPC *GRPCTarget
	// HTTPRelay is a relay over HTTP (a broker, a channel, a forwarding
	// function) that passes what the suite sends in on to a sink the
	// suite hosts, for the HTTP relay cases (driver_relay_http.go).
	HTTPRelay *HTTPRelayTarget
	// Profile is what the provider is held to (default: the 1.0.2 text,
	// no extension claimed, no 0.3 input).
	Profile Profile
	// LabelFilter, Focus and Skip select cases as Ginkgo's --label-filter,
	// --focus and --skip do. Labels are the level class (MUST, SHOULD,
	// MAY), the binding (http), the mode (binary, structured, batch,
	// webhook), the role (receiver, echo) and each requirement ID. A
	// selection that leaves no case is a configuration error.
	LabelFilter string
	Focus       []string
	Skip        []string
	// Timeout bounds the whole run (DefaultTimeout when zero);
	// RequestTimeout bounds each exchange with the provider
	// (DefaultRequestTimeout when zero).
	Timeout        time.Duration
	RequestTimeout time.Duration
	// Concurrency is how many cases talk to the provider at once
	// (DefaultConcurrency when zero; 1 runs them one by one, in order).
	Concurrency int
	// Progress receives Ginkgo's own console reporter output; nil
	// discards it. Verbose makes that reporter list every spec.
	Progress io.Writer
	Verbose  bool
}

// HTTPTarget is a provider's HTTP endpoint and how to reach it.
type HTTPTarget struct {
	// URL is the absolute http:// or https:// URL cases are sent to.
	URL string
	// Header is added to every request, e.g. an Authorization token. It
	// must not set what the cases themselves control: ce- headers,
	// Content-Type, Content-Length, Host.
	Header http.Header
	// TLS configures https:// connections (nil: the system's roots, no
	// client certificate). Ignored when Client is set.
	TLS *tls.Config
	// Client sends the requests; nil means a fresh *http.Client that
	// does not follow redirects and uses TLS.
	Client *http.Client
}

// runMu serialises runs: Ginkgo keeps its spec tree in package state.
var runMu sync.Mutex

// ansiEscape matches a terminal colour sequence.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// validate checks cfg and fills its defaults; every problem found here is
// the caller's mistake (a usage error for the CLI).
func (cfg *Config) validate() error {
	if cfg.HTTP == nil && cfg.Sender == nil && cfg.MQTT == nil && cfg.GRPC == nil && cfg.HTTPRelay == nil {
		return errors.New("conformance: no target: set Config.HTTP, Config.HTTPRelay, Config.Sender, Config.MQTT or Config.GRPC")
	}
	if cfg.HTTPRelay != nil {
		if err := cfg.HTTPRelay.validate(); err != nil {
			return err
		}
	}
	if cfg.GRPC != nil {
		if err := cfg.GRPC.validate(); err != nil {
			return err
		}
	}
	if cfg.MQTT != nil {
		if err := cfg.MQTT.validate(); err != nil {
			return err
		}
	}
	if err := cfg.validateSenderBinding(); err != nil {
		return err
	}
	if err := cfg.validateGRPCSender(); err != nil {
		return err
	}
	if cfg.HTTP != nil {
		if err := cfg.HTTP.validate(); err != nil {
			return err
		}
	}
	if cfg.Sender != nil {
		if err := cfg.Sender.validate(); err != nil {
			return err
		}
	}
	if err := cfg.Profile.validate(); err != nil {
		return err
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
	if cfg.Timeout < 0 || cfg.RequestTimeout < 0 || cfg.Concurrency < 0 {
		return errors.New("conformance: timeouts and concurrency must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	return nil
}

func (t *HTTPTarget) validate() error {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("conformance: target %q is not an absolute http:// or https:// URL", t.URL)
	}
	for name := range t.Header {
		switch c := http.CanonicalHeaderKey(name); {
		case strings.HasPrefix(c, "Ce-"), c == "Content-Type", c == "Content-Length", c == "Host":
			return fmt.Errorf("conformance: extra header %s: the cases set it themselves", name)
		}
	}
	return nil
}

// target describes what the run tested, for reports.
func (cfg *Config) target() string {
	var parts []string
	if cfg.HTTP != nil {
		parts = append(parts, cfg.HTTP.URL)
	}
	if cfg.MQTT != nil {
		parts = append(parts, cfg.MQTT.String())
	}
	if cfg.GRPC != nil {
		parts = append(parts, cfg.GRPC.describe())
	}
	if cfg.HTTPRelay != nil {
		parts = append(parts, cfg.HTTPRelay.describe())
	}
	if s := cfg.Sender; s != nil && len(s.Command) > 0 {
		parts = append(parts, "sender: "+strings.Join(s.Command, " "))
	} else if s != nil {
		parts = append(parts, "sender: an in-process function")
	}
	return strings.Join(parts, "; ")
}

// IsConfigError reports whether err, returned by Run, is a mistake in the
// Config (or a selection that leaves no case) rather than a failure to
// run.
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

// outcome is what running one case found.
type outcome struct {
	// skip, when set, is why the case did not run (outside the profile,
	// no reply from the provider, the run's deadline).
	skip string
	// err is nil when the provider conformed; an errNotApplicable error
	// when the case could not be judged; otherwise the violation.
	err     error
	seconds float64
}

// Run tests the provider of cfg with every embedded case the profile and
// the filters select and returns the result. Errors are a bad Config or an
// empty selection (IsConfigError), a provider that cannot be reached at
// all (checked with one connection first), or a suite that could not run;
// a provider that fails requirements is a Result, not an error.
//
// Run may be called any number of times, but runs are serialised: Ginkgo
// keeps its spec tree in package state, which Run resets each time. Each
// run sets Ginkgo's console output (formatter.ColorableStdOut) to
// cfg.Progress and restores it after, so Run must not overlap with other
// Ginkgo use in the process.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := CheckTestFlags(); err != nil {
		return nil, &configError{err}
	}
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
	drivers := map[string]driver{}
	if cfg.HTTP != nil {
		drivers[BindingHTTP] = newHTTPDriver(cfg.HTTP)
	}
	if cfg.MQTT != nil {
		md := newMQTTDriver(cfg.MQTT, cfg.RequestTimeout)
		defer md.close()
		drivers[BindingMQTT] = md
	}
	if cfg.GRPC != nil {
		gd, err := newGRPCDriver(cfg.GRPC, cfg.RequestTimeout)
		if err != nil {
			return nil, &configError{err}
		}
		defer gd.close()
		drivers[BindingGRPC] = gd
	}
	if cfg.HTTPRelay != nil {
		direct, _ := drivers[BindingHTTP].(*httpDriver)
		rd, err := newHTTPRelayDriver(direct, cfg.HTTPRelay, cfg.RequestTimeout)
		if err != nil {
			return nil, err
		}
		defer rd.close()
		drivers[BindingHTTP] = rd
	}
	for _, d := range drivers {
		if err := d.reachable(ctx, cfg.RequestTimeout); err != nil {
			return nil, err
		}
	}

	runMu.Lock()
	defer runMu.Unlock()
	// The first pass is a Ginkgo dry run: it tells which cases the
	// filters select, exactly as Ginkgo reads them, before anything is
	// sent, so that the selected cases can run concurrently.
	dry, err := ginkgoRun(cfg, cat, cases, nil)
	if err != nil {
		return nil, err
	}
	selected := make([]bool, len(cases))
	n := 0
	for i := range cases {
		if sr, ok := dry[cases[i].Title()]; ok && sr.State == types.SpecStatePassed {
			selected[i] = true
			n++
		}
	}
	if n == 0 {
		return nil, &configError{errors.New("conformance: no case matches the label filter, focus and skip given")}
	}

	started := time.Now()
	rctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	outcomes, notes, err := execute(rctx, cfg, cat, cases, selected, drivers)
	if err != nil {
		return nil, err
	}
	specs, err := ginkgoRun(cfg, cat, cases, outcomes)
	if err != nil {
		return nil, err
	}
	res := newResult(cat, cases, cfg, specs, outcomes)
	res.Started = started
	res.Seconds = time.Since(started).Seconds()
	res.Notes = notes
	return res, nil
}

// execute runs the selected cases with cfg.Concurrency workers and
// returns an outcome per case (unselected ones stay zero) and the run's
// notes; an error means a sender that could not run at all.
func execute(ctx context.Context, cfg Config, cat *spec.Catalog, cases []Case, selected []bool, drivers map[string]driver) ([]outcome, []string, error) {
	outcomes := make([]outcome, len(cases))
	var notes []string
	var todo, mqttSenders, grpcSenders []int
	echoes := map[string]bool{}
	senders := map[Mode][]int{}
	var answered []int // sender cases with an answer of their own (sender_webhook.go)
	for i := range cases {
		c := &cases[i]
		switch {
		case !selected[i]:
			continue
		case c.outside(cat, cfg.Profile) != "":
			outcomes[i].skip = c.outside(cat, cfg.Profile)
		case c.Role == RoleSender && cfg.Sender == nil:
			outcomes[i].skip = "not run: no sender to test (the sender role needs a sender command)"
		case c.Role == RoleSender && c.Binding != cfg.testedSenderBinding():
			outcomes[i].skip = fmt.Sprintf("not run: the sender is tested over %s", strings.ToUpper(cfg.testedSenderBinding()))
		case c.Role == RoleSender && c.Binding == BindingMQTT:
			mqttSenders = append(mqttSenders, i)
		case c.Role == RoleSender && c.Binding == BindingGRPC:
			grpcSenders = append(grpcSenders, i)
		case c.Role == RoleSender && c.Answer != nil:
			answered = append(answered, i)
		case c.Role == RoleSender:
			senders[c.Mode] = append(senders[c.Mode], i)
		case drivers[c.Binding] == nil:
			outcomes[i].skip = fmt.Sprintf("not run: no %s target given", strings.ToUpper(c.Binding))
		case plays(drivers[c.Binding], c.Role) != "":
			outcomes[i].skip = plays(drivers[c.Binding], c.Role)
		default:
			todo = append(todo, i)
			echoes[c.Binding] = echoes[c.Binding] || c.Role == RoleEcho
		}
	}
	if len(mqttSenders) > 0 {
		if err := runMQTTSenderCases(ctx, cfg, drivers[BindingMQTT], cases, mqttSenders, outcomes); err != nil {
			return nil, nil, err
		}
	}
	if len(grpcSenders) > 0 {
		if err := runGRPCSenderCases(ctx, cfg, cases, grpcSenders, outcomes); err != nil {
			return nil, nil, err
		}
	}
	for _, mode := range []Mode{ModeBinary, ModeStructured} {
		if len(senders[mode]) > 0 {
			if err := runSenderCases(ctx, cfg, cases, senders[mode], mode, outcomes); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, i := range answered {
		outcomes[i] = runAnsweredSenderCase(ctx, cfg, &cases[i])
	}
	for _, b := range []string{BindingHTTP, BindingMQTT} {
		if !echoes[b] {
			continue
		}
		// An echo case needs a provider that answers events with
		// events; one that never does would fail every echo case for
		// one reason nobody can act on case by case.
		pctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
		why, added := drivers[b].replies(pctx)
		cancel()
		if len(added) > 0 {
			notes = append(notes, fmt.Sprintf("the provider adds attributes of its own to every event it echoes: %s (seen on a plain event that had none of them); the echo cases disregard them, except those about their absence", strings.Join(added, ", ")))
		}
		if why != "" {
			notes = append(notes, "echo cases not run: "+why)
			for _, i := range todo {
				if cases[i].Role == RoleEcho && cases[i].Binding == b {
					outcomes[i].skip = "not run: the provider does not reply to events (see the run's notes)"
				}
			}
		}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(cfg.Concurrency, max(len(todo), 1)) {
		wg.Go(func() {
			for i := range jobs {
				o := &outcomes[i]
				if ctx.Err() != nil {
					o.skip = "not run: the run's deadline passed first (--timeout)"
					continue
				}
				cctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
				t := time.Now()
				o.err = drivers[cases[i].Binding].check(cctx, &cases[i])
				o.seconds = time.Since(t).Seconds()
				cancel()
			}
		})
	}
	for _, i := range todo {
		if outcomes[i].skip == "" {
			jobs <- i
		}
	}
	close(jobs)
	wg.Wait()
	presume(cases, selected, outcomes)
	notes = append(notes, driverNotes(drivers, echoes)...)
	if ctx.Err() != nil {
		notes = append(notes, "the run's deadline passed before every case ran; those cases are NOT-TESTED (--timeout)")
	}
	return outcomes, notes, nil
}

// presume makes every case whose After case did not pass NOT-TESTED.
func presume(cases []Case, selected []bool, outcomes []outcome) {
	byName := make(map[string]int, len(cases))
	for i := range cases {
		byName[cases[i].Name] = i
	}
	for i := range cases {
		a := cases[i].After
		if a == "" || !selected[i] || outcomes[i].skip != "" {
			continue
		}
		j := byName[a]
		switch o := outcomes[j]; {
		case !selected[j]:
			outcomes[i] = outcome{skip: fmt.Sprintf("not judged: it presumes the case %q, which was not selected", a)}
		case o.skip != "" || o.err != nil:
			outcomes[i] = outcome{skip: fmt.Sprintf("not judged: it presumes the case %q, which did not pass", a)}
		}
	}
}

// runSenderCases asks the sender for the events of the sender cases idx,
// in one mode, and judges what arrived. A sender that fails as a whole (a
// command that cannot start or exits non-zero) is an error: its cases
// cannot say anything about it.
func runSenderCases(ctx context.Context, cfg Config, cases []Case, idx []int, mode Mode, outcomes []outcome) error {
	cs := make([]*Case, len(idx))
	for j, i := range idx {
		cs[j] = &cases[i]
	}
	start := time.Now()
	msgs, err := senderRun(ctx, cfg.Sender, mode, cs, cfg.RequestTimeout)
	per := time.Since(start).Seconds() / float64(len(idx))
	if err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	for j, i := range idx {
		outcomes[i].err = judgeSent(cs[j], msgs[j])
		outcomes[i].seconds = per
	}
	return nil
}

// ginkgoRun builds the spec tree, one It per case, and runs it: as a dry
// run when outcomes is nil (to learn the selection), otherwise reporting
// each case's outcome. It returns the It reports by title.
func ginkgoRun(cfg Config, cat *spec.Catalog, cases []Case, outcomes []outcome) (map[string]types.SpecReport, error) {
	globals.Reset()
	var report types.Report
	var got bool
	for _, b := range []string{BindingHTTP, BindingMQTT, BindingGRPC} {
		ginkgo.Describe("CloudEvents conformance over "+strings.ToUpper(b), func() {
			for i := range cases {
				if cases[i].Binding == b {
					defineIt(cat, &cases[i], outcomes, i)
				}
			}
		})
	}
	ginkgo.ReportAfterSuite("openevents conformance report", func(r types.Report) {
		report, got = r, true
	})

	suite, rep := ginkgo.GinkgoConfiguration()
	suite.LabelFilter = cfg.LabelFilter
	suite.FocusStrings = cfg.Focus
	suite.SkipStrings = cfg.Skip
	suite.Timeout = cfg.Timeout + time.Minute // the cases ran already; this only bounds the replay
	suite.RandomizeAllSpecs = false
	suite.FailFast = false
	suite.DryRun = outcomes == nil
	rep.NoColor = true
	rep.Succinct = !cfg.Verbose
	rep.Verbose = cfg.Verbose
	saved := formatter.ColorableStdOut
	defer func() { formatter.ColorableStdOut = saved }()
	formatter.ColorableStdOut = io.Discard
	if cfg.Progress != nil && outcomes != nil {
		formatter.ColorableStdOut = cfg.Progress
	}
	ginkgo.RunSpecs(&testingT{}, "CloudEvents conformance", suite, rep)
	if !got {
		return nil, errors.New("conformance: Ginkgo produced no report")
	}
	specs := make(map[string]types.SpecReport, len(report.SpecReports))
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType == types.NodeTypeIt {
			specs[sr.LeafNodeText] = sr
		}
	}
	return specs, nil
}

// defineIt declares the Ginkgo spec of one case, which reports the
// case's outcome.
func defineIt(cat *spec.Catalog, c *Case, outcomes []outcome, i int) {
	class := c.Class(cat)
	labels := ginkgo.Label(string(class), c.Binding, string(c.Mode), string(c.Role))
	ids := ginkgo.Label(c.Requirements...)
	ginkgo.It(c.Title(), labels, ids, func() {
		o := outcomes[i]
		switch {
		case o.skip != "":
			ginkgo.Skip(o.skip)
		case errors.Is(o.err, errNotApplicable):
			ginkgo.Skip(o.err.Error())
		case o.err == nil:
		case class != ClassMust:
			// A SHOULD or MAY violation is a finding, not a failure:
			// record it and let the spec pass (package documentation).
			ginkgo.AddReportEntry(findingEntry, o.err.Error())
		default:
			ginkgo.Fail(o.err.Error())
		}
	})
}
