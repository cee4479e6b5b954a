package protoformat

import (
	"errors"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
)

// Decode parses one event in the protobuf format (a CloudEvent message,
// application/cloudevents+protobuf) into e, replacing what e held. It
// returns nil, a [*SyntaxError], or an [*event.ValidationError] listing
// every violation found. On error, e holds what could be decoded, for
// diagnostics only.
//
// Decode does not retain b. It allocates one buffer for the event's strings
// and data, and an extension slice unless e already has the capacity.
func Decode(b []byte, e *event.Event) error { return Options{}.Decode(b, e) }

// Options are encoding and decoding settings. The zero value is the
// default: strict, spec-conformant, and no retention of the input.
type Options struct {
	// TextAsBinary makes the encoder write text data (JSON included) as
	// binary_data instead of text_data, as sdk-go's protobuf format does.
	// sdk-go's decoder passes text_data through its data codecs, which
	// encode JSON a second time and refuse content types they do not
	// know; set this when the receiver is sdk-go. Receivers that follow
	// the format, this package included, read either form, except that
	// binary_data without a datacontenttype can only be read as binary.
	TextAsBinary bool

	// Alias makes the strings and data of decoded events point into the
	// input instead of into a copy, which saves the copy and its
	// allocation (only timestamps, whose text is not in the input, are
	// still allocated). The caller must then leave the input unchanged
	// for as long as it uses the events, including their strings.
	Alias bool

	// MaxAttributes is the most attributes (the required fields and the
	// entries of the attributes map) one event may have; a larger event
	// is refused with an [*event.AttributeLimitError]. 0 means
	// [event.DefaultMaxAttributes].
	MaxAttributes int
}

// Decode is [Decode] with these options.
func (o Options) Decode(b []byte, e *event.Event) error {
	var d decoder
	d.init(b, o)
	d.index = -1
	e.Reset()
	if err := d.event(b, 0, e, e.Extensions()[:0]); err != nil {
		return err
	}
	return d.result()
}

// DecodeBatch parses a batch (a CloudEventBatch message,
// application/cloudevents-batch+protobuf) and appends its events to dst
// (PROTO-BATCH-2). It returns the extended slice and nil, a
// [*SyntaxError], or an [*event.ValidationError] whose violation pointers
// start with the index of the event ("/3/subject"). Empty input is a valid,
// empty batch. Fields other than events are skipped, so the events of any
// message whose field 1 is a repeated CloudEvent decode the same way.
//
// DecodeBatch does not retain b. The strings and data of all events share
// one buffer; events reused from dst's spare capacity keep their extension
// slices, and new ones share a few slices (each event's slice is capped, so
// appending to one never touches another).
func DecodeBatch(b []byte, dst []event.Event) ([]event.Event, error) {
	return Options{}.DecodeBatch(b, dst)
}

// DecodeBatch is [DecodeBatch] with these options.
func (o Options) DecodeBatch(b []byte, dst []event.Event) ([]event.Event, error) {
	var d decoder
	d.init(b, o)
	var pool []event.Extension
	for pos := 0; pos < len(b); {
		num, typ, n := consumeTag(b[pos:])
		if n < 0 {
			return dst, d.syntax(pos, "PROTO-BATCH-2", "malformed field tag")
		}
		at := pos
		pos += n
		if num != fieldBatchEvents {
			m := protowire.ConsumeFieldValue(num, typ, b[pos:])
			if m < 0 {
				return dst, d.syntax(at, "PROTO-BATCH-2", "malformed field "+strconv.Itoa(int(num)))
			}
			pos += m
			continue
		}
		if typ != protowire.BytesType {
			return dst, d.syntax(at, "PROTO-BATCH-2", "events must be length-delimited CloudEvent messages")
		}
		v, m := consumeBytes(b[pos:])
		if m < 0 {
			return dst, d.syntax(at, "PROTO-BATCH-2", "truncated event")
		}
		start := pos + m - len(v)
		pos += m

		var e *event.Event
		if len(dst) < cap(dst) {
			dst = dst[:len(dst)+1]
			e = &dst[len(dst)-1]
			e.Reset()
		} else {
			dst = append(dst, event.Event{})
			e = &dst[len(dst)-1]
		}
		ext := e.Extensions()[:0]
		fromPool := false
		if cap(ext) == 0 {
			if cap(pool)-len(pool) < 4 {
				pool = make([]event.Extension, 0, 64)
			}
			ext = pool[len(pool):]
			fromPool = true
		}
		if err := d.event(v, start, e, ext); err != nil {
			return dst, err
		}
		d.index++
		// d.event appended into pool's backing array when it fitted;
		// otherwise it grew its own slice.
		if x := e.Extensions(); fromPool && len(x) > 0 && cap(pool)-len(pool) >= len(x) && &pool[:len(pool)+1][len(pool)] == &x[0] {
			base := len(pool)
			pool = pool[:base+len(x)]
			e.SetSortedExtensions(pool[base : base+len(x) : base+len(x)])
		}
	}
	return dst, d.result()
}

