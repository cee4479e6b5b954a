package conformancetest_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/openevents/openevents/conformance"
	"github.com/openevents/openevents/conformance/conformancetest"
	"github.com/openevents/openevents/event"
	cehttp "github.com/openevents/openevents/transports/http"
)

// testEchoProvider is what a provider's TestConformance holds: it starts
// the provider (here OpenEvents' own net/http receiver answering each
// event with itself) on an httptest.Server and runs the suite against it.
// Each requirement becomes a subtest: go test -run
// 'TestConformance/HTTP-' runs the suite and shows the HTTP rules.
func testEchoProvider(t *testing.T) {
	echo := cehttp.ReplierFunc(func(_ context.Context, e, reply *event.Event) (bool, error) {
		*reply = e.Clone()
		return true, nil
	})
	h, err := cehttp.NewHandler(echo)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	conformancetest.Run(t, conformancetest.HTTP(srv.URL),
		// The provider understands every documented extension, so their
		// value rules apply to it too.
		conformancetest.WithProfile(conformance.Profile{Extensions: conformance.Extensions()}),
	)
}

// Example shows a provider's conformance test: a plain Go test function
// (func TestConformance(t *testing.T) { testEchoProvider(t) }) that runs
// the suite against an httptest.Server. It has no output to compare: the
// verdicts are the subtests' (TestExample in this package runs it).
func Example() {
	_ = testEchoProvider
}
