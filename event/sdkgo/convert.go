package sdkgo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	sdk "github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/openevents/openevents/event"
)

// FromSDK converts an sdk-go event to an [event.Event].
//
// Every attribute is carried over with its type: sdk-go's string, bool,
// int32, []byte, types.URI, types.URIRef and types.Timestamp extension
// values become String, Boolean, Integer, Binary, URI, URI-reference and
// Timestamp values. A spec version 0.3 context is mapped to 1.0 the way the
// JSON decoder maps 0.3 input: schemaurl becomes dataschema
// (V03-SCHEMAURL-1) and datacontentencoding "base64" makes the data binary
// (V03-DATACONTENTENCODING-1). A nil extension value (sdk-go's null) is an
// absent attribute (JSON-TYPE-2).
//
// Data with DataBase64 set becomes binary data. Other data becomes text
// data: for a JSON datacontenttype (or none) it must be one JSON value,
// else FromSDK fails (JSON-DATA-3), and white space around the value (which
// sdk-go's JSON reader keeps) is left out; for other content types, bytes
// that are not UTF-8 text become binary data, since they have no textual
// form. Timestamps are written in RFC 3339 with the time.Time's own offset
// (UTC if the offset has seconds).
//
// The result shares no memory with se. FromSDK returns a
// [*ConversionError] for anything it cannot carry across: a missing
// context, an error sdk-go recorded in se.FieldErrors, an extension value
// of a type outside the CloudEvents type system, a Timestamp outside years
// 0000-9999, or JSON-declared data that is not JSON. Otherwise it validates
// the result and returns the [*event.ValidationError], if any, together with
// the converted event, which is then for diagnostics only.
func FromSDK(se *sdk.Event) (event.Event, error) {
	var e event.Event
	if se == nil || se.Context == nil || isNilContext(se.Context) {
		return e, &ConversionError{Rule: "CORE-ATTR-SPECVERSION-1", Msg: "the sdk-go event has no context, so no specversion"}
	}
	if len(se.FieldErrors) > 0 {
		// sdk-go's setters record a failure here and leave the attribute
		// unset: converting would drop it without a word.
		name := slices.Min(slices.Collect(maps.Keys(se.FieldErrors)))
		return e, &ConversionError{Attribute: name, Msg: "sdk-go recorded an error setting this attribute", Err: se.FieldErrors[name]}
	}

	var err error
	base64Text := false
	switch c := se.Context.(type) {
	case *sdk.EventContextV1:
		err = fromV1(&e, c)
	case *sdk.EventContextV03:
		base64Text, err = fromV03(&e, c, se.DataBase64)
	default:
		err = fromV1(&e, c.AsV1())
	}
	if err != nil {
		return e, err
	}
	if se.DataEncoded != nil {
		if err := fromSDKData(&e, se.DataEncoded, se.DataBase64, base64Text); err != nil {
			return e, err
		}
	}
	return e, e.Validate()
}

// isNilContext reports a typed nil pointer in the context interface.
func isNilContext(c sdk.EventContext) bool {
	switch c := c.(type) {
	case *sdk.EventContextV1:
		return c == nil
	case *sdk.EventContextV03:
		return c == nil
	}
	return false
}

// fromV1 copies a 1.0 context. sdk-go keeps id, source and type as plain
// values with no presence of their own, so the empty value is absence.
func fromV1(e *event.Event, c *sdk.EventContextV1) error {
	e.SetSpecVersion(event.SpecVersion)
	setCommon(e, c.ID, c.Source.String(), c.Type, c.DataContentType, c.Subject)
	if c.DataSchema != nil {
		e.SetDataSchema(c.DataSchema.String())
	}
	if err := setTime(e, c.Time); err != nil {
		return err
	}
	return fromSDKExtensions(e, c.Extensions)
}

