package protoformat

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event"
)

// Media types of the protobuf event format (PROTO-TRANSPORT-1,
// PROTO-BATCH-3).
const (
	MediaType      = "application/cloudevents+protobuf"
	BatchMediaType = "application/cloudevents-batch+protobuf"
)

// ProtobufMediaType is the datacontenttype of data that is a protobuf
// message (PROTO-DATA-2); such data travels in proto_data.
const ProtobufMediaType = "application/protobuf"

// Field numbers of io.cloudevents.v1.CloudEvent and its nested messages.
const (
	fieldID          = 1
	fieldSource      = 2
	fieldSpecVersion = 3
	fieldType        = 4
	fieldAttributes  = 5
	fieldBinaryData  = 6
	fieldTextData    = 7
	fieldProtoData   = 8

	fieldMapKey   = 1
	fieldMapValue = 2

	fieldCeBoolean   = 1
	fieldCeInteger   = 2
	fieldCeString    = 3
	fieldCeBytes     = 4
	fieldCeURI       = 5
	fieldCeURIRef    = 6
	fieldCeTimestamp = 7

	fieldTimestampSeconds = 1
	fieldTimestampNanos   = 2

	fieldAnyTypeURL = 1
	fieldAnyValue   = 2

	fieldBatchEvents = 1
)

// Append appends the protobuf form of e (a CloudEvent message) to dst and
// returns the extended slice. It returns dst unchanged and an
// [*EncodeError] if e does not validate or a timestamp lies outside the
// range of google.protobuf.Timestamp (PROTO-TYPE-1).
func Append(dst []byte, e *event.Event) ([]byte, error) { return Options{}.Append(dst, e) }

// Append is [Append] with these options.
func (o Options) Append(dst []byte, e *event.Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return dst, &EncodeError{Err: err}
	}
	out, ok := o.appendValid(dst, e)
	if !ok {
		return dst, &EncodeError{Rule: "PROTO-TYPE-1", Msg: "a timestamp lies outside the range of google.protobuf.Timestamp (years 0001 to 9999)"}
	}
	return out, nil
}

// Marshal returns the protobuf form of e in a new slice; see [Append].
func Marshal(e *event.Event) ([]byte, error) {
	return Append(make([]byte, 0, 128+len(e.Data())), e)
}

// AppendBatch appends the batch form (a CloudEventBatch message) of events
// to dst (PROTO-BATCH-2). It returns dst unchanged and an error naming the
// index of the first event that cannot be encoded.
func AppendBatch(dst []byte, events []event.Event) ([]byte, error) {
	return Options{}.AppendBatch(dst, events)
}

// AppendBatch is [AppendBatch] with these options.
func (o Options) AppendBatch(dst []byte, events []event.Event) ([]byte, error) {
	out := dst
	for i := range events {
		var err error
		if out, err = o.AppendField(out, fieldBatchEvents, &events[i]); err != nil {
			return dst, &EncodeError{Msg: "event " + strconv.Itoa(i) + ": " + err.Error(), Err: err}
		}
	}
	return out, nil
}

// AppendField appends e as the length-delimited field num of an enclosing
// message (tag, length, CloudEvent) to dst: the form of one element of a
// repeated CloudEvent field such as CloudEventBatch.events. Errors are
// those of [Append]; on error dst comes back unchanged.
func AppendField(dst []byte, num protowire.Number, e *event.Event) ([]byte, error) {
	return Options{}.AppendField(dst, num, e)
}

// AppendField is [AppendField] with these options.
func (o Options) AppendField(dst []byte, num protowire.Number, e *event.Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return dst, &EncodeError{Err: err}
	}
	start := len(dst)
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	// Reserve one length byte, the common case, and move the body if the
	// length needs more.
	lenAt := len(dst)
	dst = append(dst, 0)
	out, ok := o.appendValid(dst, e)
	if !ok {
		return dst[:start], &EncodeError{Rule: "PROTO-TYPE-1", Msg: "a timestamp lies outside the range of google.protobuf.Timestamp (years 0001 to 9999)"}
	}
	n := len(out) - lenAt - 1
	if w := protowire.SizeVarint(uint64(n)); w > 1 {
		out = append(out, make([]byte, w-1)...)
		copy(out[lenAt+w:], out[lenAt+1:lenAt+1+n])
		protowire.AppendVarint(out[lenAt:lenAt], uint64(n))
	} else {
		out[lenAt] = byte(n)
	}
	return out, nil
}

