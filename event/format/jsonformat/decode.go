package jsonformat

import (
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/openevents/openevents/event"
)

// Decode parses one event in the JSON format (application/cloudevents+json)
// into e, replacing what e held. It returns nil, a [*SyntaxError], or an
// [*event.ValidationError] listing every violation found. On error, e holds
// what could be decoded, for diagnostics only.
//
// Decode does not retain b. It allocates one buffer for the event's strings
// and data, and an extension slice unless e already has the capacity.
func Decode(b []byte, e *event.Event) error {
	var d decoder
	d.init(b)
	err := d.decode(b, e)
	d.release()
	return err
}

// decode is Decode on an initialised decoder.
func (d *decoder) decode(b []byte, e *event.Event) error {
	e.Reset()
	ext := e.Extensions()[:0]
	if err := d.event(e, ext, -1); err != nil {
		return err
	}
	d.ws()
	if d.pos != len(b) {
		return d.errAt(d.pos, "JSON-SYNTAX-1", "data after the event object")
	}
	return d.result()
}

// DecodeBatch parses a batch (application/cloudevents-batch+json, a JSON
// array of events) and appends the events to dst. It returns the extended
// slice and nil, a [*SyntaxError], or an [*event.ValidationError] whose
// violation pointers start with the index of the event ("/3/subject").
// An empty array is a valid, empty batch (JSON-BATCH-1).
//
// DecodeBatch does not retain b. The strings and data of all events share
// one buffer, and their extensions share a few slices (each event's slice
// is capped, so appending to one never touches another).
func DecodeBatch(b []byte, dst []event.Event) ([]event.Event, error) {
	var d decoder
	d.init(b)
	dst, err := d.decodeBatch(b, dst)
	d.release()
	return dst, err
}

// decodeBatch is DecodeBatch on an initialised decoder.
func (d *decoder) decodeBatch(b []byte, dst []event.Event) ([]event.Event, error) {
	if d.peek() != '[' {
		return dst, d.errAt(d.pos, "JSON-BATCH-3", "a batch must be a JSON array of events")
	}
	d.pos++
	pool := d.extPool[:0]
	if d.peek() == ']' {
		d.pos++
	} else {
		for i := 0; ; i++ {
			if d.peek() != '{' {
				start := d.pos
				if err := d.value(); err != nil {
					return dst, err
				}
				d.violate("JSON-BATCH-3", "", "/"+strconv.Itoa(i), start, "a batch element must be a JSON object (an event)")
			} else {
				dst = append(dst, event.Event{})
				e := &dst[len(dst)-1]
				if len(pool) == cap(pool) {
					pool = make([]event.Extension, 0, 64)
				}
				base := len(pool)
				if err := d.event(e, pool[base:base], i); err != nil {
					return dst, err
				}
				// d.event appended into pool's backing array when it
				// fitted; otherwise it grew its own slice.
				if x := e.Extensions(); len(x) > 0 && cap(pool)-base >= len(x) && &pool[:base+1][base] == &x[0] {
					pool = pool[:base+len(x)]
					e.SetSortedExtensions(pool[base : base+len(x) : base+len(x)])
					d.extUsed += len(x)
				}
			}
			switch d.peek() {
			case ',':
				d.pos++
				continue
			case ']':
				d.pos++
			default:
				return dst, d.unexpected("',' or ']'")
			}
			break
		}
	}
	d.ws()
	if d.pos != len(b) {
		return dst, d.errAt(d.pos, "JSON-SYNTAX-1", "data after the batch array")
	}
	return dst, d.result()
}

