package jsonformat

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestSpecials checks the word-at-a-time stop test against its byte-wise
// definition, every byte value at every position among random neighbours.
func TestSpecials(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	stop := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }
	for c := range 256 {
		for pos := range 8 {
			for range 64 {
				var b [8]byte
				for k := range b {
					b[k] = byte(r.IntN(256))
				}
				b[pos] = byte(c)
				m := specials(binary.LittleEndian.Uint64(b[:]))
				for k, x := range b {
					if got := m&(0x80<<(8*k)) != 0; got != stop(x) {
						t.Fatalf("specials(%q): byte %d (%#x) flagged %v", b, k, x, got)
					}
				}
				if m != 0 && !stop(b[bits.TrailingZeros64(m)>>3]) {
					t.Fatalf("specials(%q): first flag on a plain byte", b)
				}
			}
		}
	}
}
