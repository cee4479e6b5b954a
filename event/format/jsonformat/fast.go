package jsonformat

import (
	"math/bits"

	"github.com/openevents/openevents/event"
)

// The member names of almost every event, each with its closing quote, as
// little-endian words: the first byte of the name is the lowest byte.
const (
	wordID      = 'i' | 'd'<<8 | '"'<<16
	wordType    = 't' | 'y'<<8 | 'p'<<16 | 'e'<<24 | '"'<<32
	wordTime    = 't' | 'i'<<8 | 'm'<<16 | 'e'<<24 | '"'<<32
	wordData    = 'd' | 'a'<<8 | 't'<<16 | 'a'<<24 | '"'<<32
	wordSource  = 's' | 'o'<<8 | 'u'<<16 | 'r'<<24 | 'c'<<32 | 'e'<<40 | '"'<<48
	wordSubject = 's' | 'u'<<8 | 'b'<<16 | 'j'<<24 | 'e'<<32 | 'c'<<40 | 't'<<48 | '"'<<56
	wordSpecver = 's' | 'p'<<8 | 'e'<<16 | 'c'<<24 | 'v'<<32 | 'e'<<40 | 'r'<<48 | 's'<<56 // + "ion\""
	wordIon     = 'i' | 'o'<<8 | 'n'<<16 | '"'<<24
	wordDatacon = 'd' | 'a'<<8 | 't'<<16 | 'a'<<24 | 'c'<<32 | 'o'<<40 | 'n'<<48 | 't'<<56 // + "enttype\""
	wordEnttype = 'e' | 'n'<<8 | 't'<<16 | 't'<<24 | 'y'<<32 | 'p'<<40 | 'e'<<48 | '"'<<56
	wordDatasch = 'd' | 'a'<<8 | 't'<<16 | 'a'<<24 | 's'<<32 | 'c'<<40 | 'h'<<48 | 'e'<<56 // + "ma\""
	wordMa      = 'm' | 'a'<<8 | '"'<<16
	wordTracepa = 't' | 'r'<<8 | 'a'<<16 | 'c'<<24 | 'e'<<32 | 'p'<<40 | 'a'<<48 | 'r'<<56 // + "ent\""
	wordEnt     = 'e' | 'n'<<8 | 't'<<16 | '"'<<24

	mask3 = 1<<24 - 1
	mask4 = 1<<32 - 1
	mask5 = 1<<40 - 1
	mask7 = 1<<56 - 1
)

