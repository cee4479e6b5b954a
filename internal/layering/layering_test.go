// Package layering holds the test that enforces the import layering of
// docs/design.md ("Packages and layers"): imports point down only,
//
//	cmd → conformance → runtime → transports → event/binding, event/format/* → event
//
// with event and spec on the standard library alone, transports never
// importing each other, and Ginkgo/Gomega confined to conformance/. The
// rules are a table (rules below); the test lists every package of the
// module with "go list" and checks each import against every rule.
//
// Production imports are checked against all rules. Test imports (the
// package's _test.go files) are checked only against the rules marked
// tests: true, because tests legitimately reach sideways and up (fixtures
// from event/eventtest, differential tests against sdk-go).
//
// golangci-lint's depguard repeats the coarse rules so that editors flag a
// wrong import at once; this test is the complete check and the one CI
// relies on.
package layering

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// module is the path of the module whose layering is checked. Patterns in
// the rules below are relative to it; a pattern whose first element contains
// a dot names a package outside the module (github.com/…, google.golang.org/…).
const module = "github.com/openevents/openevents"

const (
	whyDown      = "imports must point down, see docs/design.md"
	whyStdlib    = "this package is standard library only, see docs/design.md"
	whyTransport = "transports never import each other, the runtime or anything above them, see docs/design.md"
	whyGinkgo    = "Ginkgo and Gomega are imported only in conformance/, see docs/design.md"
	whyCmd       = "nothing imports the CLI; move shared code into a library package, see docs/design.md"
)

// A rule constrains the imports of the packages it applies to.
//
// Patterns: "x" matches the package x only; "x/..." matches x and every
// package below it; "..." matches everything.
type rule struct {
	pkgs   []string // packages the rule applies to
	except []string // packages exempt from the rule
	// allow, when non-nil, lists everything the packages may import besides
	// the standard library; anything else is a violation.
	allow []string
	// deny lists imports that are violations.
	deny []string
	// isolate, when set to a prefix such as "transports/", forbids a
	// package under it to import a sibling subtree: transports/http/...
	// may import transports/http/... but not transports/grpc. Subtrees
	// listed in allow (transports/internal/...) stay importable.
	isolate string
	// tests applies the rule to test imports too.
	tests bool
	why   string
}

// Imports that every package at or above the event layer may use.
var eventCore = []string{"event", "event/internal/...", "spec/..."}

