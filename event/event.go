package event

import (
	"slices"
	"strings"
	"unsafe"
)

// Names of the core context attributes.
const (
	AttrID              = "id"
	AttrSource          = "source"
	AttrSpecVersion     = "specversion"
	AttrType            = "type"
	AttrDataContentType = "datacontenttype"
	AttrDataSchema      = "dataschema"
	AttrSubject         = "subject"
	AttrTime            = "time"
)

// SpecVersion is the only specversion value an Event is validated against.
const SpecVersion = "1.0"

// attrBit records which attributes are present, and facts about data.
type attrBit uint16

const (
	bitID attrBit = 1 << iota
	bitSource
	bitSpecVersion
	bitType
	bitDataContentType
	bitDataSchema
	bitSubject
	bitTime
	bitData
	bitBinary
	// bitChecked records that Check found the attributes valid; every
	// change to an attribute clears it (data does not affect validity).
	bitChecked
)

// Event is one CloudEvent. The zero value is an empty event with no
// attribute present; it is not valid until at least id, source, specversion
// and type are set.
//
// Setters store what they are given without checking it; call
// [Event.Validate] (decoders do) to learn whether the result is a valid
// CloudEvent.
type Event struct {
	id, source, specVersion, typ                  string
	dataContentType, dataSchema, subject, timeVal string

	set  attrBit
	ext  []Extension
	data []byte
}

// Extension is one extension attribute: a name and a typed value.
type Extension struct {
	Name  string
	Value Value
}

// ID returns the id attribute, or "" if absent.
func (e *Event) ID() string { return e.id }

// Source returns the source attribute (a URI-reference), or "" if absent.
func (e *Event) Source() string { return e.source }

// SpecVersion returns the specversion attribute, or "" if absent.
func (e *Event) SpecVersion() string { return e.specVersion }

// Type returns the type attribute, or "" if absent.
func (e *Event) Type() string { return e.typ }

// DataContentType returns the datacontenttype attribute, or "" if absent.
func (e *Event) DataContentType() string { return e.dataContentType }

// DataSchema returns the dataschema attribute (a URI), or "" if absent.
func (e *Event) DataSchema() string { return e.dataSchema }

// Subject returns the subject attribute, or "" if absent.
func (e *Event) Subject() string { return e.subject }

// Time returns the time attribute as its RFC 3339 string, or "" if absent.
// Use [Event.Lookup] and [Value.Time] for a time.Time.
func (e *Event) Time() string { return e.timeVal }

// SetID sets the id attribute.
func (e *Event) SetID(v string) { e.id = v; e.set = e.set&^bitChecked | bitID }

// SetSource sets the source attribute.
func (e *Event) SetSource(v string) { e.source = v; e.set = e.set&^bitChecked | bitSource }

// SetSpecVersion sets the specversion attribute.
func (e *Event) SetSpecVersion(v string) {
	e.specVersion = v
	e.set = e.set&^bitChecked | bitSpecVersion
}

// SetType sets the type attribute.
func (e *Event) SetType(v string) { e.typ = v; e.set = e.set&^bitChecked | bitType }

// SetDataContentType sets the datacontenttype attribute.
func (e *Event) SetDataContentType(v string) {
	e.dataContentType = v
	e.set = e.set&^bitChecked | bitDataContentType
}

// SetDataSchema sets the dataschema attribute.
func (e *Event) SetDataSchema(v string) { e.dataSchema = v; e.set = e.set&^bitChecked | bitDataSchema }

// SetSubject sets the subject attribute.
func (e *Event) SetSubject(v string) { e.subject = v; e.set = e.set&^bitChecked | bitSubject }

// SetTime sets the time attribute from its RFC 3339 string.
func (e *Event) SetTime(v string) { e.timeVal = v; e.set = e.set&^bitChecked | bitTime }

// coreAttr describes one core attribute for the generic accessors.
type coreAttr struct {
	name string
	bit  attrBit
	kind Kind
}

// coreAttrs lists the core attributes in the order formats write them.
var coreAttrs = [...]coreAttr{
	{AttrSpecVersion, bitSpecVersion, KindString},
	{AttrID, bitID, KindString},
	{AttrSource, bitSource, KindURIRef},
	{AttrType, bitType, KindString},
	{AttrDataContentType, bitDataContentType, KindString},
	{AttrDataSchema, bitDataSchema, KindURI},
	{AttrSubject, bitSubject, KindString},
	{AttrTime, bitTime, KindTimestamp},
}

