package conformance

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// The protobuf messages the gRPC driver sends and reads, written and read
// by hand with protowire. The suite must send what no encoder would (an
// event without id, a map key in upper case, a truncated message) and
// must see where a provider put each attribute and the data (which oneof
// member), which a validating decoder hides. It also links no generated
// code: the generated io.cloudevents.v1 types clash with sdk-go's at
// start-up (see transports/grpc's documentation), and the suite's tests
// run sdk-go's protobuf format as a peer.

// ProtoEvent describes an io.cloudevents.v1.CloudEvent message field by
// field, for a case to send. Empty strings are left out, as protobuf
// leaves out a proto3 string's zero value, so an empty id and a missing
// one are the same message.
type ProtoEvent struct {
	// ID, Source, SpecVersion and Type are fields 1 to 4.
	ID          string `json:"id"`
	Source      string `json:"source"`
	SpecVersion string `json:"specversion"`
	Type        string `json:"type"`
	// Attributes are the entries of the attributes map (field 5), sent in
	// the order written, so a name can be given twice on purpose.
	Attributes []ProtoAttribute `json:"attributes"`
	// At most one of the data fields is set: BinaryData (Base64) or
	// BinaryText (the bytes as text) for binary_data (6), TextData for
	// text_data (7), ProtoData for proto_data (8). TextSize, instead,
	// makes text_data of that many 'x' (for the size cases).
	BinaryData *string    `json:"binaryData"`
	BinaryText *string    `json:"binaryText"`
	TextData   *string    `json:"textData"`
	TextSize   int        `json:"textSize"`
	ProtoData  *ProtoData `json:"protoData"`
}

// ProtoAttribute is one entry of the attributes map: a name and exactly
// one value member of CloudEventAttributeValue.
type ProtoAttribute struct {
	Name string `json:"name"`
	// Boolean is ce_boolean (1), Integer ce_integer (2), String ce_string
	// (3), Bytes ce_bytes (4, Base64), URI ce_uri (5), URIRef ce_uri_ref
	// (6), Timestamp ce_timestamp (7, written as RFC 3339 and sent as
	// seconds and nanoseconds).
	Boolean   *bool   `json:"boolean"`
	Integer   *int32  `json:"integer"`
	String    *string `json:"string"`
	Bytes     *string `json:"bytes"`
	URI       *string `json:"uri"`
	URIRef    *string `json:"uriRef"`
	Timestamp *string `json:"timestamp"`
}

// ProtoData is a google.protobuf.Any: a type URL and the packed message.
type ProtoData struct {
	TypeURL string `json:"typeUrl"`
	// Value is the packed message's bytes, as Base64.
	Value string `json:"value"`
}

// The value members of CloudEventAttributeValue, by field number, by the
// names cloudevents.proto gives them (GRPCMessage.Members uses them).
var protoMembers = [...]string{1: "ce_boolean", 2: "ce_integer", 3: "ce_string", 4: "ce_bytes", 5: "ce_uri", 6: "ce_uri_ref", 7: "ce_timestamp"}

// Field numbers of io.cloudevents.v1.CloudEvent.
const (
	fieldID          = 1
	fieldSource      = 2
	fieldSpecVersion = 3
	fieldType        = 4
	fieldAttributes  = 5
	fieldBinaryData  = 6
	fieldTextData    = 7
	fieldProtoData   = 8
)

// The data fields, as the cases name them (GRPCMessage.DataField).
const (
	dataBinary = "binary"
	dataText   = "text"
	dataProto  = "proto"
)

// validate checks what encode cannot: one value per attribute, one data
// field, valid Base64 and timestamps.
func (p *ProtoEvent) validate() error {
	var errs []error
	data := 0
	for _, set := range []bool{p.BinaryData != nil, p.BinaryText != nil, p.TextData != nil, p.TextSize > 0, p.ProtoData != nil} {
		if set {
			data++
		}
	}
	if data > 1 {
		errs = append(errs, errors.New("event: more than one data field (binaryData, binaryText, textData, textSize, protoData)"))
	}
	if _, err := p.encode(nil); err != nil {
		errs = append(errs, err)
	}
	for _, a := range p.Attributes {
		n := 0
		for _, set := range []bool{a.Boolean != nil, a.Integer != nil, a.String != nil, a.Bytes != nil, a.URI != nil, a.URIRef != nil, a.Timestamp != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Errorf("event attribute %q: want exactly one value member, got %d", a.Name, n))
		}
	}
	return errors.Join(errs...)
}

