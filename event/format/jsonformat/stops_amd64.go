package jsonformat

import "golang.org/x/sys/cpu"

// hasAVX2 selects stopBlocks' AVX2 loop, twice as wide as the SSE2 one.
var hasAVX2 = cpu.X86.HasAVX2

// stopBlocks sets stops[k] to the stop bits of the 64-byte block k of in
// (see stops.go), with AVX2 where the processor has it and SSE2, which
// every amd64 processor has, elsewhere. Callers pass 64*len(stops) bytes;
// it does fewer blocks if in is shorter, so it never reads or writes
// outside in and stops.
func stopBlocks(in []byte, stops []uint64) {
	if hasAVX2 {
		stopBlocksAVX2(in, stops)
	} else {
		stopBlocksSSE2(in, stops)
	}
}

// stopBlocksSSE2 is stopBlocks in SSE2.
//
//go:noescape
func stopBlocksSSE2(in []byte, stops []uint64)

// stopBlocksAVX2 is stopBlocks in AVX2; only for processors that have it.
//
//go:noescape
func stopBlocksAVX2(in []byte, stops []uint64)
