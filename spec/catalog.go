package spec

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed catalog/*.json
var embedded embed.FS

// catalogGlob selects the catalog files inside the embedded file system.
const catalogGlob = "catalog/*.json"

// Level is the RFC 2119 keyword of a requirement, normalised: SHALL is
// stored as MUST and SHALL NOT as MUST NOT.
type Level string

// The levels a catalog entry may carry.
const (
	LevelMust        Level = "MUST"
	LevelMustNot     Level = "MUST NOT"
	LevelRequired    Level = "REQUIRED"
	LevelShould      Level = "SHOULD"
	LevelShouldNot   Level = "SHOULD NOT"
	LevelRecommended Level = "RECOMMENDED"
	LevelMay         Level = "MAY"
	LevelOptional    Level = "OPTIONAL"
)

// Valid reports whether l is one of the eight levels a catalog entry may
// carry. SHALL and SHALL NOT are not valid here: the catalog stores them as
// MUST and MUST NOT.
func (l Level) Valid() bool {
	switch l {
	case LevelMust, LevelMustNot, LevelRequired, LevelShould, LevelShouldNot,
		LevelRecommended, LevelMay, LevelOptional:
		return true
	}
	return false
}

// IsMust reports whether l is an absolute requirement or prohibition
// (MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT): breaking it makes an
// implementation non-conformant.
func (l Level) IsMust() bool {
	switch l {
	case LevelMust, LevelMustNot, LevelRequired, "SHALL", "SHALL NOT":
		return true
	}
	return false
}

// Normative is a synonym of IsMust, for conformance code that separates
// hard failures from warnings.
func (l Level) Normative() bool { return l.IsMust() }

// IsShould reports whether l is a recommendation (SHOULD, SHOULD NOT,
// RECOMMENDED): breaking it deserves a warning, not a failure.
func (l Level) IsShould() bool {
	switch l {
	case LevelShould, LevelShouldNot, LevelRecommended:
		return true
	}
	return false
}

// IsMay reports whether l is a permission (MAY, OPTIONAL).
func (l Level) IsMay() bool { return l == LevelMay || l == LevelOptional }

// Role is a party a requirement applies to. A sender is a producer and a
// receiver is a consumer.
type Role string

// The roles of the CloudEvents specification.
const (
	RoleProducer     Role = "producer"
	RoleConsumer     Role = "consumer"
	RoleIntermediary Role = "intermediary"
)

// Valid reports whether r is one of the three known roles.
func (r Role) Valid() bool {
	return r == RoleProducer || r == RoleConsumer || r == RoleIntermediary
}

// Check says how a requirement can be verified.
type Check string

// The ways to verify a requirement.
const (
	// CheckWire: a black-box test over the wire can verify it.
	CheckWire Check = "wire"
	// CheckInspect: only inspecting an implementation or its output
	// offline can verify it.
	CheckInspect Check = "inspect"
	// CheckNone: not testable, for example advice to specification authors.
	CheckNone Check = "none"
)

// Valid reports whether c is one of the three known check kinds.
func (c Check) Valid() bool {
	return c == CheckWire || c == CheckInspect || c == CheckNone
}

// The documents a requirement can come from (the Doc field). The
// constants are untyped so that they can be passed to ByDoc directly.
const (
	DocCore         = "core"          // cloudevents/spec.md
	DocJSON         = "json"          // cloudevents/formats/json-format.md
	DocProtobuf     = "protobuf"      // cloudevents/formats/protobuf-format.md
	DocHTTP         = "http"          // cloudevents/bindings/http-protocol-binding.md
	DocWebhook      = "webhook"       // cloudevents/http-webhook.md
	DocMQTT         = "mqtt"          // cloudevents/bindings/mqtt-protocol-binding.md
	DocExtTrace     = "ext-disttrace" // cloudevents/extensions/distributed-tracing.md
	DocExtPartition = "ext-partition" // cloudevents/extensions/partitioning.md
	DocExtSequence  = "ext-sequence"  // cloudevents/extensions/sequence.md
	DocExtDataref   = "ext-dataref"   // cloudevents/extensions/dataref.md
	DocExtExpiry    = "ext-expiry"    // cloudevents/extensions/expirytime.md (main only)
	DocExtRecorded  = "ext-recorded"  // cloudevents/extensions/recordedtime.md (main only)
	DocV03          = "v03"           // spec.md, json-format.md, http-transport-binding.md at v0.3
	// DocSubscriptions is the filter part of the Subscriptions API
	// (subscriptions/spec.md on main, version 0.1-wip), a document apart
	// from the CloudEvents 1.0 texts with a version of its own.
	DocSubscriptions = "subscriptions"
	// DocGRPC is OpenEvents' own gRPC binding (spec/grpc-binding.md),
	// version 1: CloudEvents defines no gRPC binding, so its rules bind
	// only a provider that claims this one.
	DocGRPC = "grpc"
)

// The specification versions an entry can be taken from (the Version field).
const (
	Version102    = "1.0.2"     // tag ce@v1.0.2
	Version103WIP = "1.0.3-wip" // the main branch
	Version03     = "0.3"       // tag v0.3
	// VersionSubscriptions is the version of the Subscriptions API
	// document (DocSubscriptions), the only version its entries carry.
	VersionSubscriptions = "0.1-wip" // subscriptions/spec.md on main
	// VersionGRPC is the version of OpenEvents' gRPC binding (DocGRPC),
	// the only version its entries carry.
	VersionGRPC = "1" // spec/grpc-binding.md
)

// docInfo describes one document: the ID prefix of its entries and the
// catalog file that holds them. The slice order is the canonical order
// returned by Docs.
var docInfo = []struct{ doc, prefix, file string }{
	{DocCore, "CORE-", "core.json"},
	{DocJSON, "JSON-", "json.json"},
	{DocProtobuf, "PROTO-", "protobuf.json"},
	{DocHTTP, "HTTP-", "http.json"},
	{DocWebhook, "WEBHOOK-", "webhook.json"},
	{DocMQTT, "MQTT-", "mqtt.json"},
	{DocGRPC, "GRPC-", "grpc.json"},
	{DocExtTrace, "EXT-DISTTRACE-", "extensions.json"},
	{DocExtPartition, "EXT-PARTITION-", "extensions.json"},
	{DocExtSequence, "EXT-SEQUENCE-", "extensions.json"},
	{DocExtDataref, "EXT-DATAREF-", "extensions.json"},
	{DocExtExpiry, "EXT-EXPIRY-", "extensions.json"},
	{DocExtRecorded, "EXT-RECORDED-", "extensions.json"},
	{DocV03, "V03-", "v03.json"},
	{DocSubscriptions, "SUBS-", "subscriptions.json"},
}

// rfcPrefix is an ID prefix any document may use for a rule that a
// referenced RFC imposes rather than the CloudEvents text itself.
const rfcPrefix = "RFC-"

// Docs returns the known document names in canonical order: core, the
// formats, the bindings, the extensions, v03, then subscriptions.
func Docs() []string {
	out := make([]string, len(docInfo))
	for i, d := range docInfo {
		out[i] = d.doc
	}
	return out
}

// idPattern is the shape of every requirement ID.
var idPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$`)

// Requirement is one normative statement of a CloudEvents document.
type Requirement struct {
	// ID is stable and unique across the catalog, e.g. "CORE-ATTR-ID-1".
	ID string `json:"id"`
	// Level is the RFC 2119 keyword.
	Level Level `json:"level"`
	// Doc names the source document, one of the Doc* constants.
	Doc string `json:"doc"`
	// Version is the specification version the text was taken from,
	// one of the Version* constants.
	Version string `json:"version"`
	// Removed is the version whose text no longer has the rule (only
	// Version103WIP so far: gone on the main branch), or empty.
	Removed string `json:"removed,omitempty"`
	// Changed is the version whose text states the rule differently
	// without removing it (Note says how), or empty.
	Changed string `json:"changed,omitempty"`
	// Section is a URL to the heading (or RFC section) holding the rule,
	// in the text of Version.
	Section string `json:"section"`
	// SectionMain is the rule's heading on the main branch when its
	// anchor there differs from Section's (a renamed heading); empty
	// otherwise. See SectionIn.
	SectionMain string `json:"sectionMain,omitempty"`
	// Text is a short paraphrase of the rule, one line.
	Text string `json:"text"`
	// Roles lists who must obey the rule; empty when it binds only
	// specification authors.
	Roles []Role `json:"roles"`
	// Check says how the rule can be verified.
	Check Check `json:"check"`
	// How is one line on how to test the rule; empty when Check is none.
	How string `json:"how"`
	// Note records caveats: inferred levels, changes on the main branch
	// (1.0.3-wip), ambiguities, OpenEvents choices.
	Note string `json:"note"`
}

// The texts a conformance run can hold a provider to (see Requirement.In).
const (
	// Profile102 is the released 1.0.2 text (tag ce@v1.0.2).
	Profile102 = "1.0.2"
	// ProfileMain is the main branch (1.0.3-wip).
	ProfileMain = "main"
)

// Profiles returns the known profile names, the default first.
func Profiles() []string { return []string{Profile102, ProfileMain} }

// In reports whether the rule is part of the text that profile names
// (Profile102 or ProfileMain): a 1.0.3-wip rule exists only on main, a
// rule Removed on main exists only in 1.0.2. The 0.3 rules belong to
// both: whether they apply depends on the provider accepting 0.3 input,
// not on the text; so do the Subscriptions API rules, whose document has
// its own version.
func (r Requirement) In(profile string) bool {
	switch profile {
	case Profile102:
		return r.Version != Version103WIP
	case ProfileMain:
		return r.Removed != Version103WIP
	}
	return false
}

// SectionIn returns the URL of the rule's heading in the text profile
// names, or "" when the rule is not part of it (see In).
func (r Requirement) SectionIn(profile string) string {
	if !r.In(profile) {
		return ""
	}
	switch {
	case profile == ProfileMain && r.SectionMain != "":
		return r.SectionMain
	case profile == ProfileMain:
		return strings.Replace(r.Section, "/blob/ce@v1.0.2/", "/blob/main/", 1)
	}
	return r.Section
}

// HasRole reports whether the requirement applies to role r.
func (r Requirement) HasRole(role Role) bool { return slices.Contains(r.Roles, role) }

// clone returns a copy of r that shares no memory with it.
func (r Requirement) clone() Requirement {
	r.Roles = slices.Clone(r.Roles)
	return r
}

// Catalog is an immutable, validated set of requirements. The zero value
// is an empty catalog; use Load or Default to obtain the real one. A
// Catalog is safe for concurrent use.
type Catalog struct {
	reqs []Requirement // sorted by doc, then ID (see compareReq)
	byID map[string]int
}

// Lookup returns the requirement with the given ID.
func (c *Catalog) Lookup(id string) (Requirement, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Requirement{}, false
	}
	return c.reqs[i].clone(), true
}

// All returns a copy of every requirement, sorted by Doc (byte order) and
// then by ID, where the numeric suffix of IDs with the same stem compares
// as a number (CORE-ATTR-ID-2 before CORE-ATTR-ID-10).
func (c *Catalog) All() []Requirement {
	out := make([]Requirement, len(c.reqs))
	for i, r := range c.reqs {
		out[i] = r.clone()
	}
	return out
}

// ByDoc returns a copy of the requirements of one document, in the order
// of All. It returns nil for an unknown document.
func (c *Catalog) ByDoc(doc string) []Requirement {
	var out []Requirement
	for _, r := range c.reqs {
		if r.Doc == doc {
			out = append(out, r.clone())
		}
	}
	return out
}

// Len returns the number of requirements.
func (c *Catalog) Len() int { return len(c.reqs) }

// Load parses and validates the catalog embedded in the package. It
// reports every problem found, joined, so a broken edit is fixed in one
// round.
func Load() (*Catalog, error) { return load(embedded) }

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Load()
	if err != nil {
		panic("spec: embedded requirement catalog is corrupt: " + err.Error()) //nolint:forbidigo // embedded data, checked by TestLoad
	}
	return c
})

// Default returns the embedded catalog, loaded once. It panics only if the
// embedded data is invalid, which the package tests rule out.
func Default() *Catalog { return defaultCatalog() }

// load reads every catalog file of fsys and validates the result.
func load(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, catalogGlob)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("spec: no catalog files match " + catalogGlob)
	}
	var errs []error
	c := &Catalog{byID: make(map[string]int)}
	where := make(map[string]string) // ID -> file that first defined it
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("spec: %w", err))
			continue
		}
		reqs, err := decodeFile(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("spec: %s: %w", name, err))
			continue
		}
		base := path.Base(name)
		for i, r := range reqs {
			label := fmt.Sprintf("spec: %s: entry %d (%s)", name, i, r.ID)
			for _, e := range validate(r, base) {
				errs = append(errs, fmt.Errorf("%s: %s", label, e))
			}
			if prev, dup := where[r.ID]; dup && r.ID != "" {
				errs = append(errs, fmt.Errorf("%s: duplicate ID, already defined in %s", label, prev))
				continue
			}
			where[r.ID] = name
			c.reqs = append(c.reqs, r)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(c.reqs, compareReq)
	for i, r := range c.reqs {
		c.byID[r.ID] = i
	}
	return c, nil
}

// decodeFile decodes one catalog file strictly: a single JSON array of
// objects with no unknown fields and nothing after it.
func decodeFile(data []byte) ([]Requirement, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var reqs []Requirement
	if err := dec.Decode(&reqs); err != nil {
		return nil, err
	}
	if reqs == nil {
		return nil, errors.New("not a JSON array")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON array")
	}
	return reqs, nil
}

// validate returns the problems of one entry found in catalog file file.
func validate(r Requirement, file string) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	if !idPattern.MatchString(r.ID) {
		bad("ID %q does not match %s", r.ID, idPattern)
	}
	if !r.Level.Valid() {
		switch r.Level {
		case "SHALL":
			bad("level SHALL must be written as MUST")
		case "SHALL NOT":
			bad("level SHALL NOT must be written as MUST NOT")
		default:
			bad("unknown level %q", r.Level)
		}
	}
	known := false
	for _, d := range docInfo {
		if d.doc != r.Doc {
			continue
		}
		known = true
		if d.file != file {
			bad("doc %q belongs in %s, not %s", r.Doc, d.file, file)
		}
		if !strings.HasPrefix(r.ID, d.prefix) && !strings.HasPrefix(r.ID, rfcPrefix) {
			bad("ID of doc %q must start with %q (or %q)", r.Doc, d.prefix, rfcPrefix)
		}
	}
	if !known {
		bad("unknown doc %q", r.Doc)
	}
	switch {
	case r.Doc == DocV03 && r.Version != Version03:
		bad("doc v03 needs version %q, not %q", Version03, r.Version)
	case r.Doc == DocSubscriptions && r.Version != VersionSubscriptions:
		bad("doc subscriptions needs version %q, not %q", VersionSubscriptions, r.Version)
	case r.Doc == DocGRPC && r.Version != VersionGRPC:
		bad("doc grpc needs version %q, not %q", VersionGRPC, r.Version)
	case r.Doc != DocV03 && r.Doc != DocSubscriptions && r.Doc != DocGRPC && r.Version != Version102 && r.Version != Version103WIP:
		bad("version %q is neither %q nor %q", r.Version, Version102, Version103WIP)
	}
	if u, err := url.Parse(r.Section); err != nil || u.Scheme != "https" || u.Host == "" || u.Fragment == "" {
		bad("section %q is not an https URL with a #fragment", r.Section)
	}
	if r.SectionMain != "" {
		if u, err := url.Parse(r.SectionMain); err != nil || u.Scheme != "https" || !strings.Contains(u.Path, "/blob/main/") || u.Fragment == "" {
			bad("sectionMain %q is not an https URL into the main branch with a #fragment", r.SectionMain)
		}
	}
	for _, v := range []struct{ field, value string }{{"removed", r.Removed}, {"changed", r.Changed}} {
		switch {
		case v.value == "":
		case v.value != Version103WIP:
			bad("%s %q: only %q is known", v.field, v.value, Version103WIP)
		case r.Version != Version102:
			bad("%s is set, but only a %s rule can be removed or changed later", v.field, Version102)
		}
	}
	if r.Removed != "" && r.Changed != "" {
		bad("removed and changed are both set")
	}
	checkLine := func(field, s string, required bool) {
		switch {
		case s == "" && required:
			bad("%s is empty", field)
		case strings.ContainsAny(s, "\r\n"):
			bad("%s spans several lines", field)
		case s != strings.TrimSpace(s):
			bad("%s has leading or trailing space", field)
		}
	}
	checkLine("text", r.Text, true)
	checkLine("note", r.Note, false)
	if r.Roles == nil {
		bad("roles is missing (use [] for none)")
	}
	seen := make(map[Role]bool)
	for _, role := range r.Roles {
		if !role.Valid() {
			bad("unknown role %q", role)
		} else if seen[role] {
			bad("role %q listed twice", role)
		}
		seen[role] = true
	}
	if !r.Check.Valid() {
		bad("unknown check %q", r.Check)
	}
	if r.Check == CheckNone {
		if r.How != "" {
			bad("how must be empty when check is none")
		}
	} else {
		checkLine("how", r.How, true)
	}
	return errs
}

// compareReq orders requirements by Doc, then by ID with the numeric
// suffix compared as a number.
func compareReq(a, b Requirement) int {
	if c := cmp.Compare(a.Doc, b.Doc); c != 0 {
		return c
	}
	return compareID(a.ID, b.ID)
}

// compareID compares two IDs: the stems (everything before the last '-')
// in byte order, then the trailing numbers numerically.
func compareID(a, b string) int {
	sa, na := splitID(a)
	sb, nb := splitID(b)
	if c := cmp.Compare(sa, sb); c != 0 {
		return c
	}
	if c := cmp.Compare(na, nb); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// splitID splits "CORE-ATTR-ID-12" into "CORE-ATTR-ID" and 12.
func splitID(id string) (string, uint64) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id, 0
	}
	n, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return id, 0
	}
	return id[:i], n
}