// encode appends the CloudEvent message p describes to dst.
func (p *ProtoEvent) encode(dst []byte) ([]byte, error) {
	dst = appendProtoString(dst, fieldID, p.ID)
	dst = appendProtoString(dst, fieldSource, p.Source)
	dst = appendProtoString(dst, fieldSpecVersion, p.SpecVersion)
	dst = appendProtoString(dst, fieldType, p.Type)
	for _, a := range p.Attributes {
		v, err := a.encodeValue()
		if err != nil {
			return nil, fmt.Errorf("event attribute %q: %w", a.Name, err)
		}
		entry := appendProtoString(nil, 1, a.Name)
		entry = protowire.AppendTag(entry, 2, protowire.BytesType)
		entry = protowire.AppendBytes(entry, v)
		dst = protowire.AppendTag(dst, fieldAttributes, protowire.BytesType)
		dst = protowire.AppendBytes(dst, entry)
	}
	switch {
	case p.BinaryData != nil:
		b, err := base64.StdEncoding.DecodeString(*p.BinaryData)
		if err != nil {
			return nil, fmt.Errorf("event binaryData: %w", err)
		}
		dst = protowire.AppendTag(dst, fieldBinaryData, protowire.BytesType)
		dst = protowire.AppendBytes(dst, b)
	case p.BinaryText != nil:
		dst = protowire.AppendTag(dst, fieldBinaryData, protowire.BytesType)
		dst = protowire.AppendString(dst, *p.BinaryText)
	case p.TextData != nil:
		dst = protowire.AppendTag(dst, fieldTextData, protowire.BytesType)
		dst = protowire.AppendString(dst, *p.TextData)
	case p.TextSize > 0:
		dst = protowire.AppendTag(dst, fieldTextData, protowire.BytesType)
		dst = protowire.AppendString(dst, strings.Repeat("x", p.TextSize))
	case p.ProtoData != nil:
		v, err := base64.StdEncoding.DecodeString(p.ProtoData.Value)
		if err != nil {
			return nil, fmt.Errorf("event protoData value: %w", err)
		}
		anyMsg := appendProtoString(nil, 1, p.ProtoData.TypeURL)
		if len(v) > 0 {
			anyMsg = protowire.AppendTag(anyMsg, 2, protowire.BytesType)
			anyMsg = protowire.AppendBytes(anyMsg, v)
		}
		dst = protowire.AppendTag(dst, fieldProtoData, protowire.BytesType)
		dst = protowire.AppendBytes(dst, anyMsg)
	}
	return dst, nil
}

// encodeValue returns the CloudEventAttributeValue message of a.
func (a *ProtoAttribute) encodeValue() ([]byte, error) {
	var b []byte
	switch {
	case a.Boolean != nil:
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeBool(*a.Boolean))
	case a.Integer != nil:
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(*a.Integer))) // int32 is sign-extended, as protobuf does
	case a.String != nil:
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, *a.String)
	case a.Bytes != nil:
		v, err := base64.StdEncoding.DecodeString(*a.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bytes: %w", err)
		}
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	case a.URI != nil:
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendString(b, *a.URI)
	case a.URIRef != nil:
		b = protowire.AppendTag(b, 6, protowire.BytesType)
		b = protowire.AppendString(b, *a.URIRef)
	case a.Timestamp != nil:
		t, err := time.Parse(time.RFC3339Nano, *a.Timestamp)
		if err != nil {
			return nil, fmt.Errorf("timestamp: %w", err)
		}
		var ts []byte
		if s := t.Unix(); s != 0 {
			ts = protowire.AppendTag(ts, 1, protowire.VarintType)
			ts = protowire.AppendVarint(ts, uint64(s))
		}
		if n := t.Nanosecond(); n != 0 {
			ts = protowire.AppendTag(ts, 2, protowire.VarintType)
			ts = protowire.AppendVarint(ts, uint64(n))
		}
		b = protowire.AppendTag(b, 7, protowire.BytesType)
		b = protowire.AppendBytes(b, ts)
	}
	return b, nil
}

func appendProtoString(dst []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	return protowire.AppendString(dst, s)
}

