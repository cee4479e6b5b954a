package jsonformat

// stopBlockFuncs returns the implementations of stopBlocks that this
// processor can run, by name.
func stopBlockFuncs() map[string]func([]byte, []uint64) {
	m := map[string]func([]byte, []uint64){
		"stopBlocksGeneric": stopBlocksGeneric,
		"stopBlocksSSE2":    stopBlocksSSE2,
	}
	if hasAVX2 {
		m["stopBlocksAVX2"] = stopBlocksAVX2
	}
	return m
}
