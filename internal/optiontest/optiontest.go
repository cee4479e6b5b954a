// Package optiontest checks, for a transport whose options come in two
// types (one per side, e.g. server and client), which side each option
// function is for. A Go program cannot show in code that passing an
// option to the other side does not compile, so the check reads the
// declared result type of each function, which is what the compiler
// checks at a call.
package optiontest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Sides lists an option function and whether its result is an option of
// the first and of the second side.
type Sides struct {
	Fn            any
	First, Second bool
}

// Check asserts that each function of sides returns one value whose type
// implements first and second exactly as listed, and that every exported
// With… function declared in the package in the current directory (a
// test's working directory) is listed.
func Check(t *testing.T, first, second reflect.Type, sides map[string]Sides) {
	t.Helper()
	for name, o := range sides {
		ft := reflect.TypeOf(o.Fn)
		if ft.Kind() != reflect.Func || ft.NumOut() != 1 {
			t.Errorf("%s is not a function returning one option", name)
			continue
		}
		out := ft.Out(0)
		if got := out.Implements(first); got != o.First {
			t.Errorf("%s returns %v: a %v: %t, want %t", name, out, first, got, o.First)
		}
		if got := out.Implements(second); got != o.Second {
			t.Errorf("%s returns %v: a %v: %t, want %t", name, out, second, got, o.Second)
		}
	}
	for _, name := range OptionFuncs(t) {
		if _, ok := sides[name]; !ok {
			t.Errorf("option %s is not listed: add it with the sides it applies to", name)
		}
	}
}

// OptionFuncs returns the exported With… functions (not methods) declared
// in the non-test Go files of the current directory.
func OptionFuncs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && ast.IsExported(fd.Name.Name) && strings.HasPrefix(fd.Name.Name, "With") {
				names = append(names, fd.Name.Name)
			}
		}
	}
	return names
}