func sizeString(s string) int {
	if s == "" {
		return 0
	}
	return 1 + protowire.SizeBytes(len(s))
}

// appendValid writes a validated event. It reports false if a timestamp is
// out of range, leaving dst in an unspecified state past its length.
func (o Options) appendValid(dst []byte, e *event.Event) ([]byte, bool) {
	dst = appendString(dst, fieldID, e.ID())
	dst = appendString(dst, fieldSource, e.Source())
	dst = appendString(dst, fieldSpecVersion, e.SpecVersion())
	dst = appendString(dst, fieldType, e.Type())
	ok := true
	forEachAttribute(e, func(name string, v event.Value) {
		if ok {
			dst, ok = appendEntry(dst, name, v)
		}
	})
	if !ok {
		return dst, false
	}
	if e.HasData() {
		dst = o.appendData(dst, e)
	}
	return dst, true
}

// forEachAttribute calls f for every attribute that goes into the map,
// sorted by name as deterministic protobuf marshalling sorts map keys:
// the optional core attributes merged into the sorted extensions.
func forEachAttribute(e *event.Event, f func(name string, v event.Value)) {
	ext := e.Extensions()
	i := 0
	core := func(name string, v event.Value) {
		for i < len(ext) && ext[i].Name < name {
			f(ext[i].Name, ext[i].Value)
			i++
		}
		f(name, v)
	}
	// PROTO-ATTR-2: optional attributes go in the map, in name order.
	if e.Has(event.AttrDataContentType) {
		core(event.AttrDataContentType, event.String(e.DataContentType()))
	}
	if e.Has(event.AttrDataSchema) {
		core(event.AttrDataSchema, event.URI(e.DataSchema()))
	}
	if e.Has(event.AttrSubject) {
		core(event.AttrSubject, event.String(e.Subject()))
	}
	if e.Has(event.AttrTime) {
		core(event.AttrTime, event.Timestamp(e.Time()))
	}
	for ; i < len(ext); i++ {
		f(ext[i].Name, ext[i].Value)
	}
}

