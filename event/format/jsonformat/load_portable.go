//go:build !amd64 && !arm64

package jsonformat

// load64At reads in[i:i+8] as a little-endian word; the caller has made
// sure that 0 <= i and i+8 <= len(in). The full slice expression costs
// fewer bounds checks than binary.LittleEndian.Uint64(in[i:]), and the
// compiler merges the eight loads into one. load_unaligned.go has the
// version for the platforms that need no bounds check.
func load64At(in []byte, i int) uint64 {
	b := in[i : i+8 : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