// decoder holds the state of one Decode or DecodeBatch call.
type decoder struct {
	scanner
	// batchVersion is the specversion of the first event of a batch.
	batchVersion string
	// maxAttrs is the limit on attributes per event (init sets the
	// default when it is 0).
	maxAttrs int
	// arena is a copy of the input that holds every string and data of
	// the decoded events: a value without escapes is a view of its own
	// bytes in the copy, and an escaped string or base64 text is decoded
	// over its own raw bytes there, which it never outgrows (the general
	// path reads from in; the fast path reads the arena, but only ahead
	// of anything written). One copy replaces a copy per value; the arena
	// is never reallocated during a call, no region is written after a
	// string or slice points into it, and regions never overlap. A
	// [Decoder] sets arena to its kept buffer before init, which reuses
	// it when it is large enough.
	arena []byte
	// extPool is the first chunk of a batch's extensions (a Decoder's
	// kept one, else none); extUsed counts the extensions put in chunks.
	extPool []event.Extension
	extUsed int
	// The input's stop index (stops.go) is stopBuf[:nStops] when it
	// fits there, else (*pooled)[:nStops], from stopsPool.
	stopBuf [32]uint64
	nStops  int
	pooled  *[]uint64
	vs      []event.Violation
	// general turns fastMembers off, for the tests that compare it with
	// the general path.
	general bool
}

// init prepares d for input b.
func (d *decoder) init(b []byte) {
	d.in = b
	d.maxAttrs = event.MaxAttributesOr(d.maxAttrs)
	if cap(d.arena) >= len(b) { // a Decoder's buffer
		d.arena = d.arena[:len(b)]
		copy(d.arena, b)
	} else {
		arena := make([]byte, len(b)) // with the copy below: no zeroing
		copy(arena, b)
		d.arena = arena
	}
	n := stopWords(len(b))
	d.nStops, d.pooled = n, nil
	if n > len(d.stopBuf) {
		p, _ := stopsPool.Get().(*[]uint64)
		if p == nil || cap(*p) < n {
			s := make([]uint64, n)
			p = &s
		}
		d.pooled = p
	}
	buildStops(b, d.stops())
}

// stopsPool recycles the stop indexes of inputs too large for a decoder's
// stopBuf: no decoded event points into an index, so it can serve the
// next decode. Indexes of inputs over 4 MiB are left to the collector.
var stopsPool sync.Pool // of *[]uint64

// release returns d's stop index to stopsPool; d is done.
func (d *decoder) release() {
	if p := d.pooled; p != nil && cap(*p) <= 1<<16 {
		d.pooled = nil
		stopsPool.Put(p)
	}
}

// stops returns the input's stop index. Kept in the decoder rather than
// in a slice field pointing into it, so that a decoder stays on its
// caller's stack (the index of inputs up to 2 KiB costs no allocation).
func (d *decoder) stops() []uint64 {
	if d.pooled != nil {
		return (*d.pooled)[:d.nStops]
	}
	return d.stopBuf[:d.nStops]
}

func (d *decoder) result() error {
	if len(d.vs) > 0 {
		return &event.ValidationError{Violations: d.vs}
	}
	return nil
}

func (d *decoder) violate(rule, attr, pointer string, offset int, msg string) {
	d.vs = append(d.vs, event.Violation{Rule: rule, Attribute: attr, Pointer: pointer, Offset: int64(offset), Message: msg})
}

// view returns arena[start:end] as a string: the value whose raw bytes
// in the input are in[start:end] and hold no escape.
func (d *decoder) view(start, end int) string {
	if start == end {
		return ""
	}
	return unsafe.String(&d.arena[start], end-start)
}

// keepString returns the string whose raw span (without quotes) is
// in[start:end], decoding escapes in place in the arena. It reports a
// lone surrogate escape.
func (d *decoder) keepString(start, end int, escaped bool) (string, bool) {
	if !escaped {
		return d.view(start, end), false
	}
	out, lone := unescape(d.arena[start:start:end], d.in[start:end])
	return view(out), lone
}

// keepName returns an extension name (nameRaw, unescaped if escaped)
// whose raw span starts at in[at] as an arena string.
func (d *decoder) keepName(at int, nameRaw []byte, escaped bool) string {
	if escaped {
		copy(d.arena[at:], nameRaw) // no longer than its raw span
	}
	return d.view(at, at+len(nameRaw))
}

// span is a value's place in the input.
type span struct {
	start, end int // the value itself, quotes included for strings
	present    bool
}

// event-local bits for duplicate detection of members that are not
// attributes held in the event.
const (
	seenData = 1 << iota
	seenBase64
)

// coreIndex maps core attribute names to a small index for offsets and
// duplicate detection.
func coreIndex(name string) int {
	switch name {
	case event.AttrSpecVersion:
		return 0
	case event.AttrID:
		return 1
	case event.AttrSource:
		return 2
	case event.AttrType:
		return 3
	case event.AttrDataContentType:
		return 4
	case event.AttrDataSchema:
		return 5
	case event.AttrSubject:
		return 6
	case event.AttrTime:
		return 7
	}
	return -1
}

