package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error lists every problem found in a configuration file. [Parse] and
// [Load] return it for any file they read but refuse; a file they cannot
// read at all gives the os error instead.
type Error struct {
	// File is the name given to Parse, or the path given to Load.
	File string
	// Problems is never empty. It is in file order (line, then column),
	// then by path.
	Problems []Problem
}

// Problem is one thing wrong in a file.
type Problem struct {
	// Line and Column locate the YAML node at fault, both counted from 1;
	// 0 when the problem has no place (a file too large to read).
	Line, Column int
	// Path is the field at fault as it would be written in Go, e.g.
	// "triggers[0].http.addr"; empty for the whole document.
	Path string
	// Message says what is wrong, in words.
	Message string
	// Rule names the rule that was broken: the JSON Schema keyword
	// (pattern, required, enum, ...) for what the schema found, otherwise
	// a short name such as "yaml", "duplicate key", "alias limit" or
	// "forward sinks".
	Rule string
}

// String formats the problem as "line:column: path: message (rule)",
// leaving out the parts that are empty or 0 (a YAML syntax error has a
// line but no column).
func (p Problem) String() string {
	var b strings.Builder
	p.appendTo(&b)
	return b.String()
}

func (p Problem) appendTo(b *strings.Builder) {
	if p.Line > 0 {
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Column))
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Rule != "" {
		b.WriteString(" (")
		b.WriteString(p.Rule)
		b.WriteByte(')')
	}
}

// Error returns one line per problem, each "file:line:column: path:
// message (rule)" as compilers write them.
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.File)
		if p.Line > 0 {
			b.WriteByte(':')
		} else {
			b.WriteString(": ")
		}
		p.appendTo(&b)
	}
	return b.String()
}

func (e *Error) sort() {
	slices.SortStableFunc(e.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Path, b.Path))
	})
	e.Problems = slices.Compact(e.Problems)
}