// fastMembers decodes the members of the event object whose '{' is just
// before d.pos, when they have the shape of almost every event: core
// attributes and data under their plain names, each at most once, core
// values that are strings without escapes, extensions with legal plain
// names whose values are strings without escapes, booleans or integers of
// up to nine digits, each at most once, and data that skipValue accepts.
// It then sets e's attributes and extensions, fills o, leaves d.pos after
// the closing '}' and returns true.
//
// For anything else it returns false, having changed nothing but e's
// attributes and the unused capacity of ext: the caller resets e and
// decodes the object again by the general path, which finds and reports
// whatever made this one give up. So this path never reports an error,
// and an event it accepts is the event the general path would build, with
// the same offsets in o (TestFastPathAgrees).
func (d *decoder) fastMembers(e *event.Event, ext []event.Extension, o *object) bool {
	// The fast path reads the arena rather than the input: the strings
	// it keeps point into the arena, and one slice fewer leaves more
	// registers for the loop. The arena equals the input from this
	// object on, as nothing writes an arena region before its value is
	// decoded (d.arena), and this path writes nothing.
	in := d.arena
	stops := d.stops()
	i := d.pos
	seen := uint16(0) // o.seen, kept here until the end
	for {
		var c byte     // the byte at i
		var valPos int // where the value starts
		// A member name.
		if i >= len(in) {
			return false
		}
		if c = in[i]; c != '"' {
			if c > ' ' {
				return false
			}
			if i = skipWS(in, i); i >= len(in) || in[i] != '"' {
				return false
			}
		}
		var w, w2 uint64 // in[i+1:i+17] as little-endian words
		if len(in)-i > 16 {
			b := in[i+1 : i+17 : i+17] // one bounds check for both words
			w, w2 = load64At(b, 0), load64At(b, 8)
		} else {
			// Near the end of the input: zeros for the missing bytes.
			// Every known name word ends in a quote, so they never
			// complete a match.
			for k := i + 1; k < len(in); k++ {
				if s := uint(k-i-1) * 8; s < 64 {
					w |= uint64(in[k]) << s
				} else {
					w2 |= uint64(in[k]) << (s - 64)
				}
			}
		}
		idx := -1
		switch byte(w) {
		case 's':
			switch {
			case w == wordSpecver && w2&mask4 == wordIon:
				idx, i = 0, i+13
			case w&mask7 == wordSource:
				idx, i = 2, i+8
			case w == wordSubject:
				idx, i = 6, i+9
			}
		case 'i':
			if w&mask3 == wordID {
				idx, i = 1, i+4
			}
		case 't':
			switch {
			case w&mask5 == wordType:
				idx, i = 3, i+6
			case w&mask5 == wordTime:
				idx, i = 7, i+6
			case w == wordTracepa && w2&mask4 == wordEnt:
				// The most common extension: its name needs no check.
				if i = d.fastExtension(&ext, i, i+12); i < 0 {
					return false
				}
				goto next
			}
		case 'd':
			switch {
			case w&mask5 == wordData:
				idx, i = memberData, i+6
			case w == wordDatacon && w2 == wordEnttype:
				idx, i = 4, i+17
			case w == wordDatasch && w2&mask3 == wordMa:
				idx, i = 5, i+12
			}
		}
		if idx < 0 {
			if i = d.fastExtension(&ext, i, -1); i < 0 {
				return false
			}
			goto next
		}
		// The colon and the value's first byte.
		if i < len(in) && in[i] == ':' {
			i++
		} else {
			if i = skipWS(in, i); i >= len(in) || in[i] != ':' {
				return false
			}
			i++
		}
		if i >= len(in) {
			return false
		}
		c = in[i]
		if c <= ' ' {
			if i = skipWS(in, i); i >= len(in) {
				return false
			}
			c = in[i]
		}
		valPos = i
		switch idx {
		case memberData:
			if o.seenMisc&seenData != 0 {
				return false
			}
			end, ok := skipValue(in, i)
			if !ok {
				return false
			}
			o.seenMisc |= seenData
			o.data = span{valPos, end, true}
			i = end
		default:
			bit := uint16(1) << (idx & 7) // idx < 8 here; the mask spares checks
			if c != '"' || seen&bit != 0 {
				return false
			}
			end := stopInWord(stops, i+1)
			if end < 0 || in[end] != '"' {
				end = plainString(in, stops, i+1, end)
			}
			if end < 0 {
				return false
			}
			seen |= bit
			o.offsets[idx&7] = valPos
			setCore(e, idx, d.view(i+1, end))
			i = end + 1
		}
		// After the value: the next member or the end of the object.
	next:
		if i >= len(in) {
			return false
		}
		c = in[i]
		if c <= ' ' {
			if i = skipWS(in, i); i >= len(in) {
				return false
			}
			c = in[i]
		}
		switch c {
		case ',':
			i++
			continue
		case '}':
			d.pos = i + 1
			o.seen = seen
			if len(ext) > 0 {
				e.SetSortedExtensions(ext)
			}
			return true
		}
		return false
	}
}

// fastExtension is fastMembers for the extension member whose name's
// opening quote is in[i]: a legal plain name (plainName; end is the index
// of its closing quote when the caller has matched the name, else -1), a
// colon, and a string without escapes, a boolean or a small integer. It
// inserts the extension into *ext, kept sorted, and returns the index
// after the value, or -1 for any other name or value, a repeated name, a
// name that would move more than fastShiftMax others, or an event near
// the attribute limit, all of which the general path handles (it sorts
// once, so any order costs linear time, and reports repeats and the
// limit). It is a method of its own, apart from
// the loop over the members, to keep that loop's variables in registers.
// fastShiftMax bounds the extensions one out-of-order name may move in
// the fast path, which keeps its cost per member constant.
const fastShiftMax = 16