func setCore(e *event.Event, i int, v string) {
	switch i {
	case 0:
		e.SetSpecVersion(v)
	case 1:
		e.SetID(v)
	case 2:
		e.SetSource(v)
	case 3:
		e.SetType(v)
	case 4:
		e.SetDataContentType(v)
	case 5:
		e.SetDataSchema(v)
	case 6:
		e.SetSubject(v)
	case 7:
		e.SetTime(v)
	}
}

var coreNames = [8]string{
	event.AttrSpecVersion, event.AttrID, event.AttrSource, event.AttrType,
	event.AttrDataContentType, event.AttrDataSchema, event.AttrSubject, event.AttrTime,
}

// object holds what one event's members told the decoder beyond the event.
type object struct {
	index    int      // index in the batch, or -1
	offsets  [8]int   // value offsets of core attributes, 0 if absent
	seen     uint16   // core attributes seen (incl. null), bit per index
	seenMisc uint8    // seenData, seenBase64
	data     span     // the data member
	base64   span     // the data_base64 member
	nulls    []string // extension names seen with null values
	// attrs counts the attribute members (core, extension, null or
	// misnamed), against the decoder's limit.
	attrs int
	// deferred is set once a name arrives out of order (or nulls grow
	// many): from then on names are only appended, and the object's end
	// sorts them once and finds repeats among neighbours (repeatedName),
	// so that any order decodes in O(n log n) time.
	deferred bool
	start    int // offset of the object's '{'
}

// event decodes one JSON object into e; ext is the slice extensions are
// appended to.
func (d *decoder) event(e *event.Event, ext []event.Extension, index int) error {
	if d.pos < len(d.in) && d.in[d.pos] == '{' { // compact JSON
		d.pos++
	} else if err := d.expect('{', "'{' (an event is a JSON object)"); err != nil {
		return err
	}
	o := object{index: index, start: d.pos - 1}
	if !d.general {
		start := d.pos
		if d.fastMembers(e, ext, &o) {
			return d.finish(e, &o)
		}
		// Not the common shape: start the object again, by the general
		// path, from a clean event.
		e.Reset()
		o = object{index: index, start: start - 1}
		d.pos = start
	}
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			var err error
			if ext, err = d.member(e, ext, &o); err != nil {
				return err
			}
			switch d.peek() {
			case ',':
				d.pos++
				continue
			case '}':
				d.pos++
			default:
				return d.unexpected("',' or '}'")
			}
			break
		}
	}
	if o.deferred {
		if name, ok := repeatedName(ext, o.nulls); ok {
			return d.errAt(o.start, "JSON-SYNTAX-3", "member "+strconv.Quote(name)+" appears twice in the event object")
		}
	}
	if len(ext) > 0 {
		e.SetSortedExtensions(ext)
	}
	return d.finish(e, &o)
}

// Member indexes beyond the core attributes (0..7, as coreIndex).
const (
	memberData       = 8
	memberDataBase64 = 9
)

// knownName recognises the member names of almost every event without the
// general string scan: at in[i], just after the opening quote, the bytes of
// a core attribute name or "data" followed by the closing quote. Such a
// string can only be that name (none of its bytes is an escape, a control
// or a non-ASCII byte), so nothing the general path checks is skipped. It
// returns the member index and the index of the closing quote, or -1 for
// any other name, escaped ones included, which take the general path.
func knownName(in []byte, i int) (index, end int) {
	if len(in)-i < 16 { // the longest name and its quote; else the general path
		return -1, 0
	}
	b := in[i : i+16]
	switch b[0] {
	case 's':
		switch {
		case string(b[:12]) == `specversion"`:
			return 0, i + 11
		case string(b[:7]) == `source"`:
			return 2, i + 6
		case string(b[:8]) == `subject"`:
			return 6, i + 7
		}
	case 'i':
		if string(b[:3]) == `id"` {
			return 1, i + 2
		}
	case 't':
		switch string(b[:5]) {
		case `type"`:
			return 3, i + 4
		case `time"`:
			return 7, i + 4
		}
	case 'd':
		switch {
		case string(b[:5]) == `data"`:
			return memberData, i + 4
		case string(b[:16]) == `datacontenttype"`:
			return 4, i + 15
		case string(b[:11]) == `dataschema"`:
			return 5, i + 10
		}
	}
	return -1, 0
}

