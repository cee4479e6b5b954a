package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/openevents/openevents/spec"
)

// Profile says which rules a provider is held to: the text of the
// specification, the documented extensions it claims to understand and
// whether it claims to accept 0.3 input. A rule outside the profile is not
// run: its cases are NOT-TESTED with the reason, never FAIL, so that a
// correct provider passes clean whatever it chose not to implement.
type Profile struct {
	// Spec is the text: spec.Profile102 ("1.0.2", the released text and
	// the default when empty) or spec.ProfileMain ("main", 1.0.3-wip).
	Spec string `json:"spec"`
	// Extensions lists the documented extensions the provider claims to
	// understand, by the names of Extensions(); the value rules of the
	// others are not run. Nil claims none.
	Extensions []string `json:"extensions"`
	// Accept03 claims that the provider takes specversion 0.3 input; the
	// 0.3 rules run only then.
	Accept03 bool `json:"accept03"`
}

// extensionDocs maps the names Profile.Extensions takes to the catalog
// documents of the extensions.
var extensionDocs = []struct{ name, doc string }{
	{"disttrace", spec.DocExtTrace},
	{"partitioning", spec.DocExtPartition},
	{"sequence", spec.DocExtSequence},
	{"dataref", spec.DocExtDataref},
	{"expirytime", spec.DocExtExpiry},
	{"recordedtime", spec.DocExtRecorded},
}

// Extensions returns the names of the documented extensions a profile
// can claim, in catalog order.
func Extensions() []string {
	out := make([]string, len(extensionDocs))
	for i, x := range extensionDocs {
		out[i] = x.name
	}
	return out
}

// ParseExtensions reads a comma-separated list of extension names for
// Profile.Extensions: "" or "none" is none, "all" every one.
func ParseExtensions(s string) ([]string, error) {
	switch s = strings.TrimSpace(s); s {
	case "", "none":
		return nil, nil
	case "all":
		return Extensions(), nil
	}
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(Extensions(), name) {
			return nil, fmt.Errorf("unknown extension %q: want a comma-separated list of %s, or all or none", name, strings.Join(Extensions(), ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// validate checks p and fills its default text.
func (p *Profile) validate() error {
	if p.Spec == "" {
		p.Spec = spec.Profile102
	}
	if !slices.Contains(spec.Profiles(), p.Spec) {
		return fmt.Errorf("conformance: unknown spec profile %q: want %s", p.Spec, strings.Join(spec.Profiles(), " or "))
	}
	var errs []error
	for _, x := range p.Extensions {
		if !slices.Contains(Extensions(), x) {
			errs = append(errs, fmt.Errorf("conformance: unknown extension %q: want one of %s", x, strings.Join(Extensions(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// String describes the profile in one line, for report headers.
func (p Profile) String() string {
	var b strings.Builder
	b.WriteString("spec ")
	b.WriteString(p.Spec)
	b.WriteString(", extensions claimed: ")
	if len(p.Extensions) == 0 {
		b.WriteString("none")
	} else {
		b.WriteString(strings.Join(p.Extensions, ", "))
	}
	if p.Accept03 {
		b.WriteString(", accepts 0.3 input")
	}
	return b.String()
}

// outside returns why requirement r is outside the profile, or "" when the
// provider is held to it.
func (p Profile) outside(r spec.Requirement) string {
	if !r.In(p.Spec) {
		if r.Version == spec.Version103WIP {
			return fmt.Sprintf("the rule exists only on the main branch; not part of the %s profile (--spec main runs it)", p.Spec)
		}
		return fmt.Sprintf("the rule was removed on the main branch; not part of the %s profile (--spec 1.0.2 runs it)", p.Spec)
	}
	if r.Doc == spec.DocV03 && !p.Accept03 {
		return "the rule applies to providers accepting 0.3 input; not claimed (--accept v0.3)"
	}
	for _, x := range extensionDocs {
		if x.doc == r.Doc && !slices.Contains(p.Extensions, x.name) {
			return fmt.Sprintf("extension not claimed (%s; --extensions %s)", x.name, x.name)
		}
	}
	return ""
}

// sameScope reports whether a and b are in or out of every profile
// together: same text, same removal, and the same extension or 0.3 claim
// when either needs one. The requirements of one case share a scope, so
// that a profile runs a case whole or not at all.
func sameScope(a, b spec.Requirement) bool {
	if a.Version != b.Version || a.Removed != b.Removed {
		return false
	}
	gated := func(doc string) bool {
		return doc == spec.DocV03 || strings.HasPrefix(doc, "ext-")
	}
	if gated(a.Doc) || gated(b.Doc) {
		return a.Doc == b.Doc
	}
	return true
}
