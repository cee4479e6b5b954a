package jsonformat

import (
	"encoding/base64"
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/openevents/openevents/event"
)

// Media types of the JSON event format (JSON-ENVELOPE-1, JSON-BATCH-1).
const (
	MediaType      = "application/cloudevents+json"
	BatchMediaType = "application/cloudevents-batch+json"
)

// Append appends the JSON form of e to dst and returns the extended slice.
// Attributes come in specification order, then extensions by name, then
// data. It returns dst unchanged and an [*EncodeError] if e does not
// validate or its data cannot be written as its content type demands.
func Append(dst []byte, e *event.Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return dst, &EncodeError{Err: err}
	}
	return appendValid(dst, e)
}

// Marshal returns the JSON form of e in a new slice; see [Append].
func Marshal(e *event.Event) ([]byte, error) {
	return Append(make([]byte, 0, 256+len(e.Data())*4/3), e)
}

// AppendBatch appends the batch form (a JSON array) of events to dst. It
// returns dst unchanged and an error naming the index of the first event
// that cannot be encoded.
func AppendBatch(dst []byte, events []event.Event) ([]byte, error) {
	out := append(dst, '[')
	for i := range events {
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = Append(out, &events[i]); err != nil {
			return dst, &EncodeError{Msg: "event " + strconv.Itoa(i) + ": " + err.Error(), Err: err}
		}
	}
	return append(out, ']'), nil
}

func appendValid(dst []byte, e *event.Event) ([]byte, error) {
	start := len(dst)
	dst = append(dst, `{"specversion":`...)
	dst = appendString(dst, e.SpecVersion())
	dst = append(dst, `,"id":`...)
	dst = appendString(dst, e.ID())
	dst = append(dst, `,"source":`...)
	dst = appendString(dst, e.Source())
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, e.Type())
	if e.Has(event.AttrDataContentType) {
		dst = append(dst, `,"datacontenttype":`...)
		dst = appendString(dst, e.DataContentType())
	}
	if e.Has(event.AttrDataSchema) {
		dst = append(dst, `,"dataschema":`...)
		dst = appendString(dst, e.DataSchema())
	}
	if e.Has(event.AttrSubject) {
		dst = append(dst, `,"subject":`...)
		dst = appendString(dst, e.Subject())
	}
	if e.Has(event.AttrTime) {
		dst = append(dst, `,"time":`...)
		dst = appendString(dst, e.Time())
	}
	for _, x := range e.Extensions() {
		dst = append(dst, ',', '"')
		dst = append(dst, x.Name...) // a valid name needs no escaping
		dst = append(dst, '"', ':')
		dst = appendValue(dst, x.Value)
	}
	if e.HasData() {
		var err error
		if dst, err = appendData(dst, e); err != nil {
			return dst[:start], err
		}
	}
	return append(dst, '}'), nil
}

// appendValue writes an attribute value by the type mapping (JSON-TYPE-1).
func appendValue(dst []byte, v event.Value) []byte {
	switch v.Kind() {
	case event.KindBoolean:
		return strconv.AppendBool(dst, v.Bool())
	case event.KindInteger:
		return strconv.AppendInt(dst, int64(v.Int()), 10)
	case event.KindBinary:
		dst = append(dst, '"')
		dst = v.AppendText(dst)
		return append(dst, '"')
	}
	return appendString(dst, v.Text())
}

func appendData(dst []byte, e *event.Event) ([]byte, error) {
	data := e.Data()
	ct := e.DataContentType()
	switch {
	case e.IsBinaryData():
		// JSON-DATA-2: binary data goes base64 into data_base64.
		dst = append(dst, `,"data_base64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, data)
		return append(dst, '"'), nil
	case !e.Has(event.AttrDataContentType) || event.IsJSONMediaType(ct):
		// JSON-DATA-3: the value itself, not a string holding it.
		if err := checkJSON(data); err != nil {
			if tooDeep(err) {
				return dst, &EncodeError{Rule: "JSON-DATA-3", Msg: "data is JSON nested deeper than 1000 levels, the limit of this encoder (it writes only what its decoder reads back)"}
			}
			return dst, &EncodeError{Rule: "JSON-DATA-3", Msg: "data is not one JSON value, but datacontenttype declares JSON"}
		}
		dst = append(dst, `,"data":`...)
		return append(dst, data...), nil
	default:
		// JSON-DATA-4: other content types go as a string.
		if !utf8.Valid(data) {
			return dst, &EncodeError{Rule: "JSON-DATA-4", Msg: "data is not UTF-8 text, so it cannot be a JSON string; set it as binary data"}
		}
		dst = append(dst, `,"data":`...)
		return appendString(dst, data), nil
	}
}

// needsEscape marks bytes a JSON string cannot hold as they are.
var needsEscape = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// appendString writes s as a JSON string, escaping only what JSON demands:
// '"', '\\' and control bytes. Eight bytes are checked at a time.
func appendString[S string | []byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start, i := 0, 0
	for i < len(s) {
		if i+8 <= len(s) {
			m := escapes(load64(s[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		if c := s[i]; needsEscape[c] {
			dst = append(dst, s[start:i]...)
			dst = appendEscape(dst, c)
			start = i + 1
		}
		i++
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// escapes is specials without the non-ASCII test: the high bit of each
// byte of w that is '"', '\\' or below 0x20, exact for the lowest.
func escapes(w uint64) uint64 {
	q := w ^ ('"' * ones)
	bs := w ^ ('\\' * ones)
	m := (q - ones) & ^q
	m |= (bs - ones) & ^bs
	m |= (w - 0x20*ones) & ^w
	return m & ^w & highs
}

// load64 reads eight bytes little-endian; the compiler makes it one load.
func load64[S string | []byte](s S) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}