// memberIndex is knownName for a name found by the general path.
func memberIndex(name string) int {
	switch name {
	case "data":
		return memberData
	case "data_base64":
		return memberDataBase64
	}
	return coreIndex(name)
}

// member decodes one "name": value pair.
func (d *decoder) member(e *event.Event, ext []event.Extension, o *object) ([]event.Extension, error) {
	if d.peek() != '"' {
		return ext, d.unexpected("a member name")
	}
	namePos := d.pos
	idx, ne := knownName(d.in, namePos+1)
	if idx < 0 {
		return d.otherMember(e, ext, o)
	}
	d.pos = ne + 1
	if d.pos < len(d.in) && d.in[d.pos] == ':' { // compact JSON
		d.pos++
	} else if err := d.expect(':', "':' after the member name"); err != nil {
		return ext, err
	}
	return ext, d.knownMember(e, o, idx, namePos)
}

// otherMember is member for a name knownName did not recognise: the
// general scan, unescaping, and extensions.
func (d *decoder) otherMember(e *event.Event, ext []event.Extension, o *object) ([]event.Extension, error) {
	ns, ne, escaped, err := d.str()
	if err != nil {
		return ext, err
	}
	nameRaw := d.in[ns:ne]
	var nameBuf [64]byte
	if escaped {
		nameRaw, _ = unescape(nameBuf[:0], nameRaw)
	}
	if err := d.expect(':', "':' after the member name"); err != nil {
		return ext, err
	}
	if idx := memberIndex(view(nameRaw)); idx >= 0 {
		return ext, d.knownMember(e, o, idx, ns-1)
	}
	if d.peek() == 0 && d.pos >= len(d.in) {
		return ext, d.unexpected("a value")
	}
	return d.extension(ext, nameRaw, ns, escaped, d.pos, o)
}

// knownMember decodes the value of a core attribute, data or data_base64
// (idx as memberIndex) whose name starts at namePos; pos is after the colon.
func (d *decoder) knownMember(e *event.Event, o *object, idx, namePos int) error {
	if d.peek() == 0 && d.pos >= len(d.in) {
		return d.unexpected("a value")
	}
	valPos := d.pos
	switch {
	case idx < len(coreNames):
		if o.seen&(1<<idx) != 0 {
			return d.duplicate(namePos, coreNames[idx])
		}
		if o.attrs++; o.attrs > d.maxAttrs {
			return &event.AttributeLimitError{Max: d.maxAttrs, Offset: int64(namePos)}
		}
		o.seen |= 1 << idx
		o.offsets[idx] = valPos
		// Most values are strings without escapes: taken here, the rest
		// (scanned again) by coreAttr.
		if d.in[valPos] == '"' {
			if end, escaped := scanString(d.in, valPos+1); end >= 0 && !escaped {
				d.pos = end + 1
				setCore(e, idx, d.view(valPos+1, end))
				return nil
			}
		}
		return d.coreAttr(e, idx, o)
	case idx == memberData:
		if o.seenMisc&seenData != 0 {
			return d.duplicate(namePos, "data")
		}
		o.seenMisc |= seenData
		if err := d.value(); err != nil {
			return err
		}
		o.data = span{valPos, d.pos, true}
		return nil
	}
	// data_base64
	if o.seenMisc&seenBase64 != 0 {
		return d.duplicate(namePos, "data_base64")
	}
	o.seenMisc |= seenBase64
	switch d.in[valPos] {
	case 'n':
		return d.literal("null")
	case '"':
		if _, _, _, err := d.str(); err != nil {
			return err
		}
		o.base64 = span{valPos, d.pos, true}
		return nil
	}
	if err := d.value(); err != nil {
		return err
	}
	d.violate("JSON-DATA-2", "data_base64", o.pointer("data_base64"), valPos, "data_base64 must be a JSON string (base64)")
	return nil
}

