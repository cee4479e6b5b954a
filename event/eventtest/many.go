package eventtest

import (
	"math/rand/v2"
	"slices"
	"strconv"
)

// Orders of the names [ExtensionNames] returns.
const (
	Sorted   = iota // ascending, as encoders write them
	Reversed        // descending: the worst case for inserting in place
	Shuffled        // a fixed pseudo-random permutation
)

// ExtensionNames returns n distinct legal extension names ("x0", "x1",
// …) in the given order, for tests and benchmarks of events with very
// many attributes.
func ExtensionNames(n, order int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "x" + strconv.Itoa(i)
	}
	slices.Sort(names)
	switch order {
	case Reversed:
		slices.Reverse(names)
	case Shuffled:
		r := rand.New(rand.NewPCG(1, uint64(n)))
		r.Shuffle(n, func(i, j int) { names[i], names[j] = names[j], names[i] })
	}
	return names
}

// ManyAttributesJSON returns a valid JSON-format event whose extensions
// have the given names, in that order, each with the value "v".
func ManyAttributesJSON(names []string) []byte {
	b := []byte(`{"specversion":"1.0","id":"many","source":"/many","type":"many.attributes"`)
	for _, n := range names {
		b = append(b, `,"`...)
		b = append(b, n...)
		b = append(b, `":"v"`...)
	}
	return append(b, '}')
}
