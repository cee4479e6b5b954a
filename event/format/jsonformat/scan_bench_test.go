package jsonformat

import "testing"

func BenchmarkScanOnly(b *testing.B) {
	in := []byte(typicalEvent)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if checkJSON(in) != nil {
			b.Fatal("invalid")
		}
	}
}