func (d *decoder) duplicate(pos int, name string) error {
	return d.errAt(pos, "JSON-SYNTAX-3", "member "+strconv.Quote(name)+" appears twice")
}

// view returns b as a string without copying, for lookups that end before
// b changes.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// coreAttr decodes the value of core attribute i: a JSON string or null.
func (d *decoder) coreAttr(e *event.Event, i int, o *object) error {
	switch d.in[d.pos] {
	case '"':
		start := d.pos + 1
		end, escaped := scanString(d.in, start)
		if end < 0 {
			return d.strError(start)
		}
		d.pos = end + 1
		v, lone := d.keepString(start, end, escaped)
		if lone {
			name := coreNames[i]
			d.violate("CORE-TYPE-STRING-3", name, o.pointer(name), start-1, "holds an unpaired surrogate escape")
		}
		setCore(e, i, v)
		return nil
	case 'n':
		return d.literal("null") // JSON-TYPE-2: null means absent
	}
	start := d.pos
	if err := d.value(); err != nil {
		return err
	}
	name := coreNames[i]
	d.violate("JSON-TYPE-1", name, o.pointer(name), start, "must be a JSON string, got "+jsonKind(d.in[start]))
	return nil
}

// extension decodes an extension member.
// The name (nameRaw, unescaped if escaped) starts at in[nameAt].
func (d *decoder) extension(ext []event.Extension, nameRaw []byte, nameAt int, escaped bool, valPos int, o *object) ([]event.Extension, error) {
	if o.attrs++; o.attrs > d.maxAttrs {
		return ext, &event.AttributeLimitError{Max: d.maxAttrs, Offset: int64(nameAt - 1)}
	}
	name := view(nameRaw)
	if !event.ValidName(name) {
		if err := d.value(); err != nil {
			return ext, err
		}
		rule, msg := "CORE-NAMING-1", "is not a legal attribute name (only a-z and 0-9)"
		if len(nameRaw) == 0 {
			rule, msg = "CORE-NAMING-5", "an attribute name cannot be empty"
		}
		d.violate(rule, string(nameRaw), o.pointer(string(nameRaw)), valPos, msg)
		return ext, nil
	}
	if o.repeated(ext, name) {
		return ext, d.errAt(valPos, "JSON-SYNTAX-3", "member "+strconv.Quote(name)+" appears twice")
	}
	var v event.Value
	switch c := d.in[valPos]; c {
	case '"':
		start, end, strEscaped, err := d.str()
		if err != nil {
			return ext, err
		}
		s, lone := d.keepString(start, end, strEscaped)
		if lone {
			d.violate("CORE-TYPE-STRING-3", string(nameRaw), o.pointer(string(nameRaw)), valPos, "holds an unpaired surrogate escape")
		}
		v = event.String(s)
	case 't', 'f':
		word := "false"
		if c == 't' {
			word = "true"
		}
		if err := d.literal(word); err != nil {
			return ext, err
		}
		v = event.Boolean(c == 't')
	case 'n':
		if err := d.literal("null"); err != nil {
			return ext, err
		}
		o.nulls = append(o.nulls, d.keepName(nameAt, nameRaw, escaped)) // JSON-TYPE-2: absent
		return ext, nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		start, integer, err := d.number()
		if err != nil {
			return ext, err
		}
		ptr := o.pointer(string(nameRaw))
		if !integer {
			d.violate("JSON-TYPE-INTEGER-1", string(nameRaw), ptr, start,
				"is "+string(d.in[start:d.pos])+": an Integer is a JSON number with no fraction or exponent")
			return ext, nil
		}
		n, perr := strconv.ParseInt(string(d.in[start:d.pos]), 10, 32)
		if perr != nil {
			d.violate("CORE-TYPE-INTEGER-1", string(nameRaw), ptr, start,
				"is "+string(d.in[start:d.pos])+", outside the signed 32-bit range")
			return ext, nil
		}
		v = event.Integer(int32(n))
	default:
		if err := d.value(); err != nil {
			return ext, err
		}
		d.violate("CORE-TYPE-1", string(nameRaw), o.pointer(string(nameRaw)), valPos,
			"is a JSON "+jsonKind(c)+"; attribute values are strings, integers or booleans")
		return ext, nil
	}
	return append(ext, event.Extension{Name: d.keepName(nameAt, nameRaw, escaped), Value: v}), nil
}