// fromV03 maps a 0.3 context to 1.0. It reports whether the data is base64
// text still to be decoded: sdk-go's JSON reader decodes 0.3 base64 data
// itself and sets DataBase64, but its 0.3 SetData stores the base64 text.
func fromV03(e *event.Event, c *sdk.EventContextV03, dataBase64 bool) (bool, error) {
	e.SetSpecVersion(event.SpecVersion)
	setCommon(e, c.ID, c.Source.String(), c.Type, c.DataContentType, c.Subject)
	if c.SchemaURL != nil {
		e.SetDataSchema(c.SchemaURL.String()) // V03-SCHEMAURL-1
	}
	if err := setTime(e, c.Time); err != nil {
		return false, err
	}
	base64Text := false
	if c.DataContentEncoding != nil {
		if !strings.EqualFold(*c.DataContentEncoding, sdk.Base64) {
			return false, &ConversionError{Attribute: sdk.DataContentEncodingKey, Rule: "V03-DATACONTENTENCODING-2",
				Msg: "is " + quote(*c.DataContentEncoding) + "; base64 is the only defined encoding"}
		}
		base64Text = !dataBase64
	}
	return base64Text, fromSDKExtensions(e, c.Extensions)
}

func setCommon(e *event.Event, id, source, typ string, dct, subject *string) {
	if id != "" {
		e.SetID(id)
	}
	if source != "" {
		e.SetSource(source)
	}
	if typ != "" {
		e.SetType(typ)
	}
	if dct != nil {
		e.SetDataContentType(*dct)
	}
	if subject != nil {
		e.SetSubject(*subject)
	}
}

func setTime(e *event.Event, t *types.Timestamp) error {
	if t == nil {
		return nil
	}
	s, err := timestampText(event.AttrTime, t.Time)
	if err != nil {
		return err
	}
	e.SetTime(s)
	return nil
}

// timestampText writes t in RFC 3339 with its own offset, so that a
// timestamp read from text comes back with the offset it had.
func timestampText(attr string, t time.Time) (string, error) {
	if _, off := t.Zone(); off%60 != 0 {
		// RFC 3339 offsets have no seconds; writing this one would move
		// the instant.
		t = t.UTC()
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return "", &ConversionError{Attribute: attr, Rule: "CORE-TYPE-TIMESTAMP-1",
			Msg: "year " + strconv.Itoa(y) + " has no RFC 3339 form (0000-9999)"}
	}
	return t.Format(time.RFC3339Nano), nil
}

func fromSDKExtensions(e *event.Event, ext map[string]any) error {
	if len(ext) == 0 {
		return nil
	}
	// Sorted, so that the first error is always the same one.
	for _, name := range slices.Sorted(maps.Keys(ext)) {
		v, ok, err := fromSDKValue(name, ext[name])
		if err != nil {
			return err
		}
		if ok {
			e.SetExtension(name, v)
		}
	}
	return nil
}

// fromSDKValue converts one sdk-go attribute value. It reports false for
// nil (an absent attribute). Values other than sdk-go's canonical ones can
// only get into the map by writing it directly; they are accepted when
// types.Validate accepts them and nothing is lost.
func fromSDKValue(name string, v any) (event.Value, bool, error) {
	switch v := v.(type) {
	case nil:
		return event.Value{}, false, nil
	case string:
		return event.String(v), true, nil
	case bool:
		return event.Boolean(v), true, nil
	case int32:
		return event.Integer(v), true, nil
	case []byte:
		return event.Binary(v), true, nil
	case types.URI:
		return event.URI(v.String()), true, nil
	case *types.URI:
		if v == nil {
			return event.Value{}, false, nil
		}
		return event.URI(v.String()), true, nil
	case types.URIRef:
		return event.URIRef(v.String()), true, nil
	case *types.URIRef:
		if v == nil {
			return event.Value{}, false, nil
		}
		return event.URIRef(v.String()), true, nil
	case types.Timestamp:
		s, err := timestampText(name, v.Time)
		return event.Timestamp(s), err == nil, err
	case *types.Timestamp:
		if v == nil {
			return event.Value{}, false, nil
		}
		s, err := timestampText(name, v.Time)
		return event.Timestamp(s), err == nil, err
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return event.Value{}, false, nil
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int64:
		if n := rv.Int(); n >= math.MinInt32 && n <= math.MaxInt32 {
			return event.Integer(int32(n)), true, nil
		}
		return event.Value{}, false, &ConversionError{Attribute: name, Rule: "CORE-TYPE-INTEGER-1",
			Msg: "the number " + strconv.FormatInt(rv.Int(), 10) + " is outside the signed 32-bit range"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n := rv.Uint(); n <= math.MaxInt32 {
			return event.Integer(int32(n)), true, nil
		}
		return event.Value{}, false, &ConversionError{Attribute: name, Rule: "CORE-TYPE-INTEGER-1",
			Msg: "the number " + strconv.FormatUint(rv.Uint(), 10) + " is outside the signed 32-bit range"}
	case reflect.Float32, reflect.Float64:
		// types.Validate would truncate 1.5 to 1; only whole numbers
		// convert without loss.
		f := rv.Float()
		if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return event.Value{}, false, &ConversionError{Attribute: name, Rule: "CORE-TYPE-INTEGER-1",
				Msg: "the number " + strconv.FormatFloat(f, 'g', -1, 64) + " is not a 32-bit whole number"}
		}
		return event.Integer(int32(f)), true, nil
	}
	nv, err := types.Validate(rv.Interface())
	if err != nil {
		return event.Value{}, false, &ConversionError{Attribute: name, Rule: "CORE-TYPE-1",
			Msg: "the Go type " + rv.Type().String() + " has no CloudEvents type", Err: err}
	}
	switch nv := nv.(type) {
	case nil:
		return event.Value{}, false, nil
	case string, bool, int32, []byte, types.URI, types.URIRef, types.Timestamp:
		return fromSDKValue(name, nv)
	}
	return event.Value{}, false, &ConversionError{Attribute: name, Rule: "CORE-TYPE-1",
		Msg: "the Go type " + rv.Type().String() + " has no CloudEvents type"}
}