var rules = []rule{
	// Bottom layer: the event model and the requirement catalog.
	{pkgs: []string{"event", "event/internal/..."}, allow: []string{"event/internal/..."}, why: whyStdlib},
	{pkgs: []string{"spec/..."}, allow: []string{"spec/..."}, why: whyStdlib},

	// The event layer: formats, bindings, adapters, fixtures.
	{
		pkgs:   []string{"event/format/..."},
		except: []string{"event/format/protoformat/..."},
		allow:  concat(eventCore, "event/format/..."),
		why:    "imports must point down: a format imports only event, spec and the standard library (protobuf only in protoformat), see docs/design.md",
	},
	{
		pkgs:  []string{"event/format/protoformat/..."},
		allow: concat(eventCore, "event/format/...", "proto/gen/...", "google.golang.org/protobuf/..."),
		why:   "imports must point down: protoformat imports only event, spec, the other formats, proto/gen and google.golang.org/protobuf, see docs/design.md",
	},
	{
		pkgs:  []string{"event/binding/..."},
		allow: concat(eventCore, "event/format/...", "event/binding/..."),
		why:   "imports must point down: event/binding imports only event, spec and the formats, see docs/design.md",
	},
	{
		pkgs:  []string{"event/sdkgo/..."},
		allow: concat(eventCore, "event/format/...", "event/binding/...", "event/sdkgo/...", "github.com/cloudevents/sdk-go/..."),
		why:   "imports must point down: event/sdkgo imports only the event layer and cloudevents/sdk-go, see docs/design.md",
	},
	{
		pkgs:  []string{"event/eventtest/..."},
		allow: concat(eventCore, "event/format/...", "event/binding/...", "event/eventtest/..."),
		why:   "imports must point down: event/eventtest imports only the event layer, see docs/design.md",
	},
	{
		// Catch-all for event packages not named above.
		pkgs: []string{"event/..."},
		deny: []string{"transports/...", "runtime/...", "conformance/...", "cmd/...", "schemas/..."},
		why:  whyDown,
	},
	{
		pkgs:  []string{"schemas/..."},
		allow: []string{"schemas/...", "spec/...", "github.com/santhosh-tekuri/jsonschema/..."},
		why:   "schemas imports only spec, santhosh-tekuri/jsonschema and the standard library, see docs/design.md",
	},
	{
		pkgs:  []string{"proto/gen/..."},
		allow: []string{"proto/gen/...", "google.golang.org/protobuf/...", "google.golang.org/grpc/..."},
		why:   "generated code imports only protobuf, gRPC and other generated code, see docs/design.md",
	},

	// Transports, the runtime, the conformance suite.
	{
		// Pay for what you use: cehttp's net/http Handler, Server and
		// Sender, and the receiving core they share, link no fasthttp;
		// the fasthttp server is transports/http/fasthttp (deps_test.go
		// checks the transitive dependencies too).
		pkgs: []string{"transports/http", "transports/http/internal/..."},
		deny: []string{"github.com/valyala/fasthttp/..."},
		why:  "a net/http user of cehttp must not link fasthttp: fasthttp code belongs in transports/http/fasthttp, see docs/design.md",
	},
	{
		// The generated packages register the official protobuf names;
		// a program that imports cegrpc beside sdk-go's protobuf format
		// would panic at start-up (transports/grpc's coexist test runs
		// such a program).
		pkgs: []string{"transports/..."},
		deny: []string{"proto/gen/..."},
		why:  "a transport links no generated protobuf code, which registers the official names and clashes with sdk-go's protobuf format; encode with event/format/protoformat, see docs/design.md",
	},
	{
		pkgs:    []string{"transports/..."},
		deny:    []string{"runtime/...", "conformance/...", "cmd/..."},
		isolate: "transports/",
		why:     whyTransport,
	},
	{pkgs: []string{"runtime/..."}, deny: []string{"conformance/...", "cmd/..."}, why: whyDown},
	{pkgs: []string{"conformance/..."}, deny: []string{"cmd/..."}, why: whyDown},

	// Everywhere, tests included.
	{
		pkgs:   []string{"..."},
		except: []string{"conformance/..."},
		deny:   []string{"github.com/onsi/ginkgo/...", "github.com/onsi/gomega/..."},
		tests:  true,
		why:    whyGinkgo,
	},
	{pkgs: []string{"..."}, except: []string{"cmd/..."}, deny: []string{"cmd/..."}, tests: true, why: whyCmd},
}

// isolateShared lists the subtrees under an isolate prefix that every
// sibling may import.
var isolateShared = []string{"transports/internal/..."}

func concat(base []string, more ...string) []string {
	return append(append([]string(nil), base...), more...)
}

// match reports whether path matches pattern (see rule).
func match(pattern, path string) bool {
	switch {
	case pattern == "...":
		return true
	case strings.HasSuffix(pattern, "/..."):
		prefix := strings.TrimSuffix(pattern, "/...")
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	default:
		return path == pattern
	}
}

func matchAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if match(p, path) {
			return true
		}
	}
	return false
}

