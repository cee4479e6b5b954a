package receive

import (
	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// AppendBinaryHeaders writes the ce- headers of e into dst, names and
// percent-encoded values back to back, and records where each one is in
// spans. datacontenttype is left out: it travels as Content-Type
// (HTTP-BINARY-1, HTTP-BINARY-2).
func AppendBinaryHeaders(dst []byte, spans []Span, e *event.Event) ([]byte, []Span) {
	for name, v := range e.Attributes {
		if name == event.AttrDataContentType {
			continue
		}
		ns := len(dst)
		dst = append(dst, "ce-"...) // HTTP-HEADER-NAME-1
		dst = append(dst, name...)
		vs := len(dst)
		switch v.Kind() {
		case event.KindBoolean, event.KindInteger, event.KindBinary:
			// Their canonical strings are printable ASCII with no space,
			// '"' or '%' (base64 included).
			dst = v.AppendText(dst)
		default:
			dst = binding.AppendHeaderValue(dst, v.Text()) // HTTP-HEADER-VALUE-3
		}
		spans = append(spans, Span{Name: [2]int32{int32(ns), int32(vs)}, Value: [2]int32{int32(vs), int32(len(dst))}})
	}
	return dst, spans
}
