package schemas

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error lists every way a document fails the schema. [Validator] methods
// return it for schema failures and for documents that are not well-formed
// JSON; Unwrap returns the underlying decoder error or
// *jsonschema.ValidationError.
type Error struct {
	// Failures is never empty. It is sorted by instance pointer, then
	// keyword location.
	Failures []Failure
	cause    error
}

// Failure is one broken rule.
type Failure struct {
	// InstancePointer is the JSON pointer (RFC 6901) of the offending value
	// in the document: "" for the whole document, "/subject" for a member,
	// "/0/id" for a member of the first event of a batch. A member whose
	// name is illegal is pointed at by that name ("/" for the empty name).
	// A missing member is reported at the object that lacks it.
	InstancePointer string
	// KeywordLocation is the JSON pointer of the failed keyword in the
	// schema, through any $ref, as JSON Schema output formats write it,
	// e.g. "/properties/subject/minLength". Empty for syntax errors.
	KeywordLocation string
	// AbsoluteKeywordLocation is the same keyword as a URI into the schema
	// document that holds it, e.g. EventSchemaURL + "#/$defs/text/allOf/0/pattern".
	// Empty for syntax errors.
	AbsoluteKeywordLocation string
	// Message says what is wrong, in words.
	Message string
	// RequirementID is the catalog requirement the failed rule enforces,
	// taken from the nearest "ID: ..." $comment above the keyword, or
	// "JSON-SYNTAX-1" for a document that is not JSON. It is empty when no
	// rule names one (a non-object where an event belongs).
	RequirementID string
}

// String formats the failure as "pointer: message (ID)"; the whole
// document is shown as "/".
func (f Failure) String() string {
	var b strings.Builder
	if f.InstancePointer == "" {
		b.WriteString("/")
	} else {
		b.WriteString(f.InstancePointer)
	}
	b.WriteString(": ")
	b.WriteString(f.Message)
	if f.RequirementID != "" {
		b.WriteString(" (")
		b.WriteString(f.RequirementID)
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Error() string {
	s := "schemas: " + e.Failures[0].String()
	if n := len(e.Failures) - 1; n > 0 {
		s += " (and " + strconv.Itoa(n) + " more)"
	}
	return s
}

// Unwrap returns the decoder's error for malformed JSON, or the
// *jsonschema.ValidationError the failures were taken from.
func (e *Error) Unwrap() error { return e.cause }

// RequirementIDs returns the non-empty requirement IDs of the failures, in
// order, each once.
func (e *Error) RequirementIDs() []string {
	var ids []string
	for _, f := range e.Failures {
		if f.RequirementID != "" && !slices.Contains(ids, f.RequirementID) {
			ids = append(ids, f.RequirementID)
		}
	}
	return ids
}

func (e *Error) sort() {
	slices.SortStableFunc(e.Failures, func(a, b Failure) int {
		return cmp.Or(
			cmp.Compare(a.InstancePointer, b.InstancePointer),
			cmp.Compare(a.KeywordLocation, b.KeywordLocation),
		)
	})
}
