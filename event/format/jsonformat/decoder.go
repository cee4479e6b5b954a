package jsonformat

import (
	"unsafe"

	"github.com/openevents/openevents/event"
)

// A Decoder decodes as [Decode] and [DecodeBatch] do, with the same
// results and errors, but keeps its buffers from one call to the next, so
// that once it has seen inputs of a size it decodes them without
// allocating. The price is the lifetime of what it returns: the strings,
// data and extensions of the events decoded by one call live in the
// Decoder's buffers, and the next call overwrites them. Use a Decoder
// where each event is done with, or copied with [event.Event.Clone],
// before the next call, as in a receive loop; use Decode and DecodeBatch
// otherwise.
//
// The zero value is ready to use. A Decoder must not be used by two
// goroutines at once. It keeps buffers of up to 1 MiB of input; larger
// inputs get buffers of their own, as with DecodeBatch, and so does an
// input that lies in the Decoder's buffer (the data of an event it has
// decoded, say), which reusing the buffer would overwrite.
type Decoder struct {
	// MaxAttributes is the most attributes (core and extension, null
	// ones included) one event may have; a larger event is refused with
	// an [*event.AttributeLimitError]. 0 means
	// [event.DefaultMaxAttributes], the limit of [Decode] and
	// [DecodeBatch].
	MaxAttributes int

	arena []byte
	ext   []event.Extension
}

// Buffers over these sizes are left to the collector rather than kept.
const (
	maxKeptArena = 1 << 20
	maxKeptExt   = 1 << 12
)

// Decode is [Decode] with dec's buffers: e's strings and data are valid
// until dec's next call.
func (dec *Decoder) Decode(b []byte, e *event.Event) error {
	var d decoder
	d.arena, d.maxAttrs = dec.reusable(b), dec.MaxAttributes
	d.init(b)
	err := d.decode(b, e)
	d.release()
	dec.keep(&d)
	return err
}

// DecodeBatch is [DecodeBatch] with dec's buffers: the events' strings,
// data and extensions are valid until dec's next call.
func (dec *Decoder) DecodeBatch(b []byte, dst []event.Event) ([]event.Event, error) {
	var d decoder
	d.arena, d.extPool, d.maxAttrs = dec.reusable(b), dec.ext, dec.MaxAttributes
	d.init(b)
	dst, err := d.decodeBatch(b, dst)
	d.release()
	dec.keep(&d)
	return dst, err
}

// reusable returns dec's kept arena, or nil when b lies in it (the data of
// an event dec decoded, say): copying b into the arena would overwrite b
// as it is read, so such an input gets an arena of its own.
func (dec *Decoder) reusable(b []byte) []byte {
	a := dec.arena[:cap(dec.arena)]
	if len(a) == 0 || len(b) == 0 {
		return dec.arena
	}
	aStart, bStart := uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&b[0]))
	if bStart < aStart+uintptr(len(a)) && aStart < bStart+uintptr(len(b)) {
		return nil
	}
	return dec.arena
}

// keep takes d's buffers for the next call, unless they are too large.
func (dec *Decoder) keep(d *decoder) {
	if cap(d.arena) <= maxKeptArena {
		dec.arena = d.arena[:0]
	}
	// The first chunk of extensions was dec.ext; if the batch needed
	// more, the next gets one chunk for them all.
	if d.extUsed > cap(dec.ext) && d.extUsed <= maxKeptExt {
		dec.ext = make([]event.Extension, 0, d.extUsed)
	}
}
