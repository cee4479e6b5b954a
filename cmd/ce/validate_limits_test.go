package main

import (
	"strings"
	"testing"

	"github.com/openevents/openevents/event/eventtest"
)

// TestValidateManyAttributes: ce validate refuses an event over the
// attribute limit with a message naming the limit and the flag, and with
// the flag raised checks 100,000 extensions in reverse order (once 6 s of
// quadratic decoding; the test's own deadline is the guard).
func TestValidateManyAttributes(t *testing.T) {
	big := string(eventtest.ManyAttributesJSON(eventtest.ExtensionNames(100_000, eventtest.Reversed)))
	code, _, stderr := runCEStdin(t, big, "validate", "-")
	if code != exitFailure || !strings.Contains(stderr, "more than 1024 attributes") || !strings.Contains(stderr, "--max-attributes") {
		t.Errorf("default limit: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := runCEStdin(t, big, "validate", "--max-attributes", "100004", "-")
	if code != exitOK {
		t.Errorf("--max-attributes 100004: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, _ := runCEStdin(t, big, "validate", "--max-attributes", "0", "-"); code != exitUsage {
		t.Errorf("--max-attributes 0: exit %d, want %d", code, exitUsage)
	}
}
