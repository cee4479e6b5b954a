//go:build race

package fasthttp

const raceEnabled = true
