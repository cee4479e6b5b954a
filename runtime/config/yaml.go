package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// readYAML parses data as exactly one YAML document and returns its root
// node (never a DocumentNode), or the problems that prevent it.
func readYAML(data []byte) (*yaml.Node, []Problem) {
	d := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := d.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []Problem{{Message: "the file is empty; it needs at least function and triggers", Rule: "yaml"}}
		}
		return nil, []Problem{syntaxProblem(err)}
	}
	var next yaml.Node
	switch err := d.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, []Problem{syntaxProblem(err)}
	default:
		return nil, []Problem{{Line: next.Line, Column: next.Column,
			Message: "a second YAML document (after ---); the file must hold one", Rule: "yaml"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, []Problem{{Line: root.Line, Column: root.Column,
			Message: "the document is empty; it needs at least function and triggers", Rule: "yaml"}}
	}
	return root, nil
}

// yamlLine finds the line number yaml.v3 puts in its error messages.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). For them it reports the 0-based line of the construct.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// syntaxProblem turns a yaml.v3 error into a problem with its line. The
// parser gives no column; for an error on the first line it gives no line
// either, nor for errors in the encoding of the text.
func syntaxProblem(err error) Problem {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return Problem{Message: err.Error(), Rule: "yaml"}
	}
	line, _ := strconv.Atoi(m[1]) // 0 when the message has no line
	if line > 0 && parserProblems[m[2]] {
		line++
	}
	return Problem{Line: line, Message: m[2], Rule: "yaml"}
}

// converter turns a node tree into the generic value a JSON Schema
// validator reads (map[string]any, []any, string, json.Number, bool, nil),
// checking what the schema cannot see: duplicate keys, tags, and the
// limits on depth, nodes and aliases.
type converter struct {
	lim      Limits
	nodes    int
	aliases  int
	active   map[*yaml.Node]bool // nodes being expanded, to catch an alias of its own ancestor
	problems []Problem
	stopped  bool // a limit was hit; nothing more is read
}

// limit records that a limit was hit at n and stops the conversion: past
// a limit the rest of the file is not worth reading.
func (c *converter) limit(n *yaml.Node, path []step, msg, rule string) {
	c.problems = append(c.problems, Problem{Line: n.Line, Column: n.Column, Path: formatPath(path), Message: msg, Rule: rule})
	c.stopped = true
}

func (c *converter) problem(n *yaml.Node, path []step, msg, rule string) {
	c.problems = append(c.problems, Problem{Line: n.Line, Column: n.Column, Path: formatPath(path), Message: msg, Rule: rule})
}

// value converts n, which sits at path, depth collections deep.
func (c *converter) value(n *yaml.Node, path []step, depth int) any {
	if c.stopped {
		return nil
	}
	if c.nodes++; c.nodes > c.lim.MaxNodes {
		c.limit(n, path, "more than "+strconv.Itoa(c.lim.MaxNodes)+" YAML nodes (aliases counted as often as they are used)", "node limit")
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if c.aliases++; c.aliases > c.lim.MaxAliases {
			c.limit(n, path, "more than "+strconv.Itoa(c.lim.MaxAliases)+" uses of aliases (*name)", "alias limit")
			return nil
		}
		if c.active[n.Alias] {
			c.limit(n, path, "alias *"+n.Value+" refers to a node that contains it", "alias loop")
			return nil
		}
		return c.value(n.Alias, path, depth)
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if depth >= c.lim.MaxDepth {
			c.limit(n, path, "nested more than "+strconv.Itoa(c.lim.MaxDepth)+" levels deep", "depth limit")
			return nil
		}
		c.active[n] = true
		defer delete(c.active, n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		return c.mapping(n, path, depth)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			list = append(list, c.value(item, append(path, step{index: i, isIndex: true}), depth+1))
		}
		return list
	case yaml.ScalarNode:
		return c.scalar(n, path)
	}
	c.problem(n, path, "unexpected YAML node", "yaml")
	return nil
}

func (c *converter) mapping(n *yaml.Node, path []step, depth int) any {
	m := make(map[string]any, len(n.Content)/2)
	first := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			c.problem(k, path, "an alias (*"+k.Value+") as a mapping key is not supported", "yaml")
			continue
		}
		if k.Kind != yaml.ScalarNode {
			c.problem(k, path, "a mapping key must be a plain string, not "+kindName(k), "yaml")
			continue
		}
		switch k.ShortTag() {
		case "!!str":
		case "!!merge":
			c.problem(k, path, "merge keys (<<) are not supported; write the fields out", "yaml")
			continue
		default:
			c.problem(k, path, "mapping key "+strconv.Quote(k.Value)+" is "+tagName(k.ShortTag())+", not a string", "yaml")
			continue
		}
		if f, dup := first[k.Value]; dup {
			c.problem(k, append(path, step{key: k.Value}), "duplicate key "+strconv.Quote(k.Value)+
				"; it was first given at line "+strconv.Itoa(f.Line)+":"+strconv.Itoa(f.Column), "duplicate key")
			continue
		}
		first[k.Value] = k
		m[k.Value] = c.value(v, append(path, step{key: k.Value}), depth+1)
	}
	return m
}

func (c *converter) scalar(n *yaml.Node, path []step) any {
	switch tag := n.ShortTag(); tag {
	case "!!null":
		return nil
	case "!!str", "!!timestamp":
		return n.Value
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			c.problem(n, path, err.Error(), "yaml")
		}
		return b
	case "!!int":
		var v any
		if err := n.Decode(&v); err != nil {
			c.problem(n, path, err.Error(), "yaml")
			return nil
		}
		switch i := v.(type) {
		case int:
			return json.Number(strconv.Itoa(i))
		case int64:
			return json.Number(strconv.FormatInt(i, 10))
		case uint64:
			return json.Number(strconv.FormatUint(i, 10))
		case float64:
			return floatNumber(c, n, path, i)
		}
		c.problem(n, path, "integer "+strconv.Quote(n.Value)+" cannot be read", "yaml")
		return nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			c.problem(n, path, err.Error(), "yaml")
			return nil
		}
		return floatNumber(c, n, path, f)
	default:
		c.problem(n, path, "values tagged "+tag+" are not supported", "yaml")
		return nil
	}
}

func floatNumber(c *converter, n *yaml.Node, path []step, f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.problem(n, path, strconv.Quote(n.Value)+" is not a finite number", "yaml")
		return nil
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// step is one step of a path into the document: a mapping key, or a
// sequence index.
type step struct {
	key     string
	index   int
	isIndex bool
}

// plainKey matches keys that read well after a dot.
var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// formatPath writes a path as Go would: triggers[0].http.addr.
func formatPath(path []step) string {
	var b strings.Builder
	for _, s := range path {
		switch {
		case s.isIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case plainKey.MatchString(s.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.key))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// kindName names what a node is, as messages say it.
func kindName(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return tagName(n.ShortTag())
	}
	return "YAML node"
}

func tagName(tag string) string {
	switch tag {
	case "!!str", "!!timestamp":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return "a value tagged " + tag
}
