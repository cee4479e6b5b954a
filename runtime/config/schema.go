package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/openevents/openevents/schemas"
)

// compiledSchema is function.schema.json, compiled, and as a generic
// value for reading the keywords a failure points at.
type compiledSchema struct {
	schema *jsonschema.Schema
	raw    any
}

// theSchema compiles the embedded schema once per process; the result is
// immutable. It fails only if the schema itself is broken, which the
// package tests rule out.
var theSchema = sync.OnceValues(func() (*compiledSchema, error) {
	text := schemas.FunctionSchema()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource(schemas.FunctionSchemaURL, bytes.NewReader(text)); err != nil {
		return nil, fmt.Errorf("config: loading the schema: %w", err)
	}
	s, err := c.Compile(schemas.FunctionSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("config: compiling the schema: %w", err)
	}
	var raw any
	if err := json.Unmarshal(text, &raw); err != nil {
		return nil, fmt.Errorf("config: reading the schema: %w", err)
	}
	return &compiledSchema{schema: s, raw: raw}, nil
})

// validate applies the schema to doc, the generic value of the YAML tree
// root, and returns one problem per failure, placed on the YAML node at
// fault.
func validate(root *yaml.Node, doc any) ([]Problem, error) {
	cs, err := theSchema()
	if err != nil {
		return nil, err
	}
	err = cs.schema.Validate(doc)
	if err == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, fmt.Errorf("config: validating: %w", err)
	}
	v := &translator{cs: cs, root: root}
	v.collect(ve)
	return v.problems, nil
}

// translator turns the validator's error tree into problems.
type translator struct {
	cs       *compiledSchema
	root     *yaml.Node
	problems []Problem
}

// collect walks the error tree down to the failures that say something:
// inner nodes only say which subschema a failure was reached through. A
// oneOf whose alternatives differ only in which member is required (the
// function kinds, sinks, triggers, filters) is one failure, whatever its
// branches said.
func (v *translator) collect(ve *jsonschema.ValidationError) {
	if len(ve.Causes) > 0 && !(lastSegment(ve.KeywordLocation) == "oneOf" && v.alternatives(ve) != nil) {
		for _, c := range ve.Causes {
			v.collect(c)
		}
		return
	}
	v.leaf(ve)
}

// alternatives returns the member names of a oneOf whose branches are
// each {"required": [name]}, or nil.
func (v *translator) alternatives(ve *jsonschema.ValidationError) []string {
	branches, _ := v.schemaAt(ve.AbsoluteKeywordLocation).([]any)
	var names []string
	for _, b := range branches {
		m, _ := b.(map[string]any)
		req, _ := m["required"].([]any)
		if len(m) != 1 || len(req) != 1 {
			return nil
		}
		name, _ := req[0].(string)
		names = append(names, name)
	}
	return names
}

