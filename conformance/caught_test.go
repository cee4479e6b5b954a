package conformance

import "testing"

// wantCaught fails t unless res reports requirement want as failed, the
// verdict a run against a provider with fault must give; it logs the
// failure's message and every other requirement that failed too. It
// reports whether the fault was caught.
func wantCaught(t *testing.T, res *Result, fault, want string) bool {
	t.Helper()
	caught := false
	for _, rr := range res.Requirements {
		switch {
		case rr.ID == want && rr.Verdict == Fail:
			caught = true
			t.Logf("%s: %s", rr.ID, rr.Message)
		case rr.Verdict == Fail:
			t.Logf("also failed: %s: %s", rr.ID, rr.Message)
		}
	}
	if !caught {
		t.Errorf("fault %s was not reported as a failure of %s", fault, want)
	}
	return caught
}
