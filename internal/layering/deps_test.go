package layering

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// Heavy dependencies, as import-path prefixes (a prefix matches itself and
// every package below it).
const (
	depFastHTTP   = "github.com/valyala/fasthttp"
	depCompress   = "github.com/klauspost/compress" // fasthttp's gzip, zstd, …
	depBrotli     = "github.com/molecule-man/go-brrr"
	depGRPC       = "google.golang.org/grpc"
	depPaho       = "github.com/eclipse/paho.golang"
	depPahoV3     = "github.com/eclipse/paho.mqtt.golang"
	depMochi      = "github.com/mochi-mqtt/server"
	depGinkgo     = "github.com/onsi/ginkgo"
	depGomega     = "github.com/onsi/gomega"
	depSDKGo      = "github.com/cloudevents/sdk-go"
	depCobra      = "github.com/spf13/cobra"
	depChromedp   = "github.com/chromedp"
	depProtobuf   = "google.golang.org/protobuf"
	depJSONSchema = "github.com/santhosh-tekuri/jsonschema"
)

// A depRule constrains what a package links: everything "go list -deps"
// lists for it, the transitive imports of its non-test files. The import
// rules above check each import; these check what a user of the package
// pays for in the end, however the import chain runs.
type depRule struct {
	pkg string // module-relative
	// stdOnly: nothing outside the standard library and this module.
	stdOnly bool
	deny    []string
	why     string
}

// Shared by every transport: none pulls in the test, CLI or report tools.
var notTools = []string{depGinkgo, depGomega, depCobra, depChromedp, depJSONSchema}

var depRules = []depRule{
	{
		// A program that serves or sends with net/http pays for no other
		// HTTP stack, compressor or transport ("pay for what you use"):
		// the fasthttp server lives in transports/http/fasthttp.
		pkg: "transports/http", stdOnly: true,
		deny: concat(notTools, depFastHTTP, depCompress, depBrotli, depGRPC, depProtobuf, depPaho, depPahoV3, depMochi, depSDKGo),
		why:  "a net/http user of cehttp must not link it; fasthttp belongs in transports/http/fasthttp",
	},
	{
		pkg: "transports/http/internal/receive", stdOnly: true,
		deny: concat(notTools, depFastHTTP, depCompress, depBrotli, depGRPC, depPaho, depPahoV3),
		why:  "the receiving core both HTTP servers share is linked by net/http users too",
	},
	{
		pkg:  "transports/http/fasthttp",
		deny: concat(notTools, depGRPC, depPaho, depPahoV3, depMochi, depSDKGo),
		why:  "the fasthttp server links fasthttp and nothing of the other transports",
	},
	{
		pkg:  "transports/grpc",
		deny: concat(notTools, depFastHTTP, depCompress, depBrotli, depPaho, depPahoV3, depMochi, depSDKGo),
		why:  "a gRPC user must not link the HTTP or MQTT stacks",
	},
	{
		pkg:  "transports/mqtt",
		deny: concat(notTools, depGRPC, depFastHTTP, depCompress, depBrotli, depMochi, depSDKGo),
		why:  "an MQTT user must not link gRPC, fasthttp or the embedded broker",
	},
}

// listDeps returns the full import paths go list -deps prints for the
// module-relative package pkg.
func listDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", module+"/"+pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr.String())
	}
	return strings.Fields(string(out))
}

// checkDeps returns one report per dependency of pkg that r forbids.
func checkDeps(r depRule, deps []string) []string {
	var bad []string
	for _, d := range deps {
		if isStd(d) || d == module || strings.HasPrefix(d, module+"/") {
			continue
		}
		switch {
		case matchPrefix(r.deny, d):
			bad = append(bad, r.pkg+" links "+d+": "+r.why)
		case r.stdOnly:
			bad = append(bad, r.pkg+" links "+d+", outside the standard library: "+r.why)
		}
	}
	return bad
}

func TestDeps(t *testing.T) {
	for _, r := range depRules {
		t.Run(r.pkg, func(t *testing.T) {
			deps := listDeps(t, r.pkg)
			if !contains(deps, module+"/"+r.pkg) {
				t.Fatalf("go list -deps %s did not list the package itself; got %d packages", r.pkg, len(deps))
			}
			for _, v := range checkDeps(r, deps) {
				t.Error(v)
			}
		})
	}
}

// TestDepsControl proves that TestDeps can fail: the packages that are
// meant to link a heavy dependency are seen to, and the rule for the
// net/http package would report each of them.
func TestDepsControl(t *testing.T) {
	var forHTTP depRule
	for _, r := range depRules {
		if r.pkg == "transports/http" {
			forHTTP = r
		}
	}
	for _, tt := range []struct{ pkg, dep string }{
		{"transports/http/fasthttp", depFastHTTP},
		{"transports/grpc", depGRPC},
		{"transports/mqtt", depPaho},
	} {
		t.Run(tt.pkg, func(t *testing.T) {
			deps := listDeps(t, tt.pkg)
			if !containsPrefix(deps, tt.dep) {
				t.Fatalf("go list -deps %s does not list %s: the listing is not what this test expects", tt.pkg, tt.dep)
			}
			bad := checkDeps(forHTTP, deps)
			if !containsPrefix(bad, "transports/http links "+tt.dep) {
				t.Errorf("the transports/http rule applied to %s's dependencies did not report %s; reports: %q", tt.pkg, tt.dep, bad)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// matchPrefix reports whether path is one of prefixes or below one.
func matchPrefix(prefixes []string, path string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

func containsPrefix(list []string, prefix string) bool {
	for _, x := range list {
		if strings.HasPrefix(x, prefix) {
			return true
		}
	}
	return false
}
