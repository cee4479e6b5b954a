package jsonformat

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/openevents/openevents/event/eventtest"
)

// isStop is the definition of a stop byte, which every implementation of
// the stop index is tested against.
func isStop(c byte) bool {
	return c == '"' || c == '\\' || c < 0x20 || c >= 0x80
}

// wantStops is the stop index of in by the definition, a byte at a time.
func wantStops(in []byte) []uint64 {
	out := make([]uint64, stopWords(len(in)))
	for k, c := range in {
		if isStop(c) {
			out[k>>6] |= 1 << (k & 63)
		}
	}
	return out
}

// checkStops runs buildStops (the assembly on amd64) and
// stopBlocksGeneric on in and compares both with the definition.
func checkStops(t *testing.T, in []byte) {
	t.Helper()
	want := wantStops(in)
	got := make([]uint64, len(want))
	for i := range got {
		got[i] = 0xdeadbeef // a stale buffer: every word must be written
	}
	buildStops(in, got)
	for k := range want {
		if got[k] != want[k] {
			t.Fatalf("buildStops(%q): word %d = %#x, want %#x", in, k, got[k], want[k])
		}
	}
	for name, blocks := range stopBlockFuncs() {
		got := make([]uint64, len(in)>>6)
		blocks(in, got)
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("%s(%q): word %d = %#x, want %#x", name, in, k, got[k], want[k])
			}
		}
	}
}

// TestStopsEveryByte puts each of the 256 byte values at each position of
// a block (and of a partial tail) among plain bytes.
func TestStopsEveryByte(t *testing.T) {
	for _, n := range []int{64, 64 + 37, 3} {
		for p := range n {
			for c := range 256 {
				in := bytes.Repeat([]byte{'a'}, n)
				in[p] = byte(c)
				checkStops(t, in)
			}
		}
	}
}

// TestStopsRandom compares random inputs of every length up to 300 bytes,
// drawn mostly from the bytes near the class boundaries.
func TestStopsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	edges := []byte{'"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7e, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 'a', '0'}
	for n := range 301 {
		for range 20 {
			in := make([]byte, n)
			for i := range in {
				if r.IntN(2) == 0 {
					in[i] = edges[r.IntN(len(edges))]
				} else {
					in[i] = byte(r.IntN(256))
				}
			}
			checkStops(t, in)
		}
	}
}

// TestStopBlocksBounds checks that stopBlocks does no more blocks than in
// holds, whatever length stops has, and no more than stops has room for.
func TestStopBlocksBounds(t *testing.T) {
	for name, blocks := range stopBlockFuncs() {
		in := bytes.Repeat([]byte{'"'}, 256)
		stops := make([]uint64, 8)
		blocks(in[:150], stops[:5])
		if stops[1] != ^uint64(0) || stops[2] != 0 {
			t.Fatalf("%s went past a 150-byte input: %#x", name, stops)
		}
		blocks(in, stops[6:7])
		if stops[6] != ^uint64(0) || stops[7] != 0 {
			t.Fatalf("%s went past one word of stops: %#x", name, stops)
		}
	}
}

// TestPlainString checks plainString against scanString on strings with
// their closing quotes at every distance from the start and from the
// index's word boundaries, and with escapes and other stops before them.
func TestPlainString(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 63, 64, 65, 200, 1000} {
		for range 10 {
			in := make([]byte, n)
			for i := range in {
				in[i] = 'a'
				switch r.IntN(60) {
				case 0, 1, 2:
					in[i] = '"'
				case 3:
					in[i] = '\\'
				case 4:
					in[i] = 0xc3
				case 5:
					in[i] = 0xa9
				case 6:
					in[i] = 0x1f
				}
			}
			stops := wantStops(in)
			for i := 0; i <= n; i++ {
				want, escaped := scanString(in, i)
				if escaped {
					want = -1
				}
				if got := plainString(in, stops, i, stopInWord(stops, i)); got != want {
					t.Fatalf("plainString(%q, %d) = %d, want %d", in, i, got, want)
				}
			}
		}
	}
}

func FuzzStops(f *testing.F) {
	f.Add([]byte(typicalEvent))
	f.Add([]byte("\"\\\x00\x1f\x7f\x80\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkStops(t, in)
	})
}

func BenchmarkBuildStops(b *testing.B) {
	in := bytes.Repeat([]byte(typicalEvent), 100)
	stops := make([]uint64, stopWords(len(in)))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		buildStops(in, stops)
	}
}

// TestPooledStopsConcurrent decodes batches large enough to take their
// stop index from stopsPool, from several goroutines at once, each batch
// with ids of its own: an index handed to two decoders at once, or
// returned while still in use, would mix up their events (and -race
// would report it).
func TestPooledStopsConcurrent(t *testing.T) {
	const workers, rounds, n = 4, 20, 30
	done := make(chan error, workers)
	for w := range workers {
		go func() {
			for r := range rounds {
				parts := make([]string, n)
				for i := range parts {
					parts[i] = strings.Replace(eventtest.Typical, "7f6c9f2e", fmt.Sprintf("%02d%02d%04d", w, r, i), 1)
				}
				batch := []byte("[" + strings.Join(parts, ",") + "]")
				if len(batch) <= 64*len(decoder{}.stopBuf) {
					done <- fmt.Errorf("batch of %d bytes fits the decoder's own index; the test needs the pool", len(batch))
					return
				}
				events, err := DecodeBatch(batch, nil)
				if err != nil || len(events) != n {
					done <- fmt.Errorf("worker %d round %d: %d events, %w", w, r, len(events), err)
					return
				}
				for i := range events {
					if want := fmt.Sprintf("%02d%02d%04d", w, r, i); !strings.HasPrefix(events[i].ID(), want) {
						done <- fmt.Errorf("worker %d round %d event %d: id %q, want prefix %q", w, r, i, events[i].ID(), want)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range workers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
