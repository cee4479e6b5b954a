//go:build !race

package protoformat_test

const raceEnabled = false