func (d *decoder) fastExtension(ext *[]event.Extension, i, end int) int {
	in := d.arena // as in fastMembers
	start := i + 1
	if end < 0 {
		if end = plainName(in, start); end < 0 {
			return -1
		}
	}
	name := d.view(start, end)
	if i = end + 1; i >= len(in) || in[i] != ':' {
		if i = skipWS(in, i); i >= len(in) || in[i] != ':' {
			return -1
		}
	}
	if i++; i < len(in) && in[i] <= ' ' {
		i = skipWS(in, i)
	}
	if i >= len(in) {
		return -1
	}
	var v event.Value
	switch c := in[i]; c {
	case '"':
		stops := d.stops()
		e := stopInWord(stops, i+1)
		if e < 0 || in[e] != '"' {
			e = plainString(in, stops, i+1, e)
		}
		if e < 0 {
			return -1
		}
		v = event.String(d.view(i+1, e))
		i = e + 1
	case 't':
		if i = literalEnd(in, i, "true"); i < 0 {
			return -1
		}
		v = event.Boolean(true)
	case 'f':
		if i = literalEnd(in, i, "false"); i < 0 {
			return -1
		}
		v = event.Boolean(false)
	default:
		n, e := smallInteger(in, i)
		if e < 0 {
			return -1
		}
		v = event.Integer(n)
		i = e
	}
	x := *ext
	if len(x)+8 >= d.maxAttrs { // eight core attributes at most precede
		return -1
	}
	at := len(x)
	for at > 0 && x[at-1].Name > name {
		// Placing a name out of order shifts the names after it: a few
		// are cheap; more go to the general path, which sorts once.
		if at--; len(x)-at > fastShiftMax {
			return -1
		}
	}
	if at > 0 && x[at-1].Name == name {
		return -1
	}
	if at == len(x) {
		x = append(x, event.Extension{Name: name, Value: v})
	} else {
		x = append(x, event.Extension{})
		copy(x[at+1:], x[at:])
		x[at] = event.Extension{Name: name, Value: v}
	}
	*ext = x
	return i
}

// plainString returns the index of the closing quote of the string whose
// contents start at in[i], or -1 if the string is malformed or holds an
// escape; stops is in's stop index, and j is stopInWord(stops, i), which
// the caller has tried first (it finds most closing quotes without a
// call). A string without escapes is taken exactly as scanString takes
// it, UTF-8 included: the first stop byte is the closing quote, or
// scanString decides.
func plainString(in []byte, stops []uint64, i, j int) int {
	if j < 0 {
		j = nextStopFrom(stops, i>>6+1)
	}
	if j >= 0 && in[j] == '"' {
		return j
	}
	return scanEnd(in, i)
}

// stopInWord returns the index of the first stop byte at or after i in
// i's word of the stop index, or -1 if there is none.
func stopInWord(stops []uint64, i int) int {
	if k := i >> 6; k < len(stops) {
		if w := stops[k] >> (i & 63); w != 0 {
			return i + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// scanEnd is plainString's general case: scanString decides, and an
// escape takes the general path.
func scanEnd(in []byte, start int) int {
	end, escaped := scanString(in, start)
	if escaped {
		return -1
	}
	return end
}

// plainName returns the index of the closing quote of the member name whose
// contents start at in[i] when they are one or more of a-z and 0-9 (a legal
// attribute name, CORE-NAMING-1, with nothing to unescape), or -1.
func plainName(in []byte, i int) int {
	for j := i; j+8 <= len(in); j += 8 {
		w := load64At(in, j)
		// The high bit of each byte of ok is set when the byte is a-z or
		// 0-9; on the low seven bits no sum carries into the next byte,
		// and &^ w rules out bytes >= 0x80.
		t := w & (0x7f * ones)
		letter := (t + (0x80-'a')*ones) &^ (t + (0x7f-'z')*ones)
		digit := (t + (0x80-'0')*ones) &^ (t + (0x7f-'9')*ones)
		if other := ^(letter | digit) & highs; other != 0 || w&highs != 0 {
			other |= w & highs
			k := bits.TrailingZeros64(other)
			if end := j + k>>3; byte(w>>(uint(k)-7)) == '"' && end > i {
				return end
			}
			return -1
		}
	}
	for j := i + (len(in)-i)&^7; j < len(in); j++ { // the last few bytes
		switch c := in[j]; {
		case c == '"' && j > i:
			return j
		case c-'a' >= 26 && c-'0' >= 10:
			return -1
		}
	}
	return -1
}

// smallInteger reads the JSON number at in[i] when it is an integer of one
// to nine digits (so within int32) with an optional minus sign, and
// returns it and the index after it; end is -1 for any other number or
// value, which the general path decodes or reports.
func smallInteger(in []byte, i int) (n int32, end int) {
	neg := false
	if i < len(in) && in[i] == '-' {
		neg = true
		i++
	}
	j := i
	for j < len(in) && j-i < 10 && in[j]-'0' < 10 {
		n = n*10 + int32(in[j]-'0')
		j++
	}
	// One to nine digits, no leading zero, and no fraction or exponent
	// after them.
	if j == i || j-i > 9 || in[i] == '0' && j-i > 1 || j < len(in) && (in[j] == '.' || in[j]|0x20 == 'e') {
		return 0, -1
	}
	if neg {
		n = -n
	}
	return n, j
}