// fromSDKData sets the data of e from sdk-go's DataEncoded.
func fromSDKData(e *event.Event, b []byte, dataBase64, base64Text bool) error {
	switch {
	case base64Text:
		out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
		n, err := base64.StdEncoding.Strict().Decode(out, b)
		if err != nil || slices.Contains(b, '\n') || slices.Contains(b, '\r') {
			return &ConversionError{Attribute: "data", Rule: "V03-DATACONTENTENCODING-1",
				Msg: "datacontentencoding is base64 but the data is not valid base64 (RFC 4648)", Err: err}
		}
		e.SetBinaryData(out[:n:n])
	case dataBase64:
		e.SetBinaryData(slices.Clone(b))
	case jsonTyped(e):
		if !json.Valid(b) || !utf8.Valid(b) {
			return &ConversionError{Attribute: "data", Rule: "JSON-DATA-3",
				Msg: "the datacontenttype declares JSON (or is absent), but the data is not one JSON value"}
		}
		// sdk-go's JSON reader keeps the white space between the colon
		// and the value; it is not part of the value (RFC 8259 §2).
		e.SetData(slices.Clone(bytes.Trim(b, " \t\r\n")))
	case utf8.Valid(b):
		e.SetData(slices.Clone(b))
	default:
		// sdk-go's binary content mode stores any body with DataBase64
		// unset; bytes that are not text are binary data.
		e.SetBinaryData(slices.Clone(b))
	}
	return nil
}

// jsonTyped reports whether the data of e, when not binary, is a JSON
// value: the datacontenttype is JSON or absent (JSON-DATA-3, JSON-DATA-9).
func jsonTyped(e *event.Event) bool {
	return !e.Has(event.AttrDataContentType) || event.IsJSONMediaType(e.DataContentType())
}

