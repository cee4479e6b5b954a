//go:build race

package protoformat_test

const raceEnabled = true
