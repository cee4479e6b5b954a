package conformance

import (
	"flag"
	"fmt"
)

// CheckTestFlags reports the go test flags under which Ginkgo, which the
// suite runs on, would end the whole test binary with os.Exit when a run
// starts: -count other than 1, and -parallel (Ginkgo's VetConfig). [Run]
// refuses to start under them with this error, as a configuration error,
// so that the test that asked for a run fails with the reason instead of
// a test binary that dies without saying which test killed it. Outside
// go test it reports nothing.
func CheckTestFlags() error {
	var err error
	flag.Visit(func(f *flag.Flag) {
		switch {
		case err != nil:
		case f.Name == "test.count" && f.Value.String() != "1":
			err = fmt.Errorf("go test -count=%s: the suite runs on Ginkgo, which ends the test binary under a -count other than 1; run it with -count=1", f.Value)
		case f.Name == "test.parallel":
			err = fmt.Errorf("go test -parallel=%s: the suite runs on Ginkgo, which ends the test binary when -parallel is given; leave -parallel out (t.Parallel tests still run in parallel)", f.Value)
		}
	})
	return err
}
