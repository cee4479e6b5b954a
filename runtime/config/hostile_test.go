package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/internal/heapwatch"
	"github.com/openevents/openevents/runtime/config"
)

// hostile are files built to cost a reader time or memory. Each must be
// refused with the rule that names its trick. Their sizes stay within
// DefaultMaxBytes unless the size is the trick.
var hostile = []struct {
	name string
	text func() string
	rule string
	// maxAlloc bounds the bytes allocated while refusing it.
	maxAlloc uint64
}{
	{"over the size limit", func() string { return strings.Repeat("#", config.DefaultMaxBytes+1) }, "size limit", 1 << 10},
	{"flow nesting", func() string { return strings.Repeat("[", config.DefaultMaxBytes) }, "yaml", 16 << 20},
	{"flow nesting within the parser's limit", func() string {
		return "function: " + strings.Repeat("[", 9000) + strings.Repeat("]", 9000)
	}, "depth limit", 16 << 20},
	{"block nesting", func() string {
		var b strings.Builder
		for i := 0; b.Len() < config.DefaultMaxBytes-2000; i++ {
			b.WriteString(strings.Repeat(" ", i))
			b.WriteString("a:\n")
		}
		return b.String()
	}, "depth limit", 16 << 20},
	{"billion laughs", func() string {
		s := "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		prev := "a"
		for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
			s += n + ": &" + n + " [" + strings.TrimSuffix(strings.Repeat("*"+prev+", ", 9), ", ") + "]\n"
			prev = n
		}
		return s
	}, "alias limit", 1 << 20},
	{"alias fan-out within the alias limit", func() string {
		return "x: &x [" + strings.TrimSuffix(strings.Repeat("1, ", 2000), ", ") + "]\ny: [" +
			strings.TrimSuffix(strings.Repeat("*x, ", 16), ", ") + "]\n"
	}, "node limit", 16 << 20},
	{"alias of its own ancestor", func() string { return "a: &a\n  b: *a\n" }, "alias loop", 1 << 20},
	{"wide flow list", func() string {
		return "function: [" + strings.Repeat("a,", config.DefaultMaxBytes/2-10) + "]"
	}, "node limit", 64 << 20},
	{"many keys", func() string {
		var b strings.Builder
		for i := 0; b.Len() < config.DefaultMaxBytes-100; i++ {
			b.WriteString("k")
			b.WriteString(strings.Repeat("x", i%7))
			b.WriteString(string(rune('a' + i%26)))
			b.WriteString(string(rune('a' + i/26%26)))
			b.WriteString(string(rune('a' + i/676%26)))
			b.WriteString(": 1\n")
		}
		return b.String()
	}, "node limit", 64 << 20},
}

// TestHostile refuses each hostile file and bounds what refusing it
// allocated. How long each takes is measured by BenchmarkHostile.
func TestHostile(t *testing.T) {
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			text := []byte(tc.text())
			if len(text) > config.DefaultMaxBytes && tc.rule != "size limit" {
				t.Fatalf("the file is %d bytes, over the size limit it is not meant to test", len(text))
			}
			s := heapwatch.Start(time.Millisecond)
			c, err := config.Parse(text, "hostile.yaml")
			allocated := s.Stop()
			var e *config.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, %v; want a *config.Error", c, err)
			}
			if !hasRule(e, tc.rule) {
				t.Fatalf("got %v; want a problem with rule %q", err, tc.rule)
			}
			t.Logf("%d bytes: %d bytes allocated, live heap peak +%d: %s", len(text), allocated, s.Peak()-s.Base().Objects, e.Problems[0])
			if allocated > tc.maxAlloc {
				t.Errorf("refusing it allocated %d bytes, more than %d", allocated, tc.maxAlloc)
			}
		})
	}
}

func hasRule(e *config.Error, rule string) bool {
	for _, p := range e.Problems {
		if p.Rule == rule {
			return true
		}
	}
	return false
}

func BenchmarkHostile(b *testing.B) {
	for _, tc := range hostile {
		text := []byte(tc.text())
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := config.Parse(text, "hostile.yaml"); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// BenchmarkParseExample is the cost of reading a realistic file.
func BenchmarkParseExample(b *testing.B) {
	text, err := os.ReadFile(filepath.Join("..", "..", "examples", "function.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := config.Parse(text, "function.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
