//go:build !amd64

package jsonformat

// stopBlockFuncs returns the implementations of stopBlocks, by name.
func stopBlockFuncs() map[string]func([]byte, []uint64) {
	return map[string]func([]byte, []uint64){"stopBlocksGeneric": stopBlocksGeneric}
}