// repeated reports whether the extension name was seen before in this
// object, as a value (in ext) or as null, as far as can be told in O(1):
// while names arrive in order (the common case) the last of ext and the
// few nulls tell, and the error points at the repeat. The first name out
// of order (or a ninth null) defers the check to the end of the object
// (repeatedName), which costs O(n log n) for any order of names.
func (o *object) repeated(ext []event.Extension, name string) bool {
	if o.deferred {
		return false
	}
	n := len(ext)
	if (n == 0 || ext[n-1].Name < name) && len(o.nulls) < 8 {
		return containsString(o.nulls, name)
	}
	if n > 0 && ext[n-1].Name == name {
		return true
	}
	o.deferred = true
	return false
}

// repeatedName sorts ext (and nulls) by name and returns a name that
// appears twice among them, if any.
func repeatedName(ext []event.Extension, nulls []string) (string, bool) {
	event.SortExtensions(ext)
	for i := 1; i < len(ext); i++ {
		if ext[i].Name == ext[i-1].Name {
			return ext[i].Name, true
		}
	}
	if len(nulls) == 0 {
		return "", false
	}
	slices.Sort(nulls)
	for i, j := 0, 0; i < len(nulls); i++ {
		if i > 0 && nulls[i] == nulls[i-1] {
			return nulls[i], true
		}
		for j < len(ext) && ext[j].Name < nulls[i] {
			j++
		}
		if j < len(ext) && ext[j].Name == nulls[i] {
			return nulls[i], true
		}
	}
	return "", false
}

// finish maps 0.3 input, resolves data, and validates.
func (d *decoder) finish(e *event.Event, o *object) error {
	if o.index >= 0 {
		// In a batch, before 0.3 input is mapped to 1.0 and the
		// difference is lost: one specversion for all (CORE-BATCH-1).
		switch sv := e.SpecVersion(); {
		case sv == "":
		case d.batchVersion == "":
			d.batchVersion = sv
		case sv != d.batchVersion:
			d.violate("CORE-BATCH-1", "specversion", o.pointer("specversion"), -1,
				"every event of a batch has the same specversion; the first has "+d.batchVersion)
		}
	}
	base64Text := false // data is a base64 string (0.3 datacontentencoding)
	if e.SpecVersion() == "0.3" {
		base64Text = d.mapV03(e, o)
	}
	ct := e.DataContentType()
	switch {
	case o.data.present && o.base64.present:
		d.violate("JSON-DATA-5", "data_base64", o.pointer("data_base64"), o.base64.start,
			"data and data_base64 are both present; an event has one or the other")
	case o.base64.present:
		d.base64Data(e, o, o.base64, "data_base64", "JSON-DATA-2")
	case o.data.present && base64Text && d.in[o.data.start] == '"':
		d.base64Data(e, o, o.data, "data", "V03-DATACONTENTENCODING-1")
		// A reader disregards datacontentencoding for data that is not a
		// string (V03-DATACONTENTENCODING-3): the next cases handle it.
	case o.data.present && (ct == "" && !e.Has(event.AttrDataContentType) || event.IsJSONMediaType(ct)):
		// JSON-DATA-7, JSON-DATA-9: the JSON value, byte for byte.
		e.SetData(d.arena[o.data.start:o.data.end:o.data.end])
	case o.data.present:
		if d.in[o.data.start] != '"' {
			d.violate("JSON-DATA-8", "data", o.pointer("data"), o.data.start,
				"is a JSON "+jsonKind(d.in[o.data.start])+", but datacontenttype "+strconv.Quote(ct)+" is not JSON, so data must be a string")
			break
		}
		start, end := o.data.start+1, o.data.end-1
		out, lone := unescape(d.arena[start:start:end], d.in[start:end])
		if lone {
			d.violate("JSON-SYNTAX-2", "data", o.pointer("data"), o.data.start, "holds an unpaired surrogate escape")
		}
		e.SetData(out[:len(out):len(out)])
	}

	first := len(d.vs)
	if err := e.Check(); err != nil {
		var ve *event.ValidationError
		if errors.As(err, &ve) {
			d.vs = append(d.vs, ve.Violations...)
		}
	}
	for i := first; i < len(d.vs); i++ {
		v := &d.vs[i]
		if v.Pointer != "" {
			v.Pointer = o.pointer(v.Pointer[1:])
		}
		if j := coreIndex(v.Attribute); j >= 0 && o.offsets[j] > 0 {
			v.Offset = int64(o.offsets[j])
		}
	}
	return nil
}

