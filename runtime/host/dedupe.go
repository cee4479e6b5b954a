package host

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// dedupe remembers the (source, id) of acknowledged events for a window,
// at most max of them. It keeps a 128-bit hash of each pair (two
// independent seeds), not the strings: memory stays fixed per entry, a
// record allocates nothing once the table has grown, and a false
// duplicate needs a 128-bit collision.
type dedupe struct {
	mu     sync.Mutex
	window int64 // nanoseconds
	max    int
	seeds  [2]maphash.Seed
	seen   map[[2]uint64]dedupeMark
	ring   []dedupeRec // insertion order; grows to max, then wraps
	head   int         // index of the oldest record
	n      int         // records in ring
	seq    uint64
}

type dedupeMark struct {
	at  int64  // when it was recorded, in ns since the host's epoch
	seq uint64 // which ring record holds it
}

type dedupeRec struct {
	key [2]uint64
	at  int64
	seq uint64
}

func newDedupe(window int64, limit int) *dedupe {
	return &dedupe{
		window: window, max: limit,
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		seen:  make(map[[2]uint64]dedupeMark),
	}
}

func (d *dedupe) key(source, id string) [2]uint64 {
	var k [2]uint64
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(source)))
	for i := range k {
		var h maphash.Hash
		h.SetSeed(d.seeds[i])
		_, _ = h.Write(n[:]) // the length keeps ("ab","c") apart from ("a","bc")
		_, _ = h.WriteString(source)
		_, _ = h.WriteString(id)
		k[i] = h.Sum64()
	}
	return k
}

// contains reports whether (source, id) was recorded less than the window
// before now.
func (d *dedupe) contains(source, id string, now int64) bool {
	k := d.key(source, id)
	d.mu.Lock()
	m, ok := d.seen[k]
	d.mu.Unlock()
	return ok && now-m.at < d.window
}

// record remembers (source, id) as acknowledged at now, forgetting
// expired records and, when full, the oldest.
func (d *dedupe) record(source, id string, now int64) {
	k := d.key(source, id)
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.n > 0 && (d.n >= d.max || now-d.ring[d.head].at >= d.window) {
		r := &d.ring[d.head]
		if m, ok := d.seen[r.key]; ok && m.seq == r.seq {
			delete(d.seen, r.key)
		}
		d.head = (d.head + 1) % len(d.ring)
		d.n--
	}
	d.seq++
	r := dedupeRec{key: k, at: now, seq: d.seq}
	if d.n == len(d.ring) { // full but under max (the loop made room): grow
		ring := make([]dedupeRec, min(max(2*len(d.ring), 64), d.max))
		for i := range d.n {
			ring[i] = d.ring[(d.head+i)%len(d.ring)]
		}
		d.ring, d.head = ring, 0
	}
	d.ring[(d.head+d.n)%len(d.ring)] = r
	d.n++
	d.seen[k] = dedupeMark{at: now, seq: d.seq}
}
