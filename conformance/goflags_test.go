package conformance

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const goFlagsChildEnv = "OPENEVENTS_CONFORMANCE_GOFLAGS_CHILD"

// TestGoFlagsChild calls Run when started by TestRunRefusesGinkgoFlags
// under a go test flag Ginkgo ends the binary for, and fails with Run's
// error; otherwise it does nothing.
func TestGoFlagsChild(t *testing.T) {
	if os.Getenv(goFlagsChildEnv) == "" {
		return
	}
	_, err := Run(context.Background(), Config{HTTP: &HTTPTarget{URL: "http://127.0.0.1:1/"}})
	if IsConfigError(err) {
		t.Fatalf("refused: %v", err)
	}
	t.Fatalf("not refused: %v", err)
}

// Run refuses to start under go test -count=2 or -parallel, which would
// make Ginkgo end the whole test binary, with a configuration error that
// names the flag. (Flags cannot be unset once set, so this runs the test
// binary as a child.)
func TestRunRefusesGinkgoFlags(t *testing.T) {
	for _, flags := range [][]string{{"-test.count=2"}, {"-test.count=1", "-test.parallel=3"}} {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestGoFlagsChild$"}, flags...)...)
		cmd.Env = append(os.Environ(), goFlagsChildEnv+"=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%v: the child did not fail: %v\n%s", flags, err, out)
		}
		want := strings.TrimPrefix(flags[len(flags)-1], "-test.")
		if !strings.Contains(string(out), "refused: ") || !strings.Contains(string(out), "go test -"+want) {
			t.Errorf("%v: want Run refused naming -%s; the child said:\n%s", flags, want, out)
		}
	}
	if err := CheckTestFlags(); err != nil {
		t.Errorf("CheckTestFlags under this test's own flags: %v", err)
	}
}