// schemaAt resolves an absolute keyword location ("URL#/json/pointer")
// in the schema document.
func (v *translator) schemaAt(loc string) any {
	_, ptr, _ := strings.Cut(loc, "#")
	node := v.cs.raw
	if ptr == "" {
		return node
	}
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		tok = unescapePointer(tok)
		switch n := node.(type) {
		case map[string]any:
			node = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	return node
}

// leaf adds the problem for one failure.
func (v *translator) leaf(ve *jsonschema.ValidationError) {
	loc := ve.AbsoluteKeywordLocation
	kw := lastSegment(ve.KeywordLocation)
	dependent := ""
	if i := strings.LastIndex(loc, "/dependentRequired/"); i >= 0 {
		// .../dependentRequired/<member>/<index>
		kw = "dependentRequired"
		dependent = unescapePointer(strings.SplitN(loc[i+len("/dependentRequired/"):], "/", 2)[0])
		loc = loc[:i+len("/dependentRequired")]
	}
	parent, _ := v.schemaAt(loc[:strings.LastIndexByte(loc, '/')]).(map[string]any)
	value, key, path := locate(v.root, ve.InstanceLocation)
	at := value
	if strings.Contains(ve.KeywordLocation, "/propertyNames/") && key != nil {
		// The failure is about the member's name, not its value.
		at = key
		value = key
	}
	add := func(n *yaml.Node, path []step, msg string) {
		v.problems = append(v.problems, Problem{Line: n.Line, Column: n.Column, Path: formatPath(path), Message: msg, Rule: kw})
	}
	switch kw {
	case "additionalProperties":
		allowed, _ := parent["properties"].(map[string]any)
		names := sortedKeys(allowed)
		for i := 0; i+1 < len(value.Content); i += 2 {
			k := value.Content[i]
			if _, ok := allowed[k.Value]; !ok {
				add(k, append(slices.Clip(path), step{key: k.Value}),
					"unknown field "+strconv.Quote(k.Value)+"; the fields here are "+strings.Join(names, ", "))
			}
		}
		return
	case "required":
		req, _ := parent["required"].([]any)
		var missing []string
		for _, r := range req {
			if name, _ := r.(string); memberNode(value, name) == nil {
				missing = append(missing, strconv.Quote(name))
			}
		}
		if len(missing) == 1 {
			add(at, path, "missing the required field "+missing[0])
		} else {
			add(at, path, "missing the required fields "+strings.Join(missing, ", "))
		}
		return
	case "oneOf":
		names := v.alternatives(ve)
		if names == nil {
			add(at, path, ve.Message)
			return
		}
		var has []string
		for _, n := range names {
			if memberNode(value, n) != nil {
				has = append(has, n)
			}
		}
		msg := "needs exactly one of " + strings.Join(names, ", ") + "; "
		if len(has) == 0 {
			msg += "it has none"
		} else {
			msg += "it has " + strings.Join(has, " and ")
		}
		add(at, path, msg)
		return
	case "dependentRequired":
		need, _ := parent["dependentRequired"].(map[string]any)[dependent].([]any)
		var names []string
		for _, n := range need {
			if s, _ := n.(string); memberNode(value, s) == nil {
				names = append(names, strconv.Quote(s))
			}
		}
		add(at, path, strconv.Quote(dependent)+" needs "+strings.Join(names, " and ")+" beside it")
		return
	}
	add(at, path, v.message(kw, parent, value, ve))
}

// message words the failure of one keyword on a value.
func (v *translator) message(kw string, parent map[string]any, n *yaml.Node, ve *jsonschema.ValidationError) string {
	show := display(n)
	switch kw {
	case "type":
		want := "a " + fmt.Sprint(parent["type"])
		switch parent["type"] {
		case "object":
			want = "a mapping"
		case "array":
			want = "a list"
		case "integer":
			want = "an integer"
		case "boolean":
			want = "true or false"
		}
		msg := "expected " + want + ", got " + kindName(n)
		if want == "a string" && n.Kind == yaml.ScalarNode {
			msg += "; write " + strconv.Quote(n.Value) + " in quotes"
		}
		return msg
	case "enum":
		vals, _ := parent["enum"].([]any)
		var s []string
		for _, e := range vals {
			b, _ := json.Marshal(e)
			s = append(s, string(b))
		}
		return show + " is not one of " + strings.Join(s, ", ")
	case "pattern":
		title, _ := parent["title"].(string)
		desc, _ := parent["description"].(string)
		return show + " does not match the " + title + " pattern " + desc
	case "minimum":
		return show + " is less than the minimum, " + fmt.Sprint(parent["minimum"])
	case "maximum":
		return show + " is more than the maximum, " + fmt.Sprint(parent["maximum"])
	case "minLength":
		if n.Value == "" {
			return "is empty"
		}
		return show + " is shorter than " + fmt.Sprint(parent["minLength"]) + " characters"
	case "maxLength":
		return "is " + strconv.Itoa(utf8.RuneCountInString(n.Value)) + " characters long, more than " + fmt.Sprint(parent["maxLength"])
	case "minItems":
		if len(n.Content) == 0 {
			return "is empty; it needs at least " + fmt.Sprint(parent["minItems"])
		}
		return "has " + strconv.Itoa(len(n.Content)) + " items, fewer than " + fmt.Sprint(parent["minItems"])
	case "maxItems":
		return "has " + strconv.Itoa(len(n.Content)) + " items, more than " + fmt.Sprint(parent["maxItems"])
	case "minProperties", "maxProperties":
		lo, hi := parent["minProperties"], parent["maxProperties"]
		got := strconv.Itoa(len(n.Content) / 2)
		if lo != nil && hi != nil && fmt.Sprint(lo) == fmt.Sprint(hi) {
			return "has " + got + " fields; it needs exactly " + fmt.Sprint(lo)
		}
		if kw == "minProperties" {
			return "has " + got + " fields, fewer than " + fmt.Sprint(lo)
		}
		return "has " + got + " fields, more than " + fmt.Sprint(hi)
	}
	return ve.Message
}

// display shows a scalar as the file has it, shortened, and a collection
// by its kind.
func display(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		return kindName(n)
	}
	s := n.Value
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		s = string(r[:60]) + "..."
	}
	if n.ShortTag() == "!!str" || n.ShortTag() == "!!timestamp" {
		return strconv.Quote(s)
	}
	return s
}

// locate follows a JSON pointer from the root node and returns the node
// it names, the key node of that member when it is one, and its path. A
// pointer that leaves the tree stops at the last node found.
func locate(root *yaml.Node, ptr string) (value, key *yaml.Node, path []step) {
	n := deref(root)
	if ptr == "" {
		return n, nil, nil
	}
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		tok = unescapePointer(tok)
		switch n.Kind {
		case yaml.MappingNode:
			k, val := member(n, tok)
			if val == nil {
				return n, key, path
			}
			n, key, path = deref(val), k, append(path, step{key: tok})
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return n, key, path
			}
			n, key, path = deref(n.Content[i]), nil, append(path, step{index: i, isIndex: true})
		default:
			return n, key, path
		}
	}
	return n, key, path
}

// find returns the node ptr names and true, or false if the document has
// no such node.
func find(root *yaml.Node, ptr string) (*yaml.Node, bool) {
	n := deref(root)
	if ptr == "" {
		return n, true
	}
	for tok := range strings.SplitSeq(strings.TrimPrefix(ptr, "/"), "/") {
		tok = unescapePointer(tok)
		switch n.Kind {
		case yaml.MappingNode:
			if _, n = member(n, tok); n == nil {
				return nil, false
			}
			n = deref(n)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, false
			}
			n = deref(n.Content[i])
		default:
			return nil, false
		}
	}
	return n, true
}

// member returns the key and value nodes of the member name of a mapping,
// or nils.
func member(n *yaml.Node, name string) (key, value *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// memberNode returns the value node of member name of n if n is a
// mapping that has it, else nil.
func memberNode(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	_, v := member(n, name)
	return deref(v)
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func lastSegment(loc string) string { return loc[strings.LastIndexByte(loc, '/')+1:] }

func unescapePointer(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
