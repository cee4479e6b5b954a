//go:build race

package grpc_test

// raceDivisor scales work down in tests that the race detector slows.
const raceDivisor = 4
