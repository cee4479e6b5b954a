package event

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"
)

// SortExtensions sorts ext by name, for decoders that collect extensions
// in the order the input gives them. Up to a few hundred it is an
// ordinary comparison sort; beyond, it sorts by the first eight bytes of
// each name with a radix sort (linear time), then by the whole name among
// names that share those bytes, so that the time per extension stays
// nearly flat as their number grows (BenchmarkSortExtensions).
func SortExtensions(ext []Extension) {
	if len(ext) < radixMin {
		slices.SortFunc(ext, compareExt)
		return
	}
	buf, _ := recPool.Get().(*[]rec) // the pool holds *[]rec only
	if buf == nil {
		buf = new([]rec)
	}
	defer recPool.Put(buf)
	if cap(*buf) < 2*len(ext) {
		*buf = make([]rec, 2*len(ext))
	}
	a, b := (*buf)[:len(ext)], (*buf)[len(ext):2*len(ext)]
	for i := range ext {
		a[i] = rec{prefixKey(ext[i].Name), uint32(i)}
	}
	// Least significant byte first; a byte all keys share is skipped.
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		clear(count[:])
		for _, r := range a {
			count[byte(r.key>>shift)]++
		}
		if count[byte(a[0].key>>shift)] == len(a) {
			continue
		}
		pos := 0
		for k, c := range count {
			count[k] = pos
			pos += c
		}
		for _, r := range a {
			k := byte(r.key >> shift)
			b[count[k]] = r
			count[k]++
		}
		a, b = b, a
	}
	// Move each extension to its place (ext[i] = old ext[a[i].at]) in
	// place, one cycle of the permutation at a time; done marks the
	// places filled.
	const done = ^uint32(0)
	for i := range a {
		if a[i].at == done || a[i].at == uint32(i) {
			continue
		}
		held := ext[i]
		j := i
		for {
			k := int(a[j].at)
			a[j].at = done
			if k == i {
				ext[j] = held
				break
			}
			ext[j] = ext[k]
			j = k
		}
	}
	// Names longer than eight bytes may share a key: order each run of
	// equal keys by the whole name.
	for i := 0; i < len(a); {
		j := i + 1
		for j < len(a) && a[j].key == a[i].key {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(ext[i:j], compareExt)
		}
		i = j
	}
}

// rec is one name's sort key: its first eight bytes, big-endian and
// zero-padded, and its index in the slice being sorted.
type rec struct {
	key uint64
	at  uint32
}

// recPool keeps the radix sort's key buffers from one sort to the next
// (the collector takes them back when they sit idle).
var recPool = sync.Pool{New: func() any { return new([]rec) }}

// radixMin is the length from which SortExtensions sorts by radix.
const radixMin = 256

func compareExt(a, b Extension) int { return strings.Compare(a.Name, b.Name) }

// prefixKey packs the first eight bytes of s big-endian, zero-padded, so
// that keys compare as the prefixes do (a shorter prefix first).
func prefixKey(s string) uint64 {
	if len(s) >= 8 {
		return binary.BigEndian.Uint64([]byte(s[:8]))
	}
	var k uint64
	for i := 0; i < 8; i++ {
		k <<= 8
		if i < len(s) {
			k |= uint64(s[i])
		}
	}
	return k
}