func (e *Event) field(bit attrBit) *string {
	switch bit {
	case bitID:
		return &e.id
	case bitSource:
		return &e.source
	case bitSpecVersion:
		return &e.specVersion
	case bitType:
		return &e.typ
	case bitDataContentType:
		return &e.dataContentType
	case bitDataSchema:
		return &e.dataSchema
	case bitSubject:
		return &e.subject
	case bitTime:
		return &e.timeVal
	}
	return nil
}

// coreBit returns the presence bit and kind of a core attribute name, or 0.
func coreBit(name string) (attrBit, Kind) {
	switch name {
	case AttrID:
		return bitID, KindString
	case AttrSource:
		return bitSource, KindURIRef
	case AttrSpecVersion:
		return bitSpecVersion, KindString
	case AttrType:
		return bitType, KindString
	case AttrDataContentType:
		return bitDataContentType, KindString
	case AttrDataSchema:
		return bitDataSchema, KindURI
	case AttrSubject:
		return bitSubject, KindString
	case AttrTime:
		return bitTime, KindTimestamp
	}
	return 0, 0
}

// IsCoreAttribute reports whether name is one of the eight core context
// attributes of CloudEvents 1.0.
func IsCoreAttribute(name string) bool {
	b, _ := coreBit(name)
	return b != 0
}

// Has reports whether the attribute name (core or extension) is present.
func (e *Event) Has(name string) bool {
	if b, _ := coreBit(name); b != 0 {
		return e.set&b != 0
	}
	_, ok := e.findExt(name)
	return ok
}

// Lookup returns the value of the attribute name, core or extension, and
// whether it is present. Core attributes come back with their spec type:
// source as [KindURIRef], dataschema as [KindURI], time as
// [KindTimestamp], the others as [KindString].
func (e *Event) Lookup(name string) (Value, bool) {
	if b, k := coreBit(name); b != 0 {
		if e.set&b == 0 {
			return Value{}, false
		}
		return Value{kind: k, s: *e.field(b)}, true
	}
	if i, ok := e.findExt(name); ok {
		return e.ext[i].Value, true
	}
	return Value{}, false
}

// Attributes calls yield for every present attribute, core attributes first
// in specification order, then extensions sorted by name, until yield
// returns false.
func (e *Event) Attributes(yield func(name string, v Value) bool) {
	for _, a := range coreAttrs {
		if e.set&a.bit != 0 && !yield(a.name, Value{kind: a.kind, s: *e.field(a.bit)}) {
			return
		}
	}
	for _, x := range e.ext {
		if !yield(x.Name, x.Value) {
			return
		}
	}
}

// Set sets the attribute name to v. A core attribute takes the canonical
// string of v whatever its kind (the type of a core attribute is fixed by
// the specification); any other name becomes an extension with v as is.
// Set does not check name or v; [Event.Validate] does.
func (e *Event) Set(name string, v Value) {
	if b, _ := coreBit(name); b != 0 {
		*e.field(b) = v.String()
		e.set = e.set&^bitChecked | b
		return
	}
	e.SetExtension(name, v)
}

// Delete removes the attribute name, core or extension, if present.
func (e *Event) Delete(name string) {
	if b, _ := coreBit(name); b != 0 {
		*e.field(b) = ""
		e.set &^= b | bitChecked
		return
	}
	if i, ok := e.findExt(name); ok {
		e.ext = slices.Delete(e.ext, i, i+1)
		e.set &^= bitChecked
	}
}

// Extensions returns the extension attributes sorted by name. The slice is
// the event's own: callers must not modify it.
func (e *Event) Extensions() []Extension { return e.ext }

// Extension returns the value of extension attribute name.
func (e *Event) Extension(name string) (Value, bool) {
	if i, ok := e.findExt(name); ok {
		return e.ext[i].Value, true
	}
	return Value{}, false
}

// SetExtension sets extension attribute name to v, keeping extensions
// sorted by name. It does not check the name; [Event.Validate] does.
func (e *Event) SetExtension(name string, v Value) {
	e.set &^= bitChecked
	i, ok := e.findExt(name)
	if ok {
		e.ext[i].Value = v
		return
	}
	e.ext = slices.Insert(e.ext, i, Extension{Name: name, Value: v})
}

// findExt returns the index of name in the sorted extension slice, or the
// index where it would be inserted.
func (e *Event) findExt(name string) (int, bool) {
	if len(e.ext) <= 8 {
		for i := range e.ext {
			switch c := strings.Compare(e.ext[i].Name, name); {
			case c == 0:
				return i, true
			case c > 0:
				return i, false
			}
		}
		return len(e.ext), false
	}
	return slices.BinarySearchFunc(e.ext, name, func(x Extension, n string) int {
		return strings.Compare(x.Name, n)
	})
}