// arenaSlack is room beyond the input for timestamps, whose text is longer
// than their encoding.
const arenaSlack = 64

// decoder holds the state of one Decode or DecodeBatch call.
type decoder struct {
	in []byte
	// arena holds the strings and data of the decoded events. Strings
	// point into it, so it is never appended to past its capacity; when
	// it runs out (only timestamps can make it), a new one is started and
	// the old one stays alive through the strings that use it.
	arena []byte
	vs    []event.Violation
	index int  // of the event in a batch, or -1
	alias bool // strings and data point into in; the arena holds timestamps only
	// maxAttrs is the limit on attributes per event.
	maxAttrs int
}

func (d *decoder) init(b []byte, o Options) {
	d.in = b
	d.alias = o.Alias
	d.maxAttrs = event.MaxAttributesOr(o.MaxAttributes)
	alias := o.Alias
	if !alias {
		d.arena = make([]byte, 0, len(b)+arenaSlack)
	}
}

func (d *decoder) result() error {
	if len(d.vs) > 0 {
		return &event.ValidationError{Violations: d.vs}
	}
	return nil
}

func (d *decoder) syntax(offset int, rule, msg string) error {
	return &SyntaxError{Offset: int64(offset), Rule: rule, Msg: msg}
}

func (d *decoder) violate(rule, attr string, offset int, msg string) {
	d.vs = append(d.vs, event.Violation{Rule: rule, Attribute: attr, Pointer: d.pointer(attr), Offset: int64(offset), Message: msg})
}

// pointer returns the JSON-pointer-like path of an attribute: "/name", or
// "/3/name" in a batch. It is built only when a violation is reported.
func (d *decoder) pointer(attr string) string {
	p := "/" + attr
	if d.index >= 0 {
		p = "/" + strconv.Itoa(d.index) + p
	}
	return p
}

// room makes sure the arena has n more bytes of capacity.
func (d *decoder) room(n int) {
	if cap(d.arena)-len(d.arena) < n {
		d.arena = make([]byte, 0, max(n, 256, len(d.in)/4))
	}
}

// keepBytes copies b into the arena, or returns it capped when aliasing.
func (d *decoder) keepBytes(b []byte) []byte {
	if d.alias {
		return b[:len(b):len(b)]
	}
	d.room(len(b))
	n := len(d.arena)
	d.arena = append(d.arena, b...)
	return d.arena[n:len(d.arena):len(d.arena)]
}

// keep copies b into the arena and returns it as a string.
func (d *decoder) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if d.alias {
		return unsafe.String(&b[0], len(b))
	}
	k := d.keepBytes(b)
	return unsafe.String(&k[0], len(k))
}

