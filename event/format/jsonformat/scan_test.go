package jsonformat

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// forEachWord calls check on eight-byte words holding every byte value at
// every position, n words for each, the other bytes drawn by neighbour.
func forEachWord(n int, neighbour func() byte, check func(b [8]byte)) {
	for c := range 256 {
		for pos := range 8 {
			for range n {
				var b [8]byte
				for k := range b {
					b[k] = neighbour()
				}
				b[pos] = byte(c)
				check(b)
			}
		}
	}
}

// TestSpecials checks the word-at-a-time stop test against its byte-wise
// definition, every byte value at every position among random neighbours.
func TestSpecials(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	forEachWord(64, func() byte { return byte(r.IntN(256)) }, func(b [8]byte) {
		m := specials(binary.LittleEndian.Uint64(b[:]))
		for k, x := range b {
			if got := m&(0x80<<(8*k)) != 0; got != isStop(x) {
				t.Fatalf("specials(%q): byte %d (%#x) flagged %v", b, k, x, got)
			}
		}
		if m != 0 && !isStop(b[bits.TrailingZeros64(m)>>3]) {
			t.Fatalf("specials(%q): first flag on a plain byte", b)
		}
	})
}

// TestFirstSpecial checks firstSpecial against the byte-wise definition:
// its lowest set bit marks the first special byte, every byte value at
// every position among random neighbours, often runs of plain bytes.
func TestFirstSpecial(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	neighbour := func() byte {
		if r.IntN(2) == 0 {
			return byte(0x20 + r.IntN(0x60)) // runs of plain bytes
		}
		return byte(r.IntN(256))
	}
	forEachWord(64, neighbour, func(b [8]byte) {
		first := 8
		for k, x := range b {
			if isStop(x) {
				first = k
				break
			}
		}
		m := firstSpecial(binary.LittleEndian.Uint64(b[:]))
		if got := bits.TrailingZeros64(m) >> 3; got != first || m&^highs != 0 || m != 0 && m&(0x80<<(8*got)) == 0 {
			t.Fatalf("firstSpecial(%q) = %#x: first special byte %d, want %d", b, m, got, first)
		}
	})
}

// TestLeadingDigits checks leadingDigits against a byte loop.
func TestLeadingDigits(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	neighbour := func() byte {
		if r.IntN(8) == 0 {
			return byte(r.IntN(256))
		}
		return byte('0' + r.IntN(10))
	}
	forEachWord(32, neighbour, func(b [8]byte) {
		want := 0
		for want < 8 && b[want]-'0' < 10 {
			want++
		}
		if got := leadingDigits(binary.LittleEndian.Uint64(b[:])); got != want {
			t.Fatalf("leadingDigits(%q) = %d, want %d", b, got, want)
		}
	})
}
