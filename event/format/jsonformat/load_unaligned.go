//go:build amd64 || arm64

package jsonformat

import "unsafe"

// load64At reads in[i:i+8] as a little-endian word; the caller has made
// sure that 0 <= i and i+8 <= len(in). Every caller tests exactly that
// just before, in the loop or branch that guards the load, so the bounds
// checks of a slice expression would only repeat it: here, on the
// little-endian platforms that load unaligned words directly, one plain
// load replaces them (about 280 instructions of a 5,900-instruction
// DecodeBatch event). Under -race, checkptr reports a load that
// straddles the end of a heap allocation; load_portable.go has the
// checked version for the other platforms.
func load64At(in []byte, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(in)), i))
}
