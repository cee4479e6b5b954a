//go:build !race

package jsonformat

const raceEnabled = false
