package event

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns an event with the four required attributes present: id,
// source and type as given, and specversion set to [SpecVersion]
// (CORE-ATTR-SPECVERSION-3). It is the usual start of an event a program
// produces; set the optional attributes and data with the setters.
//
// New checks nothing: an empty id, a source that is not a URI-reference
// or an empty type come back as given, and [Event.Validate] reports them.
// [NewID] makes an id that keeps source+id unique (CORE-ATTR-ID-3).
//
// The event is a value, as [Event.Clone] returns; it shares no memory
// with anything.
func New(id, source, typ string) Event {
	return Event{
		id: id, source: source, specVersion: SpecVersion, typ: typ,
		set: bitID | bitSource | bitSpecVersion | bitType,
	}
}

// NewID returns a new random UUID (version 4, RFC 9562 section 5.4) in
// its 36-character lower-case text form, such as
// "0b3e8a52-6d0c-4f1e-9a57-3c1d2e4f5a6b". Its 122 random bits come from
// crypto/rand, so ids made anywhere, by any number of producers, do not
// repeat in practice (CORE-ATTR-ID-3, CORE-ATTR-ID-6).
//
// It is safe for concurrent use and allocates only the returned string.
// Senders that have an id of their own (a database key, a message
// sequence number) should use that instead: a re-sent event keeps its id
// (CORE-ATTR-ID-4), which a fresh NewID would break.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // never fails since Go 1.24; it crashes the program instead
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10 (RFC 9562)
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
