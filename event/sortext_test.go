package event

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// randomExtensions returns n extensions with random names over a small
// alphabet and lengths 1 to 20, so that many share their first eight
// bytes and some repeat.
func randomExtensions(r *rand.Rand, n int) []Extension {
	const alphabet = "ab0z9"
	ext := make([]Extension, n)
	for i := range ext {
		name := make([]byte, 1+r.IntN(20))
		for j := range name {
			name[j] = alphabet[r.IntN(len(alphabet))]
		}
		ext[i] = Extension{Name: string(name), Value: Integer(int32(i))}
	}
	return ext
}

// TestSortExtensions: both ways of sorting (comparison and radix) give
// the order of a plain sort by name.
func TestSortExtensions(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 2, 17, radixMin - 1, radixMin, radixMin + 1, 1000, 5000} {
		ext := randomExtensions(r, n)
		want := slices.Clone(ext)
		slices.SortStableFunc(want, compareExt)
		SortExtensions(ext)
		for i := range ext {
			if ext[i].Name != want[i].Name {
				t.Fatalf("n=%d: at %d got %q, want %q", n, i, ext[i].Name, want[i].Name)
			}
		}
		// The same extensions, each once: values travel with names.
		seen := map[int32]bool{}
		for _, x := range ext {
			seen[x.Value.n] = true
		}
		if len(seen) != n {
			t.Fatalf("n=%d: %d distinct extensions after sorting", n, len(seen))
		}
	}
}

// BenchmarkSortExtensions sorts 10, 1k and 100k shuffled names and
// reports the time per extension.
func BenchmarkSortExtensions(b *testing.B) {
	for _, n := range []int{10, 1000, 100_000} {
		names := make([]Extension, n)
		for i := range names {
			names[i] = Extension{Name: "x" + strconv.Itoa(i)}
		}
		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(n, func(i, j int) { names[i], names[j] = names[j], names[i] })
		work := make([]Extension, n)
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				copy(work, names)
				SortExtensions(work)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/ext")
		})
	}
}
