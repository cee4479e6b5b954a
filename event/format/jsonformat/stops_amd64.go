package jsonformat

// stopBlocks sets stops[k] to the stop bits of the 64-byte block k of in
// (see stops.go), in SSE2, which every amd64 processor has. Callers pass
// 64*len(stops) bytes; it does fewer blocks if in is shorter, so it never
// reads or writes outside in and stops.
//
// An AVX2 version, twice as wide, took about 250 ns more per call on the
// test machine (whatever the size; likely its hypervisor), which lost
// more than it won even on 6 KiB inputs.
//
//go:noescape
func stopBlocks(in []byte, stops []uint64)