// appendString writes a proto3 string field, omitted when empty.
func appendString(dst []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func timestampSize(sec int64, nanos int32) int {
	n := 0
	if sec != 0 {
		n += 1 + protowire.SizeVarint(uint64(sec))
	}
	if nanos != 0 {
		n += 1 + protowire.SizeVarint(uint64(nanos))
	}
	return n
}

// entrySize returns the size of one map entry message (key and value).
func entrySize(name string, valueSize int) int {
	return 1 + protowire.SizeBytes(len(name)) + 1 + protowire.SizeBytes(valueSize)
}

// appendEntry writes one attributes map entry with the value member that
// matches v's type (PROTO-ATTR-3, PROTO-TYPE-1).
func appendEntry(dst []byte, name string, v event.Value) ([]byte, bool) {
	var sec int64
	var nanos int32
	var vs int
	switch v.Kind() {
	case event.KindBoolean:
		vs = 2
	case event.KindInteger:
		vs = 1 + protowire.SizeVarint(uint64(int64(v.Int())))
	case event.KindBinary:
		vs = 1 + protowire.SizeBytes(len(v.Bytes()))
	case event.KindTimestamp:
		var ok bool
		if sec, nanos, ok = parseTime(v.Text()); !ok {
			return dst, false
		}
		vs = 1 + protowire.SizeBytes(timestampSize(sec, nanos))
	default:
		vs = 1 + protowire.SizeBytes(len(v.Text()))
	}
	dst = protowire.AppendTag(dst, fieldAttributes, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(entrySize(name, vs)))
	dst = protowire.AppendTag(dst, fieldMapKey, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(len(name)))
	dst = append(dst, name...)
	dst = protowire.AppendTag(dst, fieldMapValue, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(vs))
	switch v.Kind() {
	case event.KindBoolean:
		b := byte(0)
		if v.Bool() {
			b = 1
		}
		dst = append(dst, fieldCeBoolean<<3|byte(protowire.VarintType), b)
	case event.KindInteger:
		dst = protowire.AppendTag(dst, fieldCeInteger, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(int64(v.Int())))
	case event.KindBinary:
		dst = protowire.AppendTag(dst, fieldCeBytes, protowire.BytesType)
		dst = protowire.AppendBytes(dst, v.Bytes())
	case event.KindTimestamp:
		dst = protowire.AppendTag(dst, fieldCeTimestamp, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(timestampSize(sec, nanos)))
		if sec != 0 {
			dst = protowire.AppendTag(dst, fieldTimestampSeconds, protowire.VarintType)
			dst = protowire.AppendVarint(dst, uint64(sec))
		}
		if nanos != 0 {
			dst = protowire.AppendTag(dst, fieldTimestampNanos, protowire.VarintType)
			dst = protowire.AppendVarint(dst, uint64(nanos))
		}
	case event.KindURI:
		dst = appendMember(dst, fieldCeURI, v.Text())
	case event.KindURIRef:
		dst = appendMember(dst, fieldCeURIRef, v.Text())
	default:
		dst = appendMember(dst, fieldCeString, v.Text())
	}
	return dst, true
}

// appendMember writes a string member of a oneof: present even when empty.
func appendMember(dst []byte, num protowire.Number, s string) []byte {
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// dataKind tells which member of the data oneof an event's data takes.
func (o Options) dataKind(e *event.Event) protowire.Number {
	switch {
	case isProtobufMediaType(e.DataContentType()):
		return fieldProtoData // PROTO-DATA-1
	case e.IsBinaryData() || o.TextAsBinary:
		return fieldBinaryData // PROTO-DATA-6
	case utf8.Valid(e.Data()):
		return fieldTextData // PROTO-DATA-4
	}
	// A protobuf string must be UTF-8; bytes that are not cannot be text.
	return fieldBinaryData
}

func anySize(typeURL string, value []byte) int {
	n := sizeString(typeURL)
	if len(value) > 0 {
		n += 1 + protowire.SizeBytes(len(value))
	}
	return n
}

func (o Options) appendData(dst []byte, e *event.Event) []byte {
	data := e.Data()
	switch k := o.dataKind(e); k {
	case fieldProtoData:
		// PROTO-DATA-3: the type URL of the packed message is the
		// dataschema.
		typeURL := e.DataSchema()
		dst = protowire.AppendTag(dst, fieldProtoData, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(anySize(typeURL, data)))
		dst = appendString(dst, fieldAnyTypeURL, typeURL)
		if len(data) > 0 {
			dst = protowire.AppendTag(dst, fieldAnyValue, protowire.BytesType)
			dst = protowire.AppendBytes(dst, data)
		}
		return dst
	default:
		dst = protowire.AppendTag(dst, k, protowire.BytesType)
		return protowire.AppendBytes(dst, data)
	}
}

// isProtobufMediaType reports whether ct is application/protobuf (or the
// older application/x-protobuf), ignoring case and parameters.
func isProtobufMediaType(ct string) bool {
	if ct == ProtobufMediaType {
		return true
	}
	mt := mediaType(ct)
	return strings.EqualFold(mt, ProtobufMediaType) || strings.EqualFold(mt, "application/x-protobuf")
}

// isTextMediaType reports whether ct declares text: JSON, text/*, or XML.
func isTextMediaType(ct string) bool {
	if event.IsJSONMediaType(ct) {
		return true
	}
	mt := mediaType(ct)
	if len(mt) >= 5 && strings.EqualFold(mt[:5], "text/") {
		return true
	}
	return strings.EqualFold(mt, "application/xml") ||
		len(mt) > 4 && strings.EqualFold(mt[len(mt)-4:], "+xml")
}

// mediaType returns the type/subtype of ct without parameters or spaces.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.TrimSpace(ct)
}
