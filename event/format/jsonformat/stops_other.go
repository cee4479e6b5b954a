//go:build !amd64

package jsonformat

// stopBlocks sets stops[k] to the stop bits of the 64-byte block k of in
// (see stops.go).
func stopBlocks(in []byte, stops []uint64) {
	stopBlocksGeneric(in, stops)
}
