package filter

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openevents/openevents/event"
)

// DefaultMaxDepth is the deepest nesting of all, any and not that [New]
// accepts unless [WithMaxDepth] says otherwise: a top-level expression is
// at depth 1, each nested one a level deeper.
const DefaultMaxDepth = 32

// Sentinels that every *[Error] wraps, for callers that branch on the kind
// of problem.
var (
	// ErrInvalid: the filter is malformed.
	ErrInvalid = errors.New("invalid filter")
	// ErrUnsupported: the filter names a dialect this package does not
	// implement (sql among them), which a subscription must be refused
	// for (SUBS-FILTER-4).
	ErrUnsupported = errors.New("unsupported filter dialect")
)

// Error is one problem of a filter given to [New].
type Error struct {
	// Path locates the problem in the decoded filters, e.g.
	// "filters[1].all[0].exact" or "filters[0].prefix.type".
	Path string
	// Problem says what is wrong, in a few words.
	Problem string
	// Rule is the requirement ID the filter breaks (spec/catalog), or ""
	// for a limit of this package.
	Rule string
	// Err is ErrInvalid or ErrUnsupported.
	Err error
}

// Error returns "filter: PATH: PROBLEM (RULE)".
func (e *Error) Error() string {
	s := "filter: " + e.Path + ": " + e.Problem
	if e.Rule != "" {
		s += " (" + e.Rule + ")"
	}
	return s
}

// Unwrap returns ErrInvalid or ErrUnsupported.
func (e *Error) Unwrap() error { return e.Err }

// An Option configures [New].
type Option interface{ apply(*config) }

type config struct{ maxDepth int }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithMaxDepth sets the deepest nesting of all, any and not accepted
// (default DefaultMaxDepth); n must be at least 1. A deeper filter is an
// error naming the limit, found without descending further, so the depth
// of the input cannot make New recurse deeply.
func WithMaxDepth(n int) Option { return optionFunc(func(c *config) { c.maxDepth = n }) }

// New compiles filters, as decoded from a YAML or JSON configuration (or a
// Subscriptions API request), into a Filter.
//
// filters is the subscription's filters array: a []any or
// []map[string]any whose elements are filter expressions, each an object
// with exactly one member named by its dialect (SUBS-FILTER-7):
//
//	[{"exact": {"type": "com.example.created"}},
//	 {"any": [{"prefix": {"subject": "/orders/"}}, {"not": {"exact": {"source": "/test"}}}]}]
//
// A single expression (a map) is accepted too, and nil or an empty array
// gives the zero Filter, which matches every event (SUBS-FILTER-3).
// Objects may be map[string]any, map[any]any with string keys (older YAML
// decoders) or, for exact, prefix and suffix, map[string]string.
//
// The dialects are exact, prefix, suffix, all, any and not
// (SUBS-FILTER-8). Attribute names must be valid CloudEvents attribute
// names (CORE-NAMING-1: a name with upper-case letters could never match)
// and values non-empty strings; numbers and booleans are refused rather
// than guessed at (quote them in YAML), because an attribute is compared by
// its canonical string encoding. The sql dialect is not supported, and it
// and any unknown dialect are refused with an error wrapping
// ErrUnsupported (SUBS-FILTER-4).
//
// New reports every problem it finds, each an *Error naming the path, the
// problem and the rule, joined with errors.Join. It does not retain
// filters.
func New(filters any, opts ...Option) (Filter, error) {
	cfg := config{maxDepth: DefaultMaxDepth}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.maxDepth < 1 {
		return Filter{}, fmt.Errorf("filter: WithMaxDepth(%d): the depth must be at least 1: %w", cfg.maxDepth, ErrInvalid)
	}
	p := parser{maxDepth: cfg.maxDepth}
	var f Filter
	switch v := filters.(type) {
	case nil:
	case []any:
		for i, x := range v {
			if n, ok := p.expr(x, "filters["+strconv.Itoa(i)+"]", 1); ok {
				f.exprs = append(f.exprs, n)
			}
		}
	case []map[string]any:
		for i, x := range v {
			if n, ok := p.expr(x, "filters["+strconv.Itoa(i)+"]", 1); ok {
				f.exprs = append(f.exprs, n)
			}
		}
	case map[string]any, map[any]any:
		if n, ok := p.expr(v, "filter", 1); ok {
			f.exprs = append(f.exprs, n)
		}
	default:
		p.fail("filters", ErrInvalid, "SUBS-FILTER-7", "is %s, want an array of filter expressions", typeName(filters))
	}
	if len(p.errs) > 0 {
		return Filter{}, errors.Join(p.errs...)
	}
	return f, nil
}

