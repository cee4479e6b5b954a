package jsonformat

// stopBlockFuncs returns the implementations of stopBlocks that this
// processor can run, by name.
func stopBlockFuncs() map[string]func([]byte, []uint64) {
	return map[string]func([]byte, []uint64){
		"stopBlocksGeneric": stopBlocksGeneric,
		"stopBlocks (SSE2)": stopBlocks,
	}
}
