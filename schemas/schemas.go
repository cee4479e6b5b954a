package schemas

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The $id of each schema. Failures point into the schemas with these URLs.
const (
	EventSchemaURL = "https://github.com/openevents/openevents/schemas/event.json"
	BatchSchemaURL = "https://github.com/openevents/openevents/schemas/batch.json"
)

var (
	//go:embed event.json
	eventSchema []byte
	//go:embed batch.json
	batchSchema []byte
)

// EventSchema returns the text of event.json, the schema of one event in
// the JSON format. The caller owns the returned slice.
func EventSchema() []byte { return bytes.Clone(eventSchema) }

// BatchSchema returns the text of batch.json, the schema of a JSON batch.
// The caller owns the returned slice.
func BatchSchema() []byte { return bytes.Clone(batchSchema) }

// Validator checks JSON documents against the compiled event and batch
// schemas, with format assertions on. The zero value is not usable: build
// one with [New]. A Validator is immutable once built and safe for
// concurrent use by any number of goroutines; build it once and share it.
type Validator struct {
	event *jsonschema.Schema
	batch *jsonschema.Schema
	// rules maps the absolute location of every subschema whose $comment
	// names a requirement ("URL#pointer") to that requirement.
	rules map[string]rule
}

// rule is a requirement ID and the first sentence of the $comment naming
// it, which failure messages quote.
type rule struct {
	id      string
	summary string
}

// New compiles the embedded schemas. It fails only if the schemas
// themselves are broken, which the package tests rule out; the error then
// wraps the compiler's *jsonschema.SchemaError.
func New() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	v := &Validator{rules: make(map[string]rule)}
	for _, doc := range [...]struct {
		url  string
		text []byte
	}{{EventSchemaURL, eventSchema}, {BatchSchemaURL, batchSchema}} {
		if err := c.AddResource(doc.url, bytes.NewReader(doc.text)); err != nil {
			return nil, fmt.Errorf("schemas: loading %s: %w", doc.url, err)
		}
		var raw any
		if err := json.Unmarshal(doc.text, &raw); err != nil {
			return nil, fmt.Errorf("schemas: loading %s: %w", doc.url, err)
		}
		collectRules(v.rules, doc.url+"#", raw)
	}
	var err error
	if v.event, err = c.Compile(EventSchemaURL); err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	if v.batch, err = c.Compile(BatchSchemaURL); err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	return v, nil
}

// ValidateEvent decodes b as one JSON value and validates it against the
// event schema. It returns nil if b is a valid CloudEvents 1.0 event as far
// as a JSON Schema can tell (see the package documentation for what it
// cannot), and otherwise an [*Error]. A document that is not well-formed
// JSON yields an *Error with a single JSON-SYNTAX-1 failure that wraps the
// decoder's error. b is only read, never retained.
func (v *Validator) ValidateEvent(b []byte) error { return v.validate(v.event, b, 0) }

// ValidateBatch is [Validator.ValidateEvent] for a JSON batch: b must be a
// JSON array of events. Instance pointers of failures in an event start
// with its index, as in "/2/id".
func (v *Validator) ValidateBatch(b []byte) error { return v.validate(v.batch, b, 1) }

// validate applies s to the document b, whose events sit depth levels
// down (0 for an event, 1 for the events of a batch).
func (v *Validator) validate(s *jsonschema.Schema, b []byte, depth int) error {
	doc, err := decode(b)
	if err != nil {
		return &Error{
			Failures: []Failure{{Message: err.Error(), RequirementID: "JSON-SYNTAX-1"}},
			cause:    err,
		}
	}
	err = s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		// Neither loops nor non-JSON values can arise from our schemas and
		// decoder, but do not hide it if they do.
		return fmt.Errorf("schemas: %w", err)
	}
	e := &Error{cause: ve}
	v.appendLeaves(e, ve, depth)
	e.sort()
	return e
}

// decode reads exactly one JSON value, keeping numbers as json.Number so
// that integer checks see the text's value, not a float64 rounding of it.
func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty document: no JSON value")
		}
		return nil, err
	}
	end := d.InputOffset()
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value at offset " + strconv.FormatInt(end, 10))
	}
	return doc, nil
}

// appendLeaves adds one Failure per leaf of the validator's error tree: the
// inner nodes only say which subschema a leaf was reached through.
func (v *Validator) appendLeaves(e *Error, ve *jsonschema.ValidationError, depth int) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			v.appendLeaves(e, c, depth)
		}
		return
	}
	ptr := ve.InstanceLocation
	if strings.Contains(ve.KeywordLocation, "/propertyNames/") && strings.Count(ptr, "/") == depth {
		// The library points at the event itself when the offending name
		// is the empty one; RFC 6901 spells that member "/".
		ptr += "/"
	}
	r := v.ruleAt(ve.AbsoluteKeywordLocation)
	msg := ve.Message
	switch keyword(ve.KeywordLocation) {
	case "pattern":
		// The library quotes the pattern, which for URIs runs to a
		// thousand characters; the rule says the same in words.
		msg = "does not match the pattern: " + r.summary
	case "not":
		msg = "breaks the rule: " + r.summary
	}
	e.Failures = append(e.Failures, Failure{
		InstancePointer:         ptr,
		KeywordLocation:         ve.KeywordLocation,
		AbsoluteKeywordLocation: ve.AbsoluteKeywordLocation,
		Message:                 msg,
		RequirementID:           r.id,
	})
}

// ruleAt returns the rule of the nearest subschema at or above loc that
// names one, or the zero rule.
func (v *Validator) ruleAt(loc string) rule {
	hash := strings.IndexByte(loc, '#')
	for {
		if r, ok := v.rules[loc]; ok {
			return r
		}
		i := strings.LastIndexByte(loc, '/')
		if i <= hash {
			return rule{}
		}
		loc = loc[:i]
	}
}

func keyword(loc string) string { return loc[strings.LastIndexByte(loc, '/')+1:] }

// collectRules walks a schema document and records every object whose
// $comment has the form "ID: XYZ-1. Summary. More text".
func collectRules(dst map[string]rule, ptr string, node any) {
	switch n := node.(type) {
	case map[string]any:
		if c, ok := n["$comment"].(string); ok {
			if r, ok := parseRule(c); ok {
				dst[ptr] = r
			}
		}
		for k, child := range n {
			collectRules(dst, ptr+"/"+escapePointer(k), child)
		}
	case []any:
		for i, child := range n {
			collectRules(dst, ptr+"/"+strconv.Itoa(i), child)
		}
	}
}

func parseRule(comment string) (rule, bool) {
	rest, ok := strings.CutPrefix(comment, "ID: ")
	if !ok {
		return rule{}, false
	}
	n := 0
	for n < len(rest) && (rest[n] >= 'A' && rest[n] <= 'Z' || rest[n] >= '0' && rest[n] <= '9' || rest[n] == '-') {
		n++
	}
	if n == 0 {
		return rule{}, false
	}
	id, text := rest[:n], strings.TrimSpace(strings.TrimPrefix(rest[n:], "."))
	if i := strings.Index(text, ". "); i >= 0 {
		text = text[:i]
	}
	return rule{id: id, summary: strings.TrimSuffix(text, ".")}, true
}

// escapePointer escapes a member name as a JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