// isStd reports whether an import path (full, not module-relative) belongs
// to the standard library: its first element has no dot. "C" (cgo) counts.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// rel returns path relative to the module, or path itself when it lies
// outside the module.
func rel(path string) string {
	if path == module {
		return "."
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	return path
}

// check returns the violation of an import of imp (a full import path) by
// pkg (a module-relative package path), or "" if the import is allowed. test
// says whether the import comes from the package's test files. When several
// rules forbid the import, the first one in the table is reported, so the
// table lists specific rules before general ones.
func check(pkg, imp string, test bool) string {
	if isStd(imp) {
		return ""
	}
	r := rel(imp)
	if r == pkg {
		return "" // an external test package importing the package under test
	}
	for _, ru := range rules {
		if test && !ru.tests {
			continue
		}
		if !matchAny(ru.pkgs, pkg) || matchAny(ru.except, pkg) {
			continue
		}
		bad := false
		switch {
		case matchAny(ru.deny, r):
			bad = true
		case ru.allow != nil && !matchAny(ru.allow, r):
			bad = true
		case ru.isolate != "" && strings.HasPrefix(r, ru.isolate) && !matchAny(isolateShared, r):
			bad = subtree(ru.isolate, pkg) != subtree(ru.isolate, r)
		}
		if bad {
			from := pkg
			if test {
				from += " (test)"
			}
			return fmt.Sprintf("%s imports %s: %s", from, r, ru.why)
		}
	}
	return ""
}

// subtree returns the first element of path below prefix:
// subtree("transports/", "transports/http/internal") is "http".
func subtree(prefix, path string) string {
	s, _, _ := strings.Cut(strings.TrimPrefix(path, prefix), "/")
	return s
}

// pkgImports is one package as listed by go list.
type pkgImports struct {
	path        string // module-relative
	imports     []string
	testImports []string // TestImports and XTestImports
}

// listPackages lists every package of the module with its imports. It runs
// "go list -e" so that a package with a compile error elsewhere in the tree
// does not hide the layering of the others; compile errors are the build's
// business.
func listPackages(t *testing.T) []pkgImports {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		// go test puts $GOROOT/bin first on the PATH of test binaries, so
		// this means the test was run outside go test.
		t.Fatalf("the go command is needed to list packages: %v", err)
	}
	const format = `{{.ImportPath}}{{"\t"}}{{join .Imports " "}}{{"\t"}}{{join .TestImports " "}} {{join .XTestImports " "}}`
	cmd := exec.Command(goBin, "list", "-e", "-f", format, module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkgImports
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			t.Fatalf("go list printed an unexpected line %q", sc.Text())
		}
		pkgs = append(pkgs, pkgImports{
			path:        rel(fields[0]),
			imports:     strings.Fields(fields[1]),
			testImports: strings.Fields(fields[2]),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages in the module")
	}
	var found bool
	for _, p := range pkgs {
		if p.path == "internal/layering" {
			found = true
		}
		for _, imp := range p.imports {
			if v := check(p.path, imp, false); v != "" {
				t.Error(v)
			}
		}
		for _, imp := range p.testImports {
			if v := check(p.path, imp, true); v != "" {
				t.Error(v)
			}
		}
	}
	if !found {
		t.Errorf("go list did not list internal/layering itself; listed %d packages", len(pkgs))
	}
}

// TestCheck pins the rule table: each row is one import and whether it must
// be reported. The rows that must be reported prove that the check can fail.
func TestCheck(t *testing.T) {
	const (
		ok  = false
		bad = true
	)
	tests := []struct {
		name string
		pkg  string
		imp  string // full import path; "~/x" abbreviates the module's package x
		test bool
		want bool
		msg  string // a substring of the report, for rows that must be reported
	}{
		{name: "event uses the standard library", pkg: "event", imp: "strconv", want: ok},
		{name: "event imports spec", pkg: "event", imp: "~/spec", want: bad, msg: "event imports spec: this package is standard library only"},
		{name: "event imports protobuf", pkg: "event", imp: "google.golang.org/protobuf/proto", want: bad},
		{name: "event imports its internal package", pkg: "event", imp: "~/event/internal/ascii", want: ok},
		{name: "event test imports eventtest", pkg: "event", imp: "~/event/eventtest", test: true, want: ok},
		{name: "event test imports gomega", pkg: "event", imp: "github.com/onsi/gomega", test: true, want: bad, msg: "event (test) imports github.com/onsi/gomega: Ginkgo and Gomega"},
		{name: "spec imports event", pkg: "spec", imp: "~/event", want: bad},
		{name: "jsonformat imports event", pkg: "event/format/jsonformat", imp: "~/event", want: ok},
		{name: "jsonformat imports spec", pkg: "event/format/jsonformat", imp: "~/spec", want: ok},
		{
			name: "jsonformat imports the runtime", pkg: "event/format/jsonformat", imp: "~/runtime/host", want: bad,
			msg: "event/format/jsonformat imports runtime/host: imports must point down",
		},
		{name: "jsonformat imports protobuf", pkg: "event/format/jsonformat", imp: "google.golang.org/protobuf/proto", want: bad},
		{name: "jsonformat test imports sdk-go", pkg: "event/format/jsonformat", imp: "github.com/cloudevents/sdk-go/v2/event", test: true, want: ok},
		{name: "protoformat imports protobuf", pkg: "event/format/protoformat", imp: "google.golang.org/protobuf/proto", want: ok},
		{name: "protoformat imports proto/gen", pkg: "event/format/protoformat", imp: "~/proto/gen/io/cloudevents/v1", want: ok},
		{name: "protoformat imports grpc", pkg: "event/format/protoformat", imp: "google.golang.org/grpc", want: bad},
		{
			name: "cegrpc imports generated code", pkg: "transports/grpc", imp: "~/proto/gen/io/cloudevents/v1", want: bad,
			msg: "transports/grpc imports proto/gen/io/cloudevents/v1: a transport links no generated protobuf code",
		},
		{name: "cegrpc test imports generated code", pkg: "transports/grpc", imp: "~/proto/gen/openevents/v1", test: true, want: ok},
		{name: "binding imports jsonformat", pkg: "event/binding", imp: "~/event/format/jsonformat", want: ok},
		{name: "binding imports a transport", pkg: "event/binding", imp: "~/transports/http", want: bad},
		{name: "sdkgo imports sdk-go", pkg: "event/sdkgo", imp: "github.com/cloudevents/sdk-go/v2/event", want: ok},
		{name: "sdkgo imports some other module", pkg: "event/sdkgo", imp: "github.com/google/uuid", want: bad},
		{name: "jsonformat imports sdk-go", pkg: "event/format/jsonformat", imp: "github.com/cloudevents/sdk-go/v2", want: bad},
		{name: "schemas imports jsonschema", pkg: "schemas", imp: "github.com/santhosh-tekuri/jsonschema/v5", want: ok},
		{name: "schemas imports spec", pkg: "schemas", imp: "~/spec", want: ok},
		{name: "schemas imports event", pkg: "schemas", imp: "~/event", want: bad},
		{name: "http transport imports binding", pkg: "transports/http", imp: "~/event/binding", want: ok},
		{name: "http transport imports its subpackage", pkg: "transports/http", imp: "~/transports/http/internal/header", want: ok},
		{name: "http transport imports shared transport code", pkg: "transports/http", imp: "~/transports/internal/status", want: ok},
		{name: "http transport imports grpc transport", pkg: "transports/http", imp: "~/transports/grpc", want: bad, msg: "transports/http imports transports/grpc: transports never import each other"},
		{name: "fasthttp server imports the http transport", pkg: "transports/http/fasthttp", imp: "~/transports/http", want: ok},
		{name: "fasthttp server imports the shared receiving core", pkg: "transports/http/fasthttp", imp: "~/transports/http/internal/receive", want: ok},
		{name: "fasthttp server imports fasthttp", pkg: "transports/http/fasthttp", imp: "github.com/valyala/fasthttp", want: ok},
		{name: "http transport imports fasthttp", pkg: "transports/http", imp: "github.com/valyala/fasthttp", want: bad, msg: "transports/http imports github.com/valyala/fasthttp: a net/http user of cehttp must not link fasthttp"},
		{name: "http receiving core imports fasthttp", pkg: "transports/http/internal/receive", imp: "github.com/valyala/fasthttp/fasthttputil", want: bad},
		{name: "http transport test imports fasthttp", pkg: "transports/http", imp: "github.com/valyala/fasthttp", test: true, want: ok},
		{name: "fasthttp server imports grpc transport", pkg: "transports/http/fasthttp", imp: "~/transports/grpc", want: bad, msg: "transports never import each other"},
		{name: "grpc transport imports the http receiving core", pkg: "transports/grpc", imp: "~/transports/http/internal/receive", want: bad},
		{name: "mqtt transport test imports memory transport", pkg: "transports/mqtt", imp: "~/transports/memory", test: true, want: ok},
		{name: "nats transport imports the runtime", pkg: "transports/nats", imp: "~/runtime/host", want: bad},
		{name: "runtime imports transports", pkg: "runtime/host", imp: "~/transports/nats", want: ok},
		{name: "runtime imports conformance", pkg: "runtime/host", imp: "~/conformance/harness", want: bad},
		{name: "conformance imports ginkgo", pkg: "conformance", imp: "github.com/onsi/ginkgo/v2", want: ok},
		{name: "conformance test imports gomega", pkg: "conformance/cases", imp: "github.com/onsi/gomega", test: true, want: ok},
		{name: "runtime imports ginkgo", pkg: "runtime/host", imp: "github.com/onsi/ginkgo/v2", want: bad},
		{name: "conformance imports the runtime", pkg: "conformance/harness", imp: "~/runtime/host", want: ok},
		{name: "conformance imports cmd", pkg: "conformance", imp: "~/cmd/ce", want: bad},
		{name: "conformance imports the http transport", pkg: "conformance", imp: "~/transports/http", want: ok},
		{name: "conformance imports spec", pkg: "conformance", imp: "~/spec", want: ok},
		{name: "http transport imports conformance", pkg: "transports/http", imp: "~/conformance", want: bad, msg: "transports never import each other, the runtime or anything above them"},
		{name: "http transport test imports ginkgo", pkg: "transports/http", imp: "github.com/onsi/ginkgo/v2", test: true, want: bad},
		{name: "cmd imports conformance", pkg: "cmd/ce", imp: "~/conformance", want: ok},
		{name: "cmd imports its internal package", pkg: "cmd/ce", imp: "~/cmd/ce/internal/output", want: ok},
		{name: "a test imports cmd", pkg: "event/format/jsonformat", imp: "~/cmd/ce", test: true, want: bad, msg: "event/format/jsonformat (test) imports cmd/ce: nothing imports the CLI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp := tt.imp
			if r, ok := strings.CutPrefix(imp, "~/"); ok {
				imp = module + "/" + r
			}
			got := check(tt.pkg, imp, tt.test)
			if (got != "") != tt.want {
				t.Fatalf("check(%q, %q, test=%v) = %q, want reported: %v", tt.pkg, imp, tt.test, got, tt.want)
			}
			if tt.msg != "" && !strings.Contains(got, tt.msg) {
				t.Errorf("check(%q, %q) = %q, want a report containing %q", tt.pkg, imp, got, tt.msg)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"event", "event", true},
		{"event", "event/binding", false},
		{"event/...", "event", true},
		{"event/...", "event/format/jsonformat", true},
		{"event/...", "eventtest", false},
		{"github.com/onsi/ginkgo/...", "github.com/onsi/ginkgo/v2/dsl/core", true},
		{"github.com/onsi/ginkgo/...", "github.com/onsi/ginkgolike", false},
		{"...", "anything/at/all", true},
	}
	for _, tt := range tests {
		if got := match(tt.pattern, tt.path); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}
