package conformancetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/conformance"
)

// Target is the provider under test: the targets of conformance.Config. At
// least one must be set; the cases of a binding or role without a target
// are NOT-TESTED (skipped subtests). WithConfig reaches targets this
// struct does not name.
type Target struct {
	// HTTP is the provider's HTTP endpoint (receiver and echo cases).
	HTTP *conformance.HTTPTarget
	// Sender is a provider that sends the events the suite asks for.
	Sender *conformance.SenderTarget
	// MQTT is a provider reached through an MQTT broker.
	MQTT *conformance.MQTTTarget
	// GRPC is a provider of openevents.v1.EventService or
	// io.cloudevents.v1.CloudEventService.
	GRPC *conformance.GRPCTarget
}

// HTTP returns the Target of an HTTP provider at url, e.g. an
// httptest.Server's URL.
func HTTP(url string) Target {
	return Target{HTTP: &conformance.HTTPTarget{URL: url}}
}

// Option changes how Run runs the suite. The zero configuration is
// conformance.Config's: the 1.0.2 profile with no extension claimed, every
// case, conformance.DefaultTimeout for the run and
// conformance.DefaultRequestTimeout per exchange, DefaultConcurrency
// cases at once.
type Option interface {
	apply(*conformance.Config)
}

type optionFunc func(*conformance.Config)

func (f optionFunc) apply(c *conformance.Config) { f(c) }

// WithProfile holds the provider to p: the specification text, the
// extensions it claims, 0.3 input (conformance.Profile).
func WithProfile(p conformance.Profile) Option {
	return optionFunc(func(c *conformance.Config) { c.Profile = p })
}

// WithLabelFilter runs only the cases whose labels match the Ginkgo label
// expression (conformance.Config.LabelFilter), e.g. "MUST && binary".
func WithLabelFilter(expr string) Option {
	return optionFunc(func(c *conformance.Config) { c.LabelFilter = expr })
}

// WithFocus runs only the cases whose title (requirement IDs, then
// name) matches one of the regular expressions; WithSkip leaves out those
// matching one. Both add to what earlier options gave.
func WithFocus(re ...string) Option {
	return optionFunc(func(c *conformance.Config) { c.Focus = append(c.Focus, re...) })
}

// WithSkip leaves out the cases whose title matches one of the regular
// expressions (see WithFocus).
func WithSkip(re ...string) Option {
	return optionFunc(func(c *conformance.Config) { c.Skip = append(c.Skip, re...) })
}

// WithTimeout bounds the whole run (default conformance.DefaultTimeout)
// and each exchange with the provider (default
// conformance.DefaultRequestTimeout); zero keeps a default.
func WithTimeout(run, request time.Duration) Option {
	return optionFunc(func(c *conformance.Config) { c.Timeout, c.RequestTimeout = run, request })
}

// WithConcurrency sets how many cases talk to the provider at once
// (default conformance.DefaultConcurrency; 1 runs them in order).
func WithConcurrency(n int) Option {
	return optionFunc(func(c *conformance.Config) { c.Concurrency = n })
}

// WithConfig lets f change the conformance.Config last, after the target
// and the other options are applied: for a setting, or a target, that
// this package has no option for.
func WithConfig(f func(*conformance.Config)) Option {
	return optionFunc(f)
}

// Run runs the conformance suite against target and reports each
// requirement it checked as a subtest of t named by the requirement's ID:
// a failed MUST requirement fails its subtest, a failed SHOULD or MAY one
// is logged as a finding, a NOT-TESTED one is skipped with the reason
// (see the package documentation). It returns the run's result, for
// reports (Result.WriteJUnit, WriteHTML, WriteJSON); the result is owned
// by the caller.
//
// A configuration the suite refuses, a target it cannot reach or a run
// that cannot start ends t with t.Fatal. Run runs under t's context, so
// the run stops when the test ends. It waits for any other run in the
// process to finish first (see the package documentation on parallel
// tests).
func Run(t *testing.T, target Target, opts ...Option) *conformance.Result {
	t.Helper()
	if err := conformance.CheckTestFlags(); err != nil {
		t.Fatalf("conformancetest: %v", err)
		return nil
	}
	cfg := conformance.Config{HTTP: target.HTTP, Sender: target.Sender, MQTT: target.MQTT, GRPC: target.GRPC}
	for _, o := range opts {
		o.apply(&cfg)
	}
	res, err := conformance.Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("conformancetest: %v", err)
		return nil
	}
	t.Logf("conformance of %s: %d cases; profile: %s", res.Target, len(res.Cases), res.Profile)
	for _, n := range res.Notes {
		t.Logf("note: %s", n)
	}
	for _, rr := range res.Requirements {
		t.Run(rr.ID, func(t *testing.T) { report(t, rr) })
	}
	return res
}

// report turns one requirement's verdict into its subtest's outcome.
func report(t *testing.T, rr conformance.RequirementResult) {
	t.Helper()
	switch rr.Verdict {
	case conformance.Pass:
		t.Logf("PASS %s: %s (cases: %s)", rr.Level, rr.Text, strings.Join(rr.Cases, "; "))
	case conformance.Fail:
		msg := fmt.Sprintf("%s %s: %s\n%s\nrule: %s", rr.Level, rr.ID, rr.Text, rr.Message, rr.Section)
		if rr.Class == conformance.ClassMust {
			t.Error("FAIL " + msg)
			return
		}
		// A SHOULD or MAY violation does not fail the test, as it does
		// not fail a run of the suite.
		t.Log("finding (not a failure) " + msg)
	default:
		t.Skipf("NOT-TESTED %s: %s", rr.Level, rr.Message)
	}
}