// ParseJSON compiles a filters array (or a single expression) in JSON, as
// New does with its decoded form.
func ParseJSON(data []byte, opts ...Option) (Filter, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return Filter{}, fmt.Errorf("filter: not JSON: %w: %w", err, ErrInvalid)
	}
	return New(v, opts...)
}

// UnmarshalJSON sets f from a filters array in JSON (see ParseJSON), with
// the default options, so a Filter can be a field of a JSON configuration.
func (f *Filter) UnmarshalJSON(data []byte) error {
	g, err := ParseJSON(data)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// MarshalJSON returns f as a JSON filters array, the members of each
// dialect object sorted by name; the zero Filter is [].
func (f Filter) MarshalJSON() ([]byte, error) { return json.Marshal(f.decoded()) }

// String returns f in JSON (see MarshalJSON), for logs and messages.
func (f Filter) String() string {
	b, _ := f.MarshalJSON() // only strings, arrays and objects: cannot fail
	return string(b)
}

// decoded returns f in the generic form New accepts.
func (f Filter) decoded() []any {
	out := make([]any, len(f.exprs))
	for i := range f.exprs {
		out[i] = f.exprs[i].decoded()
	}
	return out
}

func (n *node) decoded() map[string]any {
	var v any
	switch n.op {
	case opExact, opPrefix, opSuffix:
		m := make(map[string]string, len(n.tests))
		for _, t := range n.tests {
			m[t.name] = t.want
		}
		v = m
	case opNot:
		v = n.kids[0].decoded()
	default:
		kids := make([]any, len(n.kids))
		for i := range n.kids {
			kids[i] = n.kids[i].decoded()
		}
		v = kids
	}
	return map[string]any{dialectNames[n.op]: v}
}

// parser compiles decoded filters and collects every problem.
type parser struct {
	maxDepth int
	errs     []error
}

func (p *parser) fail(path string, kind error, rule, format string, args ...any) {
	p.errs = append(p.errs, &Error{Path: path, Problem: fmt.Sprintf(format, args...), Rule: rule, Err: kind})
}

// rules of the dialects that test attributes: the matching rule and the
// rule against empty names and values.
var attrRules = [...]struct{ match, empty string }{
	opExact:  {"SUBS-FILTER-EXACT-1", "SUBS-FILTER-EXACT-2"},
	opPrefix: {"SUBS-FILTER-PREFIX-1", "SUBS-FILTER-PREFIX-2"},
	opSuffix: {"SUBS-FILTER-SUFFIX-1", "SUBS-FILTER-SUFFIX-2"},
}

// expr compiles the expression v found at path, depth levels deep. It
// returns false when v has problems, which it records.
func (p *parser) expr(v any, path string, depth int) (node, bool) {
	if depth > p.maxDepth {
		p.fail(path, ErrInvalid, "", "filter expressions nested deeper than %d levels (WithMaxDepth)", p.maxDepth)
		return node{}, false
	}
	m, ok := object(v)
	if !ok {
		p.fail(path, ErrInvalid, "SUBS-FILTER-7", "is %s, want an object with one dialect member", typeName(v))
		return node{}, false
	}
	if len(m) != 1 {
		if len(m) == 0 {
			p.fail(path, ErrInvalid, "SUBS-FILTER-7", "is an empty object, want exactly one dialect member")
		} else {
			p.fail(path, ErrInvalid, "SUBS-FILTER-7", "has %d members (%s), want exactly one dialect member; combine expressions with all",
				len(m), strings.Join(sortedKeys(m), ", "))
		}
		return node{}, false
	}
	var dialect string
	var body any
	for k, x := range m {
		dialect, body = k, x
	}
	at := member(path, dialect)
	switch dialect {
	case "exact":
		return p.attrs(opExact, body, at)
	case "prefix":
		return p.attrs(opPrefix, body, at)
	case "suffix":
		return p.attrs(opSuffix, body, at)
	case "all":
		return p.list(opAll, "SUBS-FILTER-ALL-1", "SUBS-FILTER-ALL-2", body, at, depth)
	case "any":
		return p.list(opAny, "SUBS-FILTER-ANY-1", "SUBS-FILTER-ANY-2", body, at, depth)
	case "not":
		if _, isObj := object(body); !isObj {
			p.fail(at, ErrInvalid, "SUBS-FILTER-NOT-1", "is %s, want one filter expression (an object)", typeName(body))
			return node{}, false
		}
		kid, ok := p.expr(body, at, depth+1)
		if !ok {
			return node{}, false
		}
		return node{op: opNot, kids: []node{kid}}, true
	case "sql":
		p.fail(at, ErrUnsupported, "SUBS-FILTER-4", "the sql dialect (CloudEvents SQL, optional under SUBS-FILTER-SQL-1) is not supported; use exact, prefix, suffix, all, any and not")
		return node{}, false
	}
	p.fail(at, ErrUnsupported, "SUBS-FILTER-4", "unknown filter dialect %q; the dialects are exact, prefix, suffix, all, any and not", dialect)
	return node{}, false
}

// attrs compiles the body of an exact, prefix or suffix expression: an
// object from attribute names to strings.
func (p *parser) attrs(o op, body any, path string) (node, bool) {
	r := attrRules[o]
	pairs, ok := object(body)
	if !ok {
		p.fail(path, ErrInvalid, r.match, "is %s, want an object from attribute names to strings", typeName(body))
		return node{}, false
	}
	if len(pairs) == 0 {
		p.fail(path, ErrInvalid, r.empty, "names no attribute, so it would test nothing")
		return node{}, false
	}
	before := len(p.errs)
	tests := make([]test, 0, len(pairs))
	for _, name := range sortedKeys(pairs) {
		at := member(path, name)
		switch {
		case name == "":
			p.fail(at, ErrInvalid, r.empty, "the attribute name is empty")
			continue
		case !event.ValidName(name):
			p.fail(at, ErrInvalid, "CORE-NAMING-1", "%q is not an attribute name (lower-case a-z and 0-9 only), so no event could match", name)
			continue
		}
		want, isString := pairs[name].(string)
		switch {
		case !isString:
			p.fail(at, ErrInvalid, r.match, "the value is %s, want a string (attributes compare by their canonical string form; quote numbers and booleans)", typeName(pairs[name]))
			continue
		case want == "":
			p.fail(at, ErrInvalid, r.empty, "the value is empty")
			continue
		}
		t := test{name: name, want: want}
		if o == opExact {
			t.bin = binaryOf(want)
		}
		tests = append(tests, t)
	}
	if len(p.errs) > before {
		return node{}, false
	}
	return node{op: o, tests: tests}, true
}

// list compiles the body of an all or any expression: a non-empty array of
// filter expressions.
func (p *parser) list(o op, shapeRule, emptyRule string, body any, path string, depth int) (node, bool) {
	var items []any
	switch b := body.(type) {
	case []any:
		items = b
	case []map[string]any:
		items = make([]any, len(b))
		for i := range b {
			items[i] = b[i]
		}
	default:
		p.fail(path, ErrInvalid, shapeRule, "is %s, want an array of filter expressions", typeName(body))
		return node{}, false
	}
	if len(items) == 0 {
		p.fail(path, ErrInvalid, emptyRule, "is an empty array, want at least one filter expression")
		return node{}, false
	}
	kids := make([]node, 0, len(items))
	good := true
	for i, x := range items {
		kid, ok := p.expr(x, path+"["+strconv.Itoa(i)+"]", depth+1)
		good = good && ok
		kids = append(kids, kid)
	}
	if !good {
		return node{}, false
	}
	return node{op: o, kids: kids}, true
}

// binaryOf returns the Binary value whose canonical (padded standard
// base64) text is s, or the zero Value when s is not such a text.
func binaryOf(s string) event.Value {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return event.Value{}
	}
	v := event.Binary(b)
	if v.String() != s { // a non-canonical encoding (stray bits in the last character)
		return event.Value{}
	}
	return v
}

// object returns v as a map with string keys, if it is an object.
func object(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, x := range m {
			s, ok := k.(string)
			if !ok {
				return nil, false
			}
			out[s] = x
		}
		return out, true
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = x
		}
		return out, true
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// member returns the path of member name of the object at path: with a
// dot when name is a plain name, quoted in brackets otherwise.
func member(path, name string) string {
	if name != "" && strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0 {
		return path + "." + name
	}
	return path + "[" + strconv.Quote(name) + "]"
}

// typeName names the JSON type of a decoded value with its article, for
// messages.
func typeName(v any) string {
	switch m := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number:
		return "a number"
	case []any, []map[string]any, []string:
		return "an array"
	case map[any]any:
		for k := range m {
			if _, ok := k.(string); !ok {
				return "an object with a non-string key"
			}
		}
		return "an object"
	case map[string]any, map[string]string:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