// keepTime writes a timestamp into the arena as RFC 3339 text.
func (d *decoder) keepTime(sec int64, nanos int32) string {
	const longest = len("2006-01-02T15:04:05.999999999Z")
	d.room(longest)
	n := len(d.arena)
	d.arena = appendTime(d.arena, sec, nanos)
	return unsafe.String(&d.arena[n], len(d.arena)-n)
}

// Presence bits for fields that must not repeat, and for the optional core
// attributes in the map.
const (
	seenID = 1 << iota
	seenSource
	seenSpecVersion
	seenType
	seenDataContentType
	seenDataSchema
	seenSubject
	seenTime
)

// object is what the decoder learns about one event beyond the event.
type object struct {
	// attrs counts the attributes (required fields and map entries),
	// against the decoder's limit.
	attrs int
	// deferred is set once a key arrives out of order: from then on
	// entries are only appended, and the event's end sorts them once and
	// drops repeats (dropRepeats), so that any order of map entries
	// decodes in nearly linear time.
	deferred  bool
	seen      uint16
	offsets   [8]int // of the values of id, source, specversion, type, datacontenttype, dataschema, subject, time
	dataField protowire.Number
	data      []byte
	dataAt    int
}

var requiredRule = [5]string{"", "PROTO-ATTR-1", "PROTO-ATTR-1", "PROTO-ATTR-1", "PROTO-ATTR-1"}

var requiredName = [5]string{"", event.AttrID, event.AttrSource, event.AttrSpecVersion, event.AttrType}

// event decodes the CloudEvent message b, found at offset base of the
// input, into e; ext is the slice extensions are appended to.
func (d *decoder) event(b []byte, base int, e *event.Event, ext []event.Extension) error {
	var o object
	start := len(d.vs) // violations of earlier events of a batch
	// PROTO-ATTR-1: proto3 has no absent string, so a missing required
	// field is an empty one, which Validate reports.
	e.SetID("")
	e.SetSource("")
	e.SetSpecVersion("")
	e.SetType("")
	for pos := 0; pos < len(b); {
		num, typ, n := consumeTag(b[pos:])
		if n < 0 {
			return d.syntax(base+pos, "PROTO-ATTR-1", "malformed field tag")
		}
		at := base + pos
		pos += n
		if num < fieldID || num > fieldProtoData {
			m := protowire.ConsumeFieldValue(num, typ, b[pos:])
			if m < 0 {
				return d.syntax(at, "PROTO-ATTR-1", "malformed field "+strconv.Itoa(int(num)))
			}
			pos += m
			continue
		}
		rule := fieldRule(num)
		if typ != protowire.BytesType {
			return d.syntax(at, rule, "field "+strconv.Itoa(int(num))+" must be length-delimited")
		}
		v, m := consumeBytes(b[pos:])
		if m < 0 {
			return d.syntax(at, rule, "field "+strconv.Itoa(int(num))+" is truncated")
		}
		valAt := base + pos + m - len(v)
		pos += m
		switch num {
		case fieldID, fieldSource, fieldSpecVersion, fieldType:
			bit := uint16(1) << (num - 1)
			name := requiredName[num]
			if o.seen&bit != 0 {
				d.violate("CORE-ATTR-4", name, valAt, "field "+strconv.Itoa(int(num))+" appears twice")
			} else if o.attrs++; o.attrs > d.maxAttrs {
				return &event.AttributeLimitError{Max: d.maxAttrs, Offset: int64(at)}
			}
			o.seen |= bit
			o.offsets[num-1] = valAt
			s := d.keep(v)
			switch num {
			case fieldID:
				e.SetID(s)
			case fieldSource:
				e.SetSource(s)
			case fieldSpecVersion:
				e.SetSpecVersion(s)
			default:
				e.SetType(s)
			}
		case fieldAttributes:
			if o.attrs++; o.attrs > d.maxAttrs {
				return &event.AttributeLimitError{Max: d.maxAttrs, Offset: int64(at)}
			}
			var err error
			if ext, err = d.entry(v, valAt, e, ext, &o); err != nil {
				return err
			}
		default:
			if err := d.dataField(num, v, valAt, &o); err != nil {
				return err
			}
		}
	}
	if o.deferred {
		ext = d.dropRepeats(ext, base)
	}
	if len(ext) > 0 {
		e.SetSortedExtensions(ext)
	}
	d.finishData(e, &o)
	first := len(d.vs)
	if first == start {
		// Check remembers a valid verdict in e, so the handler's or an
		// encoder's Validate of the unchanged event costs nothing.
		if ve, ok := errors.AsType[*event.ValidationError](e.Check()); ok {
			d.vs = append(d.vs, ve.Violations...)
		}
	} else {
		d.vs = e.AppendViolations(d.vs)
	}
	for i := first; i < len(d.vs); i++ {
		v := &d.vs[i]
		v.Pointer = d.pointer(v.Attribute)
		if j := coreIndex(v.Attribute); j >= 0 && o.offsets[j] > 0 {
			v.Offset = int64(o.offsets[j])
		}
	}
	return nil
}