// base64Data decodes a base64 JSON string member (span sp) as binary data.
func (d *decoder) base64Data(e *event.Event, o *object, sp span, member, rule string) {
	raw := d.in[sp.start+1 : sp.end-1]
	var tmp []byte
	if indexByte(raw, '\\') >= 0 {
		tmp, _ = unescape(nil, raw)
		raw = tmp
	}
	// The standard decoder skips \r and \n; strict base64 has neither.
	if indexByte(raw, '\n') >= 0 || indexByte(raw, '\r') >= 0 {
		d.violate(rule, member, o.pointer(member), sp.start, "is not valid base64 (RFC 4648): holds a line break")
		return
	}
	// The decoded bytes take the place of the text, which is longer.
	n := sp.start + 1
	out := d.arena[n : n+base64.StdEncoding.DecodedLen(len(raw))]
	m, err := base64.StdEncoding.Strict().Decode(out, raw)
	if err != nil {
		d.violate(rule, member, o.pointer(member), sp.start, "is not valid base64 (RFC 4648): "+err.Error())
		return
	}
	e.SetBinaryData(d.arena[n : n+m : n+m])
}

// mapV03 turns a 0.3 event into a 1.0 one. It reports whether the data is
// a base64 string (datacontentencoding "base64").
func (d *decoder) mapV03(e *event.Event, o *object) bool {
	e.SetSpecVersion(event.SpecVersion)
	// 0.3 had no dataschema and no data_base64; such members would collide
	// with what the 1.0 mapping produces, so they are errors, not guesses.
	if e.Has(event.AttrDataSchema) {
		d.violate("CORE-ATTR-4", event.AttrDataSchema, o.pointer("dataschema"), o.offsets[5],
			"a 0.3 event has no dataschema attribute; its schemaurl becomes the 1.0 dataschema")
	}
	if o.base64.present {
		d.violate("V03-NAMING-1", "data_base64", o.pointer("data_base64"), o.base64.start,
			"data_base64 is not a 0.3 member (0.3 names are a-z and 0-9; binary data uses datacontentencoding)")
		o.base64.present = false
	}
	// 0.3 names also start with a letter (V03-NAMING-1); 1.0 dropped that.
	for _, x := range e.Extensions() {
		if c := x.Name[0]; '0' <= c && c <= '9' {
			d.violate("V03-NAMING-1", x.Name, o.pointer(x.Name), -1, "a 0.3 attribute name starts with a letter")
		}
	}
	if v, ok := e.Extension("schemaurl"); ok {
		e.Delete("schemaurl")
		if v.Kind() != event.KindString {
			d.violate("V03-SCHEMAURL-1", "schemaurl", o.pointer("schemaurl"), -1, "schemaurl must be a string")
		} else {
			e.SetDataSchema(v.Text()) // V03-SCHEMAURL-1
		}
	}
	v, ok := e.Extension("datacontentencoding")
	if !ok {
		return false
	}
	e.Delete("datacontentencoding")
	if v.Kind() != event.KindString || !strings.EqualFold(v.Text(), "base64") {
		d.violate("V03-DATACONTENTENCODING-2", "datacontentencoding", o.pointer("datacontentencoding"), -1,
			"the only defined datacontentencoding is base64")
		return false
	}
	return true
}

func jsonKind(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// pointerEscape escapes a member name for a JSON pointer (RFC 6901).
func pointerEscape(s string) string {
	if strings.IndexByte(s, '~') < 0 && strings.IndexByte(s, '/') < 0 {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// pointer returns the JSON pointer of member name of this object; it is
// built only when a violation is reported.
func (o *object) pointer(name string) string {
	if o.index < 0 {
		return "/" + pointerEscape(name)
	}
	return "/" + strconv.Itoa(o.index) + "/" + pointerEscape(name)
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