// protoObserved is a CloudEvent message as a provider wrote it, read
// without validating: where each attribute was and with which member,
// and which data field was set.
type protoObserved struct {
	observed
	// inFields are the attributes read from fields 1 to 4; inMap those
	// read from the attributes map, with their value member.
	inFields map[string]bool
	members  map[string]string
	// repeated names attributes given more than once.
	repeated []string
	// dataField is the data field set ("" for none); dataFields counts
	// how many were.
	dataField  string
	dataFields int
	typeURL    string
}

// decodeProtoEvent reads a CloudEvent message leniently: it fails only on
// bytes that are not protobuf, or a field of the wrong wire type.
func decodeProtoEvent(b []byte) (*protoObserved, error) {
	o := &protoObserved{
		observed: observed{attrs: map[string]string{}, kinds: map[string]jsonKind{}},
		inFields: map[string]bool{},
		members:  map[string]string{},
	}
	set := func(name, v string) {
		if _, dup := o.attrs[name]; dup {
			o.repeated = append(o.repeated, name)
		}
		o.attrs[name] = v
		o.kinds[name] = kindUnknown
	}
	err := walkProto(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num >= fieldID && num <= fieldProtoData && typ != protowire.BytesType {
			return fmt.Errorf("CloudEvent field %d has wire type %d, want bytes", num, typ)
		}
		switch num {
		case fieldID, fieldSource, fieldSpecVersion, fieldType:
			name := [...]string{fieldID: "id", fieldSource: "source", fieldSpecVersion: "specversion", fieldType: "type"}[num]
			set(name, string(v))
			o.inFields[name] = true
		case fieldAttributes:
			name, member, value, err := decodeProtoEntry(v)
			if err != nil {
				return err
			}
			set(name, value)
			o.members[name] = member
		case fieldBinaryData, fieldTextData, fieldProtoData:
			o.dataFields++
			o.dataField = map[protowire.Number]string{fieldBinaryData: dataBinary, fieldTextData: dataText, fieldProtoData: dataProto}[num]
			o.data = append([]byte{}, v...)
			if num == fieldProtoData {
				o.data = nil
				o.typeURL = ""
				return walkProto(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
					switch {
					case num == 1 && typ == protowire.BytesType:
						o.typeURL = string(v)
					case num == 2 && typ == protowire.BytesType:
						o.data = append([]byte{}, v...)
					}
					return nil
				})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("the event is not a CloudEvent message: %w", err)
	}
	if len(o.data) == 0 {
		// A data field set to zero bytes is read as no data: sdk-go's
		// protobuf format sets binary_data on every event, with or
		// without data, and no rule of the format says what an empty
		// data field means, so a case must not fail for it.
		o.data = nil
	}
	return o, nil
}

// decodeProtoEntry reads one attributes map entry: its key, the value
// member set and the value in its canonical string form (CORE-TYPE-3).
func decodeProtoEntry(b []byte) (name, member, value string, err error) {
	var val []byte
	err = walkProto(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			name = string(v)
		case num == 2 && typ == protowire.BytesType:
			val = v
		}
		return nil
	})
	if err != nil {
		return "", "", "", err
	}
	err = walkProto(val, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if num < 1 || num > 7 {
			return nil
		}
		member = protoMembers[num]
		switch num {
		case 1:
			value = strconv.FormatBool(x != 0)
		case 2:
			value = strconv.FormatInt(int64(int32(x)), 10)
		case 3, 5, 6:
			value = string(v)
		case 4:
			value = base64.StdEncoding.EncodeToString(v)
		case 7:
			var sec, nsec uint64
			if err := walkProto(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				switch num {
				case 1:
					sec = x
				case 2:
					nsec = x
				}
				return nil
			}); err != nil {
				return err
			}
			value = time.Unix(int64(sec), int64(int32(nsec))).UTC().Format(time.RFC3339Nano)
		}
		return nil
	})
	if err == nil && !utf8.ValidString(name) {
		err = fmt.Errorf("attribute name %q is not UTF-8", name)
	}
	return name, member, value, err
}

// walkProto calls f with each field of the message b: its number, wire
// type, and value (v for length-delimited fields, x for varints and
// fixed-size ones).
func walkProto(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return fmt.Errorf("offset %d: %w", pos, protowire.ParseError(n))
		}
		pos += n
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b[pos:])
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b[pos:])
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b[pos:])
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b[pos:])
		default:
			n = protowire.ConsumeFieldValue(num, typ, b[pos:])
		}
		if n < 0 {
			return fmt.Errorf("offset %d: field %d: %w", pos, num, protowire.ParseError(n))
		}
		pos += n
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