func fieldRule(num protowire.Number) string {
	switch num {
	case fieldAttributes:
		return "PROTO-ATTR-2"
	case fieldBinaryData:
		return "PROTO-DATA-6"
	case fieldTextData:
		return "PROTO-DATA-4"
	case fieldProtoData:
		return "PROTO-DATA-1"
	}
	return requiredRule[num]
}

func coreIndex(name string) int {
	switch name {
	case event.AttrID:
		return 0
	case event.AttrSource:
		return 1
	case event.AttrSpecVersion:
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

// dataField records one member of the data oneof.
func (d *decoder) dataField(num protowire.Number, v []byte, at int, o *object) error {
	if o.dataField != 0 {
		d.violate("PROTO-DATA-8", "data", at, "more than one of binary_data, text_data and proto_data is set")
	}
	o.dataField, o.data, o.dataAt = num, v, at
	if num != fieldProtoData {
		return nil
	}
	// google.protobuf.Any: type_url = 1, value = 2. The type URL is not
	// kept: the encoder takes it from dataschema (PROTO-DATA-3).
	o.data = nil
	for pos := 0; pos < len(v); {
		f, typ, n := consumeTag(v[pos:])
		if n < 0 {
			return d.syntax(at+pos, "PROTO-DATA-1", "malformed field tag in proto_data")
		}
		fAt := at + pos
		pos += n
		if (f == fieldAnyTypeURL || f == fieldAnyValue) && typ == protowire.BytesType {
			b, m := consumeBytes(v[pos:])
			if m < 0 {
				return d.syntax(fAt, "PROTO-DATA-1", "truncated field in proto_data")
			}
			if f == fieldAnyValue {
				o.data = b
			}
			pos += m
			continue
		}
		if f == fieldAnyTypeURL || f == fieldAnyValue {
			return d.syntax(fAt, "PROTO-DATA-1", "proto_data field "+strconv.Itoa(int(f))+" must be length-delimited")
		}
		m := protowire.ConsumeFieldValue(f, typ, v[pos:])
		if m < 0 {
			return d.syntax(fAt, "PROTO-DATA-1", "malformed field in proto_data")
		}
		pos += m
	}
	return nil
}

// finishData sets the event's data from the recorded oneof member.
func (d *decoder) finishData(e *event.Event, o *object) {
	if o.dataField == 0 {
		return
	}
	data := d.keepBytes(o.data)
	ct := e.DataContentType()
	switch o.dataField {
	case fieldBinaryData:
		// sdk-go writes JSON and text as binary_data: take it back as
		// text when the content type says text and the bytes allow it.
		if e.Has(event.AttrDataContentType) && isTextMediaType(ct) && utf8.Valid(data) {
			e.SetData(data)
		} else {
			e.SetBinaryData(data)
		}
	case fieldTextData:
		if !utf8.Valid(data) {
			d.violate("PROTO-DATA-4", "data", o.dataAt, "text_data is not valid UTF-8")
		}
		e.SetData(data)
	default:
		e.SetBinaryData(data)
		if !e.Has(event.AttrDataContentType) {
			e.SetDataContentType(ProtobufMediaType) // PROTO-DATA-2
		}
	}
}

// attrValue is a decoded CloudEventAttributeValue.
type attrValue struct {
	member  protowire.Number // the oneof member set, 0 if none
	members int              // how many members were set
	n       uint64           // ce_boolean, ce_integer
	b       []byte           // ce_string, ce_bytes, ce_uri, ce_uri_ref
	sec     int64            // ce_timestamp
	nanos   int32
	at      int
}

var memberNames = [8]string{"none", "ce_boolean", "ce_integer", "ce_string", "ce_bytes", "ce_uri", "ce_uri_ref", "ce_timestamp"}

// entry decodes one attributes map entry (PROTO-ATTR-2).
func (d *decoder) entry(b []byte, base int, e *event.Event, ext []event.Extension, o *object) ([]event.Extension, error) {
	var key, val []byte
	valAt := base
	// Fast path: the canonical entry every encoder writes, key then value,
	// each shorter than 128 bytes.
	if len(b) >= 4 && b[0] == fieldMapKey<<3|byte(protowire.BytesType) && b[1] < 0x80 {
		k := 2 + int(b[1])
		if k+2 <= len(b) && b[k] == fieldMapValue<<3|byte(protowire.BytesType) && b[k+1] < 0x80 && k+2+int(b[k+1]) == len(b) {
			key, val, valAt = b[2:k], b[k+2:], base+k+2
			b = nil // skip the general loop
		}
	}
	for pos := 0; pos < len(b); {
		num, typ, n := consumeTag(b[pos:])
		if n < 0 {
			return ext, d.syntax(base+pos, "PROTO-ATTR-2", "malformed field tag in an attributes entry")
		}
		at := base + pos
		pos += n
		if num != fieldMapKey && num != fieldMapValue {
			m := protowire.ConsumeFieldValue(num, typ, b[pos:])
			if m < 0 {
				return ext, d.syntax(at, "PROTO-ATTR-2", "malformed field in an attributes entry")
			}
			pos += m
			continue
		}
		if typ != protowire.BytesType {
			return ext, d.syntax(at, "PROTO-ATTR-2", "attributes entry key and value must be length-delimited")
		}
		v, m := consumeBytes(b[pos:])
		if m < 0 {
			return ext, d.syntax(at, "PROTO-ATTR-2", "truncated attributes entry")
		}
		if num == fieldMapKey {
			key = v
		} else {
			val, valAt = v, base+pos+m-len(v)
		}
		pos += m
	}
	var av attrValue
	if err := d.attrValue(val, valAt, &av); err != nil {
		return ext, err
	}
	switch string(key) {
	case event.AttrID, event.AttrSource, event.AttrSpecVersion, event.AttrType:
		d.violate("PROTO-ATTR-1", d.keep(key), valAt, "a required attribute has its own field and cannot be in the attributes map")
		return ext, nil
	case event.AttrDataContentType:
		if d.optional(seenDataContentType, 4, event.AttrDataContentType, fieldCeString, &av, o) {
			e.SetDataContentType(d.keep(av.b))
		}
		return ext, nil
	case event.AttrDataSchema:
		if d.optional(seenDataSchema, 5, event.AttrDataSchema, fieldCeURI, &av, o) {
			e.SetDataSchema(d.keep(av.b))
		}
		return ext, nil
	case event.AttrSubject:
		if d.optional(seenSubject, 6, event.AttrSubject, fieldCeString, &av, o) {
			e.SetSubject(d.keep(av.b))
		}
		return ext, nil
	case event.AttrTime:
		if d.optional(seenTime, 7, event.AttrTime, fieldCeTimestamp, &av, o) {
			e.SetTime(d.keepTime(av.sec, av.nanos))
		}
		return ext, nil
	}
	if !validName(key) {
		rule, msg := "CORE-NAMING-1", "is not a legal attribute name (only a-z and 0-9)"
		if len(key) == 0 {
			rule, msg = "CORE-NAMING-5", "an attribute name cannot be empty"
		}
		d.violate(rule, d.keep(key), valAt, msg)
		return ext, nil
	}
	if !d.checkValue(key, "", &av) {
		return ext, nil
	}
	if o.repeated(ext, key) {
		d.violate("CORE-ATTR-4", d.keep(key), valAt, "the attributes map holds this key twice")
		return ext, nil
	}
	var v event.Value
	switch av.member {
	case fieldCeBoolean:
		v = event.Boolean(av.n != 0)
	case fieldCeInteger:
		v = event.Integer(int32(av.n))
	case fieldCeString:
		v = event.String(d.keep(av.b))
	case fieldCeBytes:
		v = event.Binary(av.b)
	case fieldCeURI:
		v = event.URI(d.keep(av.b))
	case fieldCeURIRef:
		v = event.URIRef(d.keep(av.b))
	default:
		v = event.Timestamp(d.keepTime(av.sec, av.nanos))
	}
	return append(ext, event.Extension{Name: d.keep(key), Value: v}), nil
}

// repeated reports whether the extension key was seen before in this
// event, as far as can be told in O(1): while keys arrive in order (as
// every encoder writes them) the last of ext tells, and the violation
// points at the repeat. The first key out of order defers the check to
// the end of the event (dropRepeats).
func (o *object) repeated(ext []event.Extension, key []byte) bool {
	if o.deferred {
		return false
	}
	n := len(ext)
	if n == 0 || ext[n-1].Name < string(key) {
		return false
	}
	if ext[n-1].Name == string(key) {
		return true
	}
	o.deferred = true
	return false
}

// dropRepeats sorts ext by name and keeps one entry of each key, reporting
// each repeat (CORE-ATTR-4) at the offset of the event, base.
func (d *decoder) dropRepeats(ext []event.Extension, base int) []event.Extension {
	event.SortExtensions(ext)
	w := 0
	for i := range ext {
		if w > 0 && ext[i].Name == ext[w-1].Name {
			d.violate("CORE-ATTR-4", ext[i].Name, base, "the attributes map holds this key twice")
			continue
		}
		ext[w] = ext[i]
		w++
	}
	clear(ext[w:])
	return ext[:w]
}

// checkValue reports, and returns false for, an attribute value with no
// member or several (PROTO-ATTR-3) or an out-of-range timestamp
// (PROTO-TYPE-1).
func (d *decoder) checkValue(key []byte, coreName string, av *attrValue) bool {
	name := func() string {
		if coreName != "" {
			return coreName
		}
		return d.keep(key)
	}
	switch {
	case av.members == 0:
		d.violate("PROTO-ATTR-3", name(), av.at, "the attribute value sets no member, so it has no type")
		return false
	case av.members > 1:
		d.violate("PROTO-ATTR-3", name(), av.at, "the attribute value sets more than one member")
		return false
	case av.member == fieldCeTimestamp && (av.sec < minSeconds || av.sec > maxSeconds || av.nanos < 0 || av.nanos > 999999999):
		d.violate("PROTO-TYPE-1", name(), av.at, "the timestamp lies outside the range of google.protobuf.Timestamp")
		return false
	}
	return true
}

// optional checks an optional core attribute found in the map: once only,
// with the member its type demands (PROTO-ATTR-3).
func (d *decoder) optional(bit uint16, idx int, name string, want protowire.Number, av *attrValue, o *object) bool {
	if o.seen&bit != 0 {
		d.violate("CORE-ATTR-4", name, av.at, "the attributes map holds this key twice")
		return false
	}
	o.seen |= bit
	o.offsets[idx] = av.at
	if !d.checkValue(nil, name, av) {
		return false
	}
	if av.member != want {
		d.violate("PROTO-ATTR-3", name, av.at, "must be "+memberNames[want]+", not "+memberNames[av.member])
		return false
	}
	return true
}

// attrValue decodes a CloudEventAttributeValue message.
func (d *decoder) attrValue(b []byte, base int, av *attrValue) error {
	av.at = base
	// Fast path: one length-delimited member shorter than 128 bytes.
	if len(b) >= 2 && b[0]&7 == byte(protowire.BytesType) && b[0]>>3 >= fieldCeString && b[0]>>3 < fieldCeTimestamp && int(b[1])+2 == len(b) {
		av.member, av.members, av.b = protowire.Number(b[0]>>3), 1, b[2:]
		return nil
	}
	for pos := 0; pos < len(b); {
		num, typ, n := consumeTag(b[pos:])
		if n < 0 {
			return d.syntax(base+pos, "PROTO-ATTR-3", "malformed field tag in an attribute value")
		}
		at := base + pos
		pos += n
		var m int
		switch {
		case num < fieldCeBoolean || num > fieldCeTimestamp:
			m = protowire.ConsumeFieldValue(num, typ, b[pos:])
		case num <= fieldCeInteger:
			if typ != protowire.VarintType {
				return d.syntax(at, "PROTO-ATTR-3", memberNames[num]+" must be a varint")
			}
			av.n, m = protowire.ConsumeVarint(b[pos:])
		default:
			if typ != protowire.BytesType {
				return d.syntax(at, "PROTO-ATTR-3", memberNames[num]+" must be length-delimited")
			}
			av.b, m = consumeBytes(b[pos:])
			if m >= 0 && num == fieldCeTimestamp {
				if err := d.timestamp(av.b, base+pos+m-len(av.b), av); err != nil {
					return err
				}
			}
		}
		if m < 0 {
			return d.syntax(at, "PROTO-ATTR-3", "malformed field in an attribute value")
		}
		pos += m
		if num >= fieldCeBoolean && num <= fieldCeTimestamp {
			av.member = num
			av.members++
		}
	}
	return nil
}

// timestamp decodes a google.protobuf.Timestamp (seconds = 1, nanos = 2).
func (d *decoder) timestamp(b []byte, base int, av *attrValue) error {
	av.sec, av.nanos = 0, 0
	for pos := 0; pos < len(b); {
		num, typ, n := consumeTag(b[pos:])
		if n < 0 {
			return d.syntax(base+pos, "PROTO-TYPE-1", "malformed field tag in a timestamp")
		}
		at := base + pos
		pos += n
		var m int
		if (num == fieldTimestampSeconds || num == fieldTimestampNanos) && typ == protowire.VarintType {
			var x uint64
			x, m = protowire.ConsumeVarint(b[pos:])
			if num == fieldTimestampSeconds {
				av.sec = int64(x)
			} else {
				av.nanos = int32(x)
			}
		} else {
			m = protowire.ConsumeFieldValue(num, typ, b[pos:])
		}
		if m < 0 {
			return d.syntax(at, "PROTO-TYPE-1", "malformed field in a timestamp")
		}
		pos += m
	}
	return nil
}

// validName reports whether b is a legal attribute name (CORE-NAMING-1):
// one or more of a-z and 0-9.
func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// consumeTag is protowire.ConsumeTag with a fast path for one-byte tags,
// which every field of the format has.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	if len(b) > 0 && b[0] < 0x80 && b[0] >= 8 {
		return protowire.Number(b[0] >> 3), protowire.Type(b[0] & 7), 1
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n >= 0 && num > protowire.MaxValidNumber {
		return 0, 0, -1 // as the generated decoders refuse it
	}
	return num, typ, n
}

// consumeBytes is protowire.ConsumeBytes with a fast path for lengths
// below 128.
func consumeBytes(b []byte) ([]byte, int) {
	if len(b) > 0 && b[0] < 0x80 {
		n := int(b[0])
		if n < len(b) {
			return b[1 : 1+n], 1 + n
		}
	}
	return protowire.ConsumeBytes(b)
}
