package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openevents/openevents/runtime/config"
)

// small is a valid file of 83 bytes with 11 value nodes (the alias and
// the two it stands for counted), nested 4 deep, with one alias.
const small = "function: {builtin: echo}\ntriggers: [{http: &h {addr: '127.0.0.1:0'}}, {grpc: *h}]\n"

// TestLimits sets each limit just below and at what small needs.
func TestLimits(t *testing.T) {
	if _, err := config.Parse([]byte(small), "small.yaml"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		at     config.Limits // small passes
		below  config.Limits // small fails
		rule   string
		prefix string // of the problem's message
	}{
		{"bytes", config.Limits{MaxBytes: len(small)}, config.Limits{MaxBytes: len(small) - 1}, "size limit",
			"the file is 83 bytes, more than the limit of 82"},
		{"depth", config.Limits{MaxDepth: 4}, config.Limits{MaxDepth: 3}, "depth limit", "nested more than 3 levels deep"},
		{"nodes", config.Limits{MaxNodes: 11}, config.Limits{MaxNodes: 10}, "node limit", "more than 10 YAML nodes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.at.Parse([]byte(small), "small.yaml"); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			_, err := tc.below.Parse([]byte(small), "small.yaml")
			var e *config.Error
			if !errors.As(err, &e) || len(e.Problems) != 1 || e.Problems[0].Rule != tc.rule || !strings.HasPrefix(e.Problems[0].Message, tc.prefix) {
				t.Fatalf("below the limit: %v; want one %s problem %q", err, tc.rule, tc.prefix)
			}
		})
	}
	// Aliases: small uses one, and passes with a limit of one; a file
	// using one anchor twice does not.
	if _, err := (config.Limits{MaxAliases: 1}).Parse([]byte(small), "small.yaml"); err != nil {
		t.Fatalf("one alias with a limit of one: %v", err)
	}
	two := strings.Replace(small, "{grpc: *h}", "{grpc: *h}, {grpc: *h}", 1)
	_, err := config.Limits{MaxAliases: 1}.Parse([]byte(two), "two.yaml")
	var e *config.Error
	if !errors.As(err, &e) || e.Problems[0].Rule != "alias limit" || e.Problems[0].Path != "triggers[2].grpc" {
		t.Fatalf("two aliases with a limit of one: %v", err)
	}
}

func TestNegativeLimits(t *testing.T) {
	for _, l := range []config.Limits{{MaxBytes: -1}, {MaxDepth: -1}, {MaxAliases: -1}, {MaxNodes: -1}} {
		if _, err := l.Parse([]byte(small), "small.yaml"); err == nil || !strings.Contains(err.Error(), "must be 0 (the default) or more") {
			t.Errorf("%+v: Parse = %v", l, err)
		}
		if _, err := l.Load("does-not-matter.yaml"); err == nil || !strings.Contains(err.Error(), "must be 0 (the default) or more") {
			t.Errorf("%+v: Load = %v", l, err)
		}
	}
}

// TestLoadSizeLimit checks that Load reads no more than the limit and
// says how large the file is.
func TestLoadSizeLimit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(path, []byte(small+strings.Repeat("#", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Limits{MaxBytes: 100}.Load(path)
	want := path + ": the file is 1083 bytes, more than the limit of 100 (size limit)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	// A file exactly at the limit is read.
	if _, err := (config.Limits{MaxBytes: 1083}).Load(path); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}
