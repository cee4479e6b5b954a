package jsonformat

// load64At reads in[i:i+8] as a little-endian word; the caller has made
// sure that 0 <= i and i+8 <= len(in). The full slice expression costs
// fewer bounds checks than binary.LittleEndian.Uint64(in[i:]), and the
// compiler merges the eight loads into one.
//
// The bounds check stays even though every caller has just tested the
// same condition: an unchecked unsafe load measured about 8% fewer
// instructions per decoded event, but this decoder reads network input,
// and a read past the input must stay impossible rather than merely
// untested.
func load64At(in []byte, i int) uint64 {
	b := in[i : i+8 : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
