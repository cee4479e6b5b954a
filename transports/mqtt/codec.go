package mqtt

import (
	"fmt"
	"strings"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// structuredPrefix starts the Content Type of every structured-mode
// message (MQTT-MODE-3).
const structuredPrefix = "application/cloudevents"

// decode reads one received message into e, choosing the content mode as
// the binding requires. It does not retain props; e retains payload.
func decode(v Version, contentType string, props []paho.UserProperty, payload []byte, e *event.Event) error {
	return decodeLimited(v, contentType, props, payload, e, event.DefaultMaxAttributes)
}

// decodeLimited is decode with a limit on the attributes of the event
// (maxAttrs > 0): user properties in binary mode, members in structured
// mode.
func decodeLimited(v Version, contentType string, props []paho.UserProperty, payload []byte, e *event.Event, maxAttrs int) error {
	if v == Version311 {
		// MQTT-V311-1, MQTT-STRUCTURED-2: 3.1.1 has no properties; the
		// payload is a JSON-format event.
		return decodeStructured(payload, e, maxAttrs)
	}
	// MQTT-MODE-3: structured when Content Type names a CloudEvents
	// format, binary otherwise.
	if len(contentType) >= len(structuredPrefix) && strings.EqualFold(contentType[:len(structuredPrefix)], structuredPrefix) {
		mt, _, _ := strings.Cut(contentType, ";")
		mt = strings.TrimSpace(mt)
		if strings.EqualFold(mt, jsonformat.MediaType) {
			return decodeStructured(payload, e, maxAttrs) // MQTT-FORMAT-1, MQTT-STRUCTURED-3
		}
		return fmt.Errorf("%w: Content Type %q (this subscriber reads %s; MQTT-FORMAT-1, MQTT-MODE-3)", ErrUnsupportedFormat, contentType, jsonformat.MediaType)
	}
	if contentType == "" && len(props) == 0 {
		// No properties at all: a binary-mode event needs at least the
		// specversion user property, so this cannot be one. It is what an
		// MQTT 3.1.1 publisher's message looks like to a 5.0 subscriber,
		// and for 3.1.1 the JSON format is implied (MQTT-STRUCTURED-2).
		return decodeStructured(payload, e, maxAttrs)
	}
	return decodeBinary(contentType, props, payload, e, maxAttrs)
}

func decodeStructured(payload []byte, e *event.Event, maxAttrs int) error {
	dec := jsonformat.Decoder{MaxAttributes: maxAttrs}
	return dec.Decode(payload, e)
}

// decodeBinary maps user properties to attributes (MQTT-BINARY-3,
// MQTT-BINARY-6: the names are the attribute names, unprefixed), Content
// Type to datacontenttype (MQTT-BINARY-1) and the payload to the data
// (MQTT-BINARY-2). User property values are strings of unknown type, so
// extensions become String values (MQTT-BINARY-7). A property whose name
// is not a legal attribute name is other metadata and is skipped; a legal
// name given twice is ambiguous and refused. Extensions are collected in
// arrival order and sorted once, so any number of properties in any order
// costs linear time; more than maxAttrs attribute properties are refused.
func decodeBinary(contentType string, props []paho.UserProperty, payload []byte, e *event.Event, maxAttrs int) error {
	e.Reset()
	var dup []event.Violation
	repeat := func(k string) {
		dup = append(dup, event.Violation{
			Rule: "MQTT-BINARY-3", Attribute: k, Pointer: "/" + k, Offset: -1,
			Message: "user property " + k + " appears more than once",
		})
	}
	ext := e.Extensions()[:0]
	n := 0
	for i := range props {
		k, val := props[i].Key, props[i].Value
		if !event.ValidName(k) {
			continue
		}
		if n++; n > maxAttrs {
			return &event.AttributeLimitError{Max: maxAttrs, Offset: -1}
		}
		if !event.IsCoreAttribute(k) {
			ext = append(ext, event.Extension{Name: k, Value: event.String(val)})
			continue
		}
		if e.Has(k) {
			repeat(k)
			continue
		}
		e.Set(k, event.String(val))
	}
	for _, k := range e.SetExtensions(ext) {
		repeat(k)
	}
	if contentType != "" {
		if e.Has(event.AttrDataContentType) && e.DataContentType() != contentType {
			dup = append(dup, event.Violation{
				Rule: "MQTT-BINARY-1", Attribute: event.AttrDataContentType, Pointer: "/" + event.AttrDataContentType, Offset: -1,
				Message: fmt.Sprintf("user property datacontenttype %q contradicts Content Type %q", e.DataContentType(), contentType),
			})
		}
		e.SetDataContentType(contentType)
	}
	if len(payload) > 0 {
		ct := e.DataContentType()
		if event.IsJSONMediaType(ct) || isTextMediaType(ct) {
			e.SetData(payload)
		} else {
			e.SetBinaryData(payload)
		}
	}
	if dup != nil {
		return &event.ValidationError{Violations: e.AppendViolations(dup)}
	}
	return e.Validate()
}

func isTextMediaType(ct string) bool {
	return len(ct) >= 5 && strings.EqualFold(ct[:5], "text/")
}

// outgoing is an encoded PUBLISH: what the Publisher hands to the client.
type outgoing struct {
	contentType string
	props       []paho.UserProperty
	payload     []byte
}

// encode renders e for mode into o, reusing o's slices. buf is the
// scratch buffer structured mode appends to; the returned buffer replaces
// it. The event must validate.
func encode(o *outgoing, mode binding.Mode, v Version, e *event.Event, buf []byte) ([]byte, error) {
	o.props = o.props[:0]
	o.contentType = ""
	o.payload = nil
	if mode == binding.ModeStructured {
		b, err := jsonformat.Append(buf[:0], e) // MQTT-STRUCTURED-3
		if err != nil {
			return buf, fmt.Errorf("%w: %w", errEncode, err)
		}
		if v == Version5 {
			o.contentType = jsonformat.MediaType // MQTT-STRUCTURED-1
		}
		o.payload = b
		return b, nil
	}
	if err := e.Validate(); err != nil {
		return buf, fmt.Errorf("%w: %w", errEncode, err)
	}
	for name, val := range e.Attributes {
		if name == event.AttrDataContentType {
			o.contentType = val.Text() // MQTT-BINARY-1
			continue
		}
		// MQTT-BINARY-3, MQTT-BINARY-6, MQTT-BINARY-7: one property per
		// attribute, bare name, canonical string value.
		o.props = append(o.props, paho.UserProperty{Key: name, Value: val.String()})
	}
	o.payload = e.Data() // MQTT-BINARY-2
	return buf, nil
}
