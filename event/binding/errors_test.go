package binding

import (
	"errors"
	"fmt"
	"testing"
)

// TestSentinel: a transport's sentinel keeps its own message and identity
// and matches its protocol-neutral outcome, also when wrapped; it does not
// match another outcome.
func TestSentinel(t *testing.T) {
	own := Sentinel("cexyz: queue full", ErrOverloaded)
	wrapped := fmt.Errorf("delivery 7: %w", own)
	if own.Error() != "cexyz: queue full" {
		t.Errorf("message %q", own.Error())
	}
	if !errors.Is(wrapped, own) || !errors.Is(wrapped, ErrOverloaded) {
		t.Errorf("wrapped sentinel: Is(own) %v, Is(ErrOverloaded) %v; want true, true", errors.Is(wrapped, own), errors.Is(wrapped, ErrOverloaded))
	}
	if errors.Is(wrapped, ErrUnavailable) || errors.Is(ErrOverloaded, own) {
		t.Error("a sentinel matches an outcome it does not stand for, or the outcome matches the sentinel")
	}
}