// Data returns the event data, or nil if the event has none. The slice is
// the event's own: callers must not modify it.
//
// For a JSON datacontenttype (or none) the bytes are one JSON value; for
// other content types they are the payload in that type's encoding.
func (e *Event) Data() []byte { return e.data }

// HasData reports whether the event carries data. An event can carry empty
// data (a zero-length body), which differs from no data.
func (e *Event) HasData() bool { return e.set&bitData != 0 }

// IsBinaryData reports whether the data was set as binary
// ([Event.SetBinaryData]): bytes with no textual form, which the JSON format
// carries in data_base64.
func (e *Event) IsBinaryData() bool { return e.set&bitBinary != 0 }

// SetData sets the data to b, taken as text: a JSON value when the
// datacontenttype is JSON or absent, otherwise the encoded content. The
// event retains b; the caller must not modify it afterwards.
func (e *Event) SetData(b []byte) {
	e.data = b
	e.set = e.set&^bitBinary | bitData
}

// SetBinaryData sets the data to b, taken as opaque bytes. The event
// retains b; the caller must not modify it afterwards.
func (e *Event) SetBinaryData(b []byte) {
	e.data = b
	e.set |= bitData | bitBinary
}

// ClearData removes the data.
func (e *Event) ClearData() {
	e.data = nil
	e.set &^= bitData | bitBinary
}

// Reset empties e for reuse, keeping the capacity of its extension slice.
func (e *Event) Reset() {
	ext := e.ext[:0]
	clear(e.ext)
	*e = Event{ext: ext}
}

// Clone returns a deep copy of e that shares no memory with it: its own
// extension slice, data bytes and string bytes. Decoders that alias their
// input (protoformat's Options.Alias, the transports' handlers) hand out
// events whose strings point into a buffer that is reused once Handle
// returns; Clone is how a handler keeps such an event. All the text is
// copied into one new allocation.
func (e *Event) Clone() Event {
	n := len(e.id) + len(e.source) + len(e.specVersion) + len(e.typ) +
		len(e.dataContentType) + len(e.dataSchema) + len(e.subject) + len(e.timeVal)
	for i := range e.ext {
		n += len(e.ext[i].Name) + len(e.ext[i].Value.s)
	}
	a := arena{buf: make([]byte, 0, n)}
	c := Event{
		id: a.copy(e.id), source: a.copy(e.source), specVersion: a.copy(e.specVersion), typ: a.copy(e.typ),
		dataContentType: a.copy(e.dataContentType), dataSchema: a.copy(e.dataSchema),
		subject: a.copy(e.subject), timeVal: a.copy(e.timeVal),
		set: e.set,
	}
	if e.ext != nil {
		c.ext = make([]Extension, len(e.ext))
		for i, x := range e.ext {
			x.Name = a.copy(x.Name)
			x.Value.s = a.copy(x.Value.s)
			c.ext[i] = x
		}
	}
	if e.data != nil {
		c.data = slices.Clone(e.data)
	}
	return c
}

// arena copies strings into one buffer sized for all of them up front, so
// that earlier strings never move.
type arena struct{ buf []byte }

func (a *arena) copy(s string) string {
	if s == "" {
		return ""
	}
	start := len(a.buf)
	a.buf = append(a.buf, s...)
	return unsafe.String(&a.buf[start], len(s))
}

// Equal reports whether e and o carry the same attributes, the same data
// bytes and the same data kind.
func (e *Event) Equal(o *Event) bool {
	if e.set&^bitChecked != o.set&^bitChecked || e.id != o.id || e.source != o.source ||
		e.specVersion != o.specVersion || e.typ != o.typ ||
		e.dataContentType != o.dataContentType || e.dataSchema != o.dataSchema ||
		e.subject != o.subject || e.timeVal != o.timeVal ||
		len(e.ext) != len(o.ext) || string(e.data) != string(o.data) {
		return false
	}
	for i := range e.ext {
		if e.ext[i].Name != o.ext[i].Name || !e.ext[i].Value.Equal(o.ext[i].Value) {
			return false
		}
	}
	return true
}

// SetSortedExtensions replaces all extensions with ext, which must be
// sorted by name with no name twice (decoders that build the slice
// themselves use it to avoid a copy; [Event.Validate] reports a slice that
// breaks the rule). The event retains ext.
func (e *Event) SetSortedExtensions(ext []Extension) {
	e.ext = ext
	e.set &^= bitChecked
}
