package jsonformat

import "math/bits"

// The stop index of an input has one bit per input byte, set when a string
// scan must stop at that byte: '"', '\\', a control byte (< 0x20) or a
// non-ASCII byte (>= 0x80), the bytes firstSpecial and specials mark. Bit
// k&63 of word k>>6 stands for byte k; bits past the end of the input are
// clear. The decoder builds it before it decodes, 64 bytes at a time, so
// finding the end of a plain string is a word lookup rather than a scan.

// stopWords returns how many index words an input of n bytes needs.
func stopWords(n int) int { return (n + 63) >> 6 }

// buildStops fills stops (stopWords(len(in)) words) with in's stop index.
func buildStops(in []byte, stops []uint64) {
	full := len(in) >> 6
	stopBlocks(in[:full<<6], stops[:full])
	tail := in[full<<6:]
	if len(tail) == 0 {
		return
	}
	// The last, partial block goes through a zeroed block of its own: its
	// padding bytes are stops (0 is a control byte), so their bits are
	// cleared after.
	var block [64]byte
	copy(block[:], tail)
	stopBlocks(block[:], stops[full:full+1])
	stops[full] &= 1<<len(tail) - 1
}

// stopBlocksGeneric is stopBlocks in portable Go: eight bytes at a time,
// specials gives the stop bytes' high bits, which one multiplication
// gathers into eight bits.
func stopBlocksGeneric(in []byte, stops []uint64) {
	for k := range min(len(stops), len(in)>>6) {
		block := in[k<<6 : k<<6+64]
		var w uint64
		for j := 0; j < 64; j += 8 {
			m := specials(load64At(block, j)) >> 7 // bit 0 of each stop byte
			// Bit 8i of m lands on bit 56+i of the product and nothing
			// else reaches bits 56..63 (the partial products never
			// overlap, so none carries).
			w |= (m * 0x0102040810204080 >> 56) << j
		}
		stops[k] = w
	}
}

// nextStopFrom returns the index of the first stop byte in words k and
// later of the stop index stops, or -1 if there is none.
func nextStopFrom(stops []uint64, k int) int {
	for ; k < len(stops); k++ {
		if w := stops[k]; w != 0 {
			return k<<6 + bits.TrailingZeros64(w)
		}
	}
	return -1
}
