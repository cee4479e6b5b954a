// Package filter evaluates the filter expressions of the CloudEvents
// Subscriptions API (subscriptions/spec.md on the main branch, version
// 0.1-wip; its rules are the SUBS-FILTER-* entries of spec/catalog) against
// events, for the function runtime's filters.
//
// # Dialects
//
// A subscription's filters are an array of expressions; an event passes when
// every expression is true for it (SUBS-FILTER-1, SUBS-FILTER-2), and an empty
// array lets every event through (SUBS-FILTER-3). Each expression is an object
// with one member named by its dialect (SUBS-FILTER-7):
//
//   - exact, prefix, suffix: an object from attribute names to strings; true
//     when every named attribute is present and its value equals, starts with
//     or ends with the string, case-sensitively (SUBS-FILTER-EXACT-1,
//     SUBS-FILTER-PREFIX-1, SUBS-FILTER-SUFFIX-1). Core and extension
//     attributes alike; an attribute is compared by its canonical string
//     encoding ("true", "42", base64 for Binary). An absent attribute makes
//     the expression false.
//   - all, any: a non-empty array of expressions; true when all of them, or
//     at least one, are true (SUBS-FILTER-ALL-1, SUBS-FILTER-ANY-1).
//   - not: one expression; true when it is false (SUBS-FILTER-NOT-1).
//
// The optional sql dialect (CloudEvents SQL) is not supported: a filter that
// uses it is refused by [New] with an error wrapping [ErrUnsupported], as is
// any unknown dialect (SUBS-FILTER-4).
//
// # Use
//
// [New] compiles the generic form a YAML or JSON decoder produces
// (map[string]any, []any) into a [Filter], reporting every malformed part
// with its path, e.g. "filters[1].all[0].exact: names no attribute", and the
// rule it breaks. [Filter.Match] then walks the compiled tree without
// allocating; a Filter is immutable and safe for concurrent use.
//
//	f, err := filter.New(cfg["filters"])
//	if err != nil { return err }
//	if f.Match(&e) { ... }
package filter