// ToSDK converts e to an sdk-go event with a 1.0 context.
//
// Extensions keep their types: String, Boolean, Integer, Binary, URI,
// URI-reference and Timestamp become string, bool, int32, []byte,
// types.URI, types.URIRef and types.Timestamp. Binary data sets
// DataBase64; text data (a JSON value, or the text of another content
// type) goes into DataEncoded as it is.
//
// sdk-go holds URIs as net/url.URL and timestamps as time.Time. ToSDK
// fails rather than let a value change: a URI or URI-reference whose
// url.URL form does not print back exactly (Go's parser rejects
// percent-encoded hosts and IPvFuture literals, and rewrites userinfo and
// empty fragments), and a leap second, which time.Time cannot hold
// (CORE-TYPE-5). A timestamp keeps its instant and offset, but comes back
// from [FromSDK] in Go's RFC 3339 form: fraction without trailing zeros,
// upper-case T and Z, and Z for +00:00 and -00:00.
//
// ToSDK validates e first and returns its [*event.ValidationError] if it
// is not valid, and a [*ConversionError] for anything sdk-go cannot hold.
// The result shares no memory with e, even when e's strings point into a
// transport's receive buffer.
func ToSDK(e *event.Event) (sdk.Event, error) {
	if err := e.Validate(); err != nil {
		return sdk.Event{}, err
	}
	owned := e.Clone() // the strings below are kept by sdk-go as they are
	e = &owned
	c := &sdk.EventContextV1{ID: e.ID(), Type: e.Type()}
	src, err := toURL(event.AttrSource, e.Source())
	if err != nil {
		return sdk.Event{}, err
	}
	c.Source = types.URIRef{URL: *src}
	if e.Has(event.AttrDataContentType) {
		s := e.DataContentType()
		c.DataContentType = &s
	}
	if e.Has(event.AttrDataSchema) {
		u, err := toURL(event.AttrDataSchema, e.DataSchema())
		if err != nil {
			return sdk.Event{}, err
		}
		c.DataSchema = &types.URI{URL: *u}
	}
	if e.Has(event.AttrSubject) {
		s := e.Subject()
		c.Subject = &s
	}
	if e.Has(event.AttrTime) {
		t, err := toTime(event.AttrTime, e.Time())
		if err != nil {
			return sdk.Event{}, err
		}
		c.Time = &types.Timestamp{Time: t}
	}
	if ext := e.Extensions(); len(ext) > 0 {
		c.Extensions = make(map[string]any, len(ext))
		for _, x := range ext {
			v, err := toSDKValue(x.Name, x.Value)
			if err != nil {
				return sdk.Event{}, err
			}
			c.Extensions[x.Name] = v
		}
	}
	se := sdk.Event{Context: c}
	if e.HasData() {
		d := e.Data()
		if !e.IsBinaryData() && jsonTyped(e) && (!json.Valid(d) || !utf8.Valid(d)) {
			return sdk.Event{}, &ConversionError{Attribute: "data", Rule: "JSON-DATA-3",
				Msg: "the datacontenttype declares JSON (or is absent), but the data is not one JSON value"}
		}
		// Never nil: sdk-go reads a nil DataEncoded as no data.
		se.DataEncoded = append(make([]byte, 0, len(d)), d...)
		se.DataBase64 = e.IsBinaryData()
	}
	return se, nil
}

// toSDKValue converts one extension value to sdk-go's canonical Go type
// (the one types.Validate returns).
func toSDKValue(name string, v event.Value) (any, error) {
	switch v.Kind() {
	case event.KindString:
		return v.Text(), nil
	case event.KindBoolean:
		return v.Bool(), nil
	case event.KindInteger:
		return v.Int(), nil
	case event.KindBinary:
		return v.Bytes(), nil
	case event.KindURI:
		u, err := toURL(name, v.Text())
		if err != nil {
			return nil, err
		}
		return types.URI{URL: *u}, nil
	case event.KindURIRef:
		u, err := toURL(name, v.Text())
		if err != nil {
			return nil, err
		}
		return types.URIRef{URL: *u}, nil
	case event.KindTimestamp:
		t, err := toTime(name, v.Text())
		if err != nil {
			return nil, err
		}
		return types.Timestamp{Time: t}, nil
	}
	// Validate has accepted the event, so this is not reached.
	return nil, &ConversionError{Attribute: name, Rule: "CORE-TYPE-1", Msg: "has no CloudEvents type"}
}

// toURL parses a validated URI or URI-reference into the net/url form
// sdk-go keeps, and insists that it prints back unchanged (CORE-TYPE-5).
func toURL(attr, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err == nil {
		// url.Parse lowers the scheme; RFC 3986 §3.1 makes case
		// insignificant there, but the text must survive.
		if n := len(u.Scheme); n > 0 && n < len(s) && strings.EqualFold(s[:n], u.Scheme) {
			u.Scheme = s[:n]
		}
		if u.String() == s {
			return u, nil
		}
	}
	return nil, &ConversionError{Attribute: attr, Rule: "CORE-TYPE-5",
		Msg: "sdk-go holds URIs as net/url.URL, which cannot reproduce " + quote(s) + " exactly", Err: err}
}

// toTime parses a validated RFC 3339 timestamp into the time.Time sdk-go
// keeps (CORE-TYPE-5).
func toTime(attr, s string) (time.Time, error) {
	// RFC 3339 §5.6 allows lower-case t and z; Go's parser does not. No
	// other letter occurs in a valid timestamp.
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	if err != nil {
		return time.Time{}, &ConversionError{Attribute: attr, Rule: "CORE-TYPE-5",
			Msg: "sdk-go holds timestamps as time.Time, which cannot hold " + quote(s), Err: err}
	}
	return t, nil
}
