package strictpeer

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeStructured reads a structured-mode body in the JSON event format:
// exactly one JSON object.
func decodeStructured(body []byte) (*event, error) {
	var ev *event
	err := scanDocument(body, func(s *scanner) error {
		if s.peek() != '{' {
			return errors.New("structured body must be a JSON object")
		}
		var err error
		ev, err = decodeEventObject(s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// decodeBatch reads a JSON batch body: an array, possibly empty, of events
// in the JSON event format. One bad element spoils the whole batch.
func decodeBatch(body []byte) ([]*event, error) {
	var events []*event
	err := scanDocument(body, func(s *scanner) error {
		if s.peek() != '[' {
			return errors.New("batch body must be a JSON array")
		}
		return s.array(func() error {
			s.skipSpace()
			if s.peek() != '{' {
				return fmt.Errorf("batch element %d is not a JSON object", len(events))
			}
			ev, err := decodeEventObject(s)
			if err != nil {
				return fmt.Errorf("batch element %d: %w", len(events), err)
			}
			events = append(events, ev)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// Batched events MUST share one specversion (binding 3.3.2). validate
	// accepts only "1.0", so every element that got here already does.
	return events, nil
}

// decodeEventObject reads one event object, the scanner being at its '{',
// and validates it.
func decodeEventObject(s *scanner) (*event, error) {
	ev := newEvent()
	var data, data64 *jsonValue
	err := s.object(func(name string) error {
		v, err := s.value()
		if err != nil {
			return err
		}
		switch name {
		case "data":
			data = &v
			return nil
		case "data_base64":
			data64 = &v
			return nil
		}
		return ev.setJSON(name, v)
	})
	if err != nil {
		return nil, err
	}
	if err := ev.validate(); err != nil {
		return nil, err
	}
	if err := ev.setData(data, data64); err != nil {
		return nil, err
	}
	return ev, nil
}

// stringAttrs are the core attributes. Each is a String or a type encoded
// as a string, so in JSON a number or boolean is wrong for any of them;
// binary mode yields nothing but strings.
var stringAttrs = map[string]bool{
	"specversion":     true,
	"id":              true,
	"source":          true,
	"type":            true,
	"datacontenttype": true,
	"dataschema":      true,
	"subject":         true,
	"time":            true,
}

// setJSON records one member as an attribute, mapping JSON types to the
// type system as JSON format 2.2 does.
func (ev *event) setJSON(name string, v jsonValue) error {
	// validate checks names again, but a null member is never kept.
	if !validName(name) {
		return fmt.Errorf("invalid attribute name %q: only a-z and 0-9 are allowed", name)
	}
	if stringAttrs[name] && v.kind != jsonString && v.kind != jsonNull {
		return fmt.Errorf("attribute %s must be a JSON string, not %s", name, v.kind)
	}
	switch v.kind {
	case jsonNull:
		// null is the same as leaving the attribute out.
	case jsonString:
		ev.attrs[name] = attrValue{kind: kindString, s: v.str}
	case jsonBool:
		ev.attrs[name] = attrValue{kind: kindBoolean, b: v.truth}
	case jsonNumber:
		// Only the integer component, with an optional minus sign: so not
		// 5.0 or 5e0 either, though both are whole numbers.
		if !v.intForm {
			return fmt.Errorf("attribute %s: an Integer has no fraction or exponent", name)
		}
		n, err := strconv.ParseInt(string(v.raw), 10, 32)
		if err != nil {
			return fmt.Errorf("attribute %s: Integer out of the signed 32-bit range", name)
		}
		ev.attrs[name] = attrValue{kind: kindInteger, n: int32(n)}
	default:
		return fmt.Errorf("attribute %s: a JSON %s is not an attribute value", name, v.kind)
	}
	return nil
}

// setData turns the data or data_base64 member into the event's data
// (JSON format 3.1.2). It runs after validate, as it needs a checked
// datacontenttype.
func (ev *event) setData(data, data64 *jsonValue) error {
	if data64 != nil && data64.kind == jsonNull {
		// The format's JSON schema (cloudevents.json, data_base64def) allows
		// null here, the way unset attributes may be written as null. A null
		// data member is different: it is a value (see below).
		data64 = nil
	}
	switch {
	case data != nil && data64 != nil:
		return errors.New("data and data_base64 are both present")
	case data64 != nil:
		if data64.kind != jsonString {
			return fmt.Errorf("data_base64 must be a JSON string, not %s", data64.kind)
		}
		b, err := decodeBase64(data64.str)
		if err != nil {
			return err
		}
		ev.data, ev.hasData = b, true
	case data != nil:
		ct, hasCT := ev.attrs["datacontenttype"]
		if !hasCT || isJSONType(ct.s) {
			// The JSON value is the data, null included (an explicit null
			// payload, not an absent one); its text goes on unchanged.
			ev.data, ev.hasData = data.raw, true
			ev.impliedJSON = !hasCT
			return nil
		}
		// Any other type travels as a string in that type's encoding; the
		// format lets a receiver fail on anything else.
		if data.kind != jsonString {
			return fmt.Errorf("data must be a JSON string for datacontenttype %s, not %s", ct.s, data.kind)
		}
		if !utf8.ValidString(data.str) {
			return errors.New("data string holds an unpaired surrogate")
		}
		ev.data, ev.hasData = []byte(data.str), true
	}
	return nil
}

// decodeBase64 accepts RFC 4648 section 4 base64 only: standard alphabet,
// padding, zero pad bits. The standard decoder skips CR and LF, which are
// outside the alphabet, so they are refused first.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("data_base64 holds a line break")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("data_base64 is not base64: %w", err)
	}
	return b, nil
}

// isJSONType reports whether a media type declares JSON content: subtype
// json or a +json suffix, parameters aside (JSON format 3.1.1).
func isJSONType(mt string) bool {
	mt, _, _ = strings.Cut(mt, ";")
	_, sub, _ := strings.Cut(strings.ToLower(strings.TrimSpace(mt)), "/")
	return sub == "json" || strings.HasSuffix(sub, "+json")
}
