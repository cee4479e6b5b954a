package sdkgo_test

import (
	"bytes"
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"
	"unsafe"

	sdk "github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/sdkgo"
	"github.com/openevents/openevents/spec"
)

// ours returns a minimal valid event changed by each of set.
func ours(set ...func(e *event.Event)) event.Event {
	var e event.Event
	e.SetSpecVersion("1.0")
	e.SetID("id-1")
	e.SetSource("https://example.com/src")
	e.SetType("com.example.t")
	for _, f := range set {
		f(&e)
	}
	return e
}

func dct(ct string) func(*event.Event) {
	return func(e *event.Event) { e.SetDataContentType(ct) }
}

func text(s string) func(*event.Event) {
	return func(e *event.Event) { e.SetData([]byte(s)) }
}

func binary(b ...byte) func(*event.Event) {
	return func(e *event.Event) { e.SetBinaryData(b) }
}

func ext(name string, v event.Value) func(*event.Event) {
	return func(e *event.Event) { e.SetExtension(name, v) }
}

func attr(name, v string) func(*event.Event) {
	return func(e *event.Event) { e.Set(name, event.String(v)) }
}

func TestOursToSDKAndBack(t *testing.T) {
	tests := []struct {
		name string
		e    event.Event
	}{
		{"minimal", ours()},
		{"all core attributes", ours(dct("application/json"), attr("dataschema", "https://example.com/schema?v=1"),
			attr("subject", "orders/1"), attr("time", "2024-03-01T09:30:00.123456789+01:00"), text(`{"a":1}`))},
		{"relative source", ours(attr("source", "/mycontext"))},
		{"network-path source", ours(attr("source", "//example.com/x"))},
		{"urn source", ours(attr("source", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"))},
		{"mailto source", ours(attr("source", "mailto:ops@example.com"))},
		{"source with query and fragment", ours(attr("source", "https://example.com/a%2Fb?x=1&y#frag"))},
		{"upper-case scheme", ours(attr("source", "HTTPS://example.com/x"))},
		{"ipv6 source", ours(attr("source", "http://[2001:db8::1]:8080/p"))},
		{"time UTC", ours(attr("time", "2024-03-01T09:30:00Z"))},
		{"time negative offset", ours(attr("time", "2024-03-01T09:30:00.5-08:00"))},
		{"time year 0", ours(attr("time", "0000-01-01T00:00:00Z"))},
		{"extension string", ours(ext("comexamplestr", event.String("v")))},
		{"extension empty string", ours(ext("comexampleempty", event.String("")))},
		{"extension unicode", ours(ext("comexampleuni", event.String("ünïcödé 🎉")))},
		{"extension booleans", ours(ext("yes", event.Boolean(true)), ext("no", event.Boolean(false)))},
		{"extension integers", ours(ext("max", event.Integer(2147483647)), ext("min", event.Integer(-2147483648)), ext("zero", event.Integer(0)))},
		{"extension binary", ours(ext("bin", event.Binary([]byte{0, 1, 2, 0xff})))},
		{"extension empty binary", ours(ext("bin", event.Binary(nil)))},
		{"extension URI", ours(ext("comexampleuri", event.URI("https://example.com/u?q=1")))},
		{"extension URI-reference", ours(ext("comexampleref", event.URIRef("../rel/x#frag")))},
		{"extension timestamp", ours(ext("comexamplets", event.Timestamp("2024-03-01T09:30:00.5+05:30")))},
		{"documented extensions", ours(ext("traceparent", event.String("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")),
			ext("dataref", event.URIRef("https://example.com/blob/1")), ext("expirytime", event.Timestamp("2030-01-01T00:00:00Z")))},
		{"every extension kind", ours(ext("a", event.String("s")), ext("b", event.Boolean(true)), ext("c", event.Integer(7)),
			ext("d", event.Binary([]byte("x"))), ext("e", event.URI("urn:x")), ext("f", event.URIRef("/g")), ext("g", event.Timestamp("2024-03-01T09:30:00Z")))},
		{"binary data", ours(dct("application/octet-stream"), binary(0, 1, 2, 3, 0xfe, 0xff))},
		{"binary data, JSON content type", ours(dct("application/json"), binary('{', '}'))},
		{"binary data, no content type", ours(binary(9, 8, 7))},
		{"empty binary data", ours(dct("image/png"), binary())},
		{"JSON object", ours(dct("application/json"), text(`{"a":[1,2,{"b":null}]}`))},
		{"JSON string", ours(dct("application/json"), text(`"hi"`))},
		{"JSON string that looks like an object", ours(dct("application/json"), text(`"{\"a\":1}"`))},
		{"JSON false", ours(dct("application/json"), text(`false`))},
		{"JSON null", ours(dct("application/json"), text(`null`))},
		{"JSON zero", ours(text(`0`))},
		{"JSON no content type", ours(text(`"str"`))},
		{"JSON suffix type", ours(dct("application/vnd.example+json"), text(`{"a":1}`))},
		{"JSON with parameters", ours(dct("application/json; charset=utf-8"), text(`[1,"two"]`))},
		{"text/json", ours(dct("text/json"), text(`true`))},
		{"text data", ours(dct("text/plain"), text("hello\nworld"))},
		{"xml data", ours(dct("application/xml"), text(`<much wow="xml"/>`))},
		{"empty text data", ours(dct("text/plain"), text(""))},
		{"content type without data", ours(dct("text/plain"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.e.Validate(); err != nil {
				t.Fatalf("the test event is not valid: %v", err)
			}
			se, err := sdkgo.ToSDK(&tt.e)
			if err != nil {
				t.Fatalf("ToSDK: %v", err)
			}
			if err := se.Validate(); err != nil {
				t.Errorf("sdk-go finds the converted event invalid: %v", err)
			}
			back, err := sdkgo.FromSDK(&se)
			if err != nil {
				t.Fatalf("FromSDK: %v", err)
			}
			if !back.Equal(&tt.e) {
				t.Errorf("round trip changed the event: differs in %v", diff(&tt.e, &back))
			}
		})
	}
}

// theirs returns a minimal sdk-go event with a 1.0 context changed by
// each of set.
func theirs(set ...func(c *sdk.EventContextV1, se *sdk.Event)) sdk.Event {
	c := &sdk.EventContextV1{ID: "id-1", Type: "com.example.t", Source: *types.ParseURIRef("https://example.com/src")}
	se := sdk.Event{Context: c}
	for _, f := range set {
		f(c, &se)
	}
	return se
}

func ptr[T any](v T) *T { return &v }

func TestSDKToOursAndBack(t *testing.T) {
	when := time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		se   sdk.Event
	}{
		{"minimal", theirs()},
		{"all core attributes", theirs(func(c *sdk.EventContextV1, se *sdk.Event) {
			c.DataContentType = ptr("application/json")
			c.DataSchema = types.ParseURI("https://example.com/schema")
			c.Subject = ptr("orders/1")
			c.Time = &types.Timestamp{Time: when}
			se.DataEncoded = []byte(`{"a":1}`)
		})},
		{"time with an offset", theirs(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Time = &types.Timestamp{Time: when.In(time.FixedZone("", 5*3600+1800))}
		})},
		{"extensions of every type", theirs(func(c *sdk.EventContextV1, _ *sdk.Event) {
			for name, v := range map[string]any{
				"str": "v", "empty": "", "yes": true, "no": false, "int": int32(-5),
				"bin": []byte{0, 1, 0xff}, "uri": *types.ParseURI("https://example.com/u"),
				"ref": *types.ParseURIRef("/a/b#c"), "ts": types.Timestamp{Time: when},
			} {
				if err := c.SetExtension(name, v); err != nil {
					t.Fatal(err)
				}
			}
		})},
		{"binary data", theirs(func(c *sdk.EventContextV1, se *sdk.Event) {
			c.DataContentType = ptr("application/octet-stream")
			se.DataEncoded = []byte{0, 1, 2, 0xff}
			se.DataBase64 = true
		})},
		{"empty binary data", theirs(func(_ *sdk.EventContextV1, se *sdk.Event) {
			se.DataEncoded = []byte{}
			se.DataBase64 = true
		})},
		{"JSON data", theirs(func(c *sdk.EventContextV1, se *sdk.Event) {
			if err := se.SetData("application/json", map[string]int{"a": 1}); err != nil {
				t.Fatal(err)
			}
		})},
		{"JSON string data, no content type", theirs(func(_ *sdk.EventContextV1, se *sdk.Event) {
			se.DataEncoded = []byte(`"hi"`)
		})},
		{"JSON false", theirs(func(c *sdk.EventContextV1, se *sdk.Event) {
			c.DataContentType = ptr("application/json")
			se.DataEncoded = []byte(`false`)
		})},
		{"text data", theirs(func(_ *sdk.EventContextV1, se *sdk.Event) {
			if err := se.SetData("text/plain", "hello"); err != nil {
				t.Fatal(err)
			}
		})},
		{"no data", theirs(func(c *sdk.EventContextV1, _ *sdk.Event) { c.DataContentType = ptr("text/plain") })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.se.Validate(); err != nil {
				t.Fatalf("the test event is not valid: %v", err)
			}
			e, err := sdkgo.FromSDK(&tt.se)
			if err != nil {
				t.Fatalf("FromSDK: %v", err)
			}
			back, err := sdkgo.ToSDK(&e)
			if err != nil {
				t.Fatalf("ToSDK: %v", err)
			}
			if d := sdkDiff(&tt.se, &back); d != "" {
				t.Errorf("round trip changed the event: %s", d)
			}
		})
	}
}

// sdkDiff describes the first difference between two sdk-go events, or
// returns "". Extension values must have the same Go type; timestamps the
// same instant and offset.
func sdkDiff(a, b *sdk.Event) string {
	ca, cb := a.Context.AsV1(), b.Context.AsV1()
	switch {
	case ca.ID != cb.ID:
		return "id"
	case ca.Source.String() != cb.Source.String():
		return "source"
	case ca.Type != cb.Type:
		return "type"
	case !reflect.DeepEqual(ca.DataContentType, cb.DataContentType):
		return "datacontenttype"
	case !reflect.DeepEqual(ca.Subject, cb.Subject):
		return "subject"
	case (ca.DataSchema == nil) != (cb.DataSchema == nil) || ca.DataSchema != nil && ca.DataSchema.String() != cb.DataSchema.String():
		return "dataschema"
	case (ca.Time == nil) != (cb.Time == nil) || ca.Time != nil && !sameTime(ca.Time.Time, cb.Time.Time):
		return "time"
	case len(ca.Extensions) != len(cb.Extensions):
		return "extensions"
	case (a.DataEncoded == nil) != (b.DataEncoded == nil) || !bytes.Equal(a.DataEncoded, b.DataEncoded):
		return "data " + string(a.DataEncoded) + " vs " + string(b.DataEncoded)
	case a.DataBase64 != b.DataBase64:
		return "DataBase64"
	}
	for name, va := range ca.Extensions {
		vb := cb.Extensions[name]
		if reflect.TypeOf(va) != reflect.TypeOf(vb) {
			return "extension " + name + " type"
		}
		var same bool
		switch va := va.(type) {
		case types.Timestamp:
			vb, ok := vb.(types.Timestamp)
			same = ok && sameTime(va.Time, vb.Time)
		case types.URI:
			vb, ok := vb.(types.URI)
			same = ok && va.String() == vb.String()
		case types.URIRef:
			vb, ok := vb.(types.URIRef)
			same = ok && va.String() == vb.String()
		case []byte:
			vb, ok := vb.([]byte)
			same = ok && bytes.Equal(va, vb)
		default:
			same = va == vb
		}
		if !same {
			return "extension " + name
		}
	}
	return ""
}

func sameTime(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
}

// checkRule fails unless rule is "" or in the requirement catalog.
func checkRule(t *testing.T, rule string) {
	t.Helper()
	if _, ok := spec.Default().Lookup(rule); rule != "" && !ok {
		t.Errorf("rule %q is not in the requirement catalog", rule)
	}
}

func TestFromSDKErrors(t *testing.T) {
	v1 := func(set func(c *sdk.EventContextV1, se *sdk.Event)) *sdk.Event { se := theirs(set); return &se }
	tests := []struct {
		name     string
		se       *sdk.Event
		attr     string
		rule     string
		validate bool // a *event.ValidationError rather than a *ConversionError
	}{
		{"nil event", nil, "", "CORE-ATTR-SPECVERSION-1", false},
		{"no context", &sdk.Event{}, "", "CORE-ATTR-SPECVERSION-1", false},
		{"typed nil context", &sdk.Event{Context: (*sdk.EventContextV1)(nil)}, "", "CORE-ATTR-SPECVERSION-1", false},
		{"field error", v1(func(_ *sdk.EventContextV1, se *sdk.Event) {
			se.SetSource("http://[::1")
		}), "source", "", false},
		{"map extension", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"nested": map[string]any{}}
		}), "nested", "CORE-TYPE-1", false},
		{"struct extension", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"thing": struct{}{}}
		}), "thing", "CORE-TYPE-1", false},
		{"fractional number extension", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"n": 1.5}
		}), "n", "CORE-TYPE-INTEGER-1", false},
		{"huge number extension", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"n": float64(1 << 40)}
		}), "n", "CORE-TYPE-INTEGER-1", false},
		{"int64 out of range", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"n": int64(1) << 40}
		}), "n", "CORE-TYPE-INTEGER-1", false},
		{"uint64 out of range", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"n": uint64(1) << 31}
		}), "n", "CORE-TYPE-INTEGER-1", false},
		{"timestamp beyond year 9999", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Time = &types.Timestamp{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
		}), "time", "CORE-TYPE-TIMESTAMP-1", false},
		{"extension timestamp before year 0", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"ts": types.Timestamp{Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}
		}), "ts", "CORE-TYPE-TIMESTAMP-1", false},
		{"JSON data that is not JSON", v1(func(c *sdk.EventContextV1, se *sdk.Event) {
			c.DataContentType = ptr("application/json")
			se.DataEncoded = []byte("hello")
		}), "data", "JSON-DATA-3", false},
		{"data, no content type, not JSON", v1(func(_ *sdk.EventContextV1, se *sdk.Event) {
			se.DataEncoded = []byte("{")
		}), "data", "JSON-DATA-3", false},
		{"empty JSON data", v1(func(_ *sdk.EventContextV1, se *sdk.Event) {
			se.DataEncoded = []byte{}
		}), "data", "JSON-DATA-3", false},
		{"0.3 unknown encoding", &sdk.Event{Context: &sdk.EventContextV03{ID: "1", Type: "t",
			Source: *types.ParseURIRef("/s"), DataContentEncoding: ptr("quoted-printable")}}, "datacontentencoding", "V03-DATACONTENTENCODING-2", false},
		{"0.3 base64 text that is not base64", &sdk.Event{Context: &sdk.EventContextV03{ID: "1", Type: "t",
			Source: *types.ParseURIRef("/s"), DataContentEncoding: ptr("base64")}, DataEncoded: []byte("AA=A")}, "data", "V03-DATACONTENTENCODING-1", false},
		{"0.3 base64 text with a line break", &sdk.Event{Context: &sdk.EventContextV03{ID: "1", Type: "t",
			Source: *types.ParseURIRef("/s"), DataContentEncoding: ptr("base64")}, DataEncoded: []byte("AAEC\nAAEC")}, "data", "V03-DATACONTENTENCODING-1", false},
		{"empty subject", v1(func(c *sdk.EventContextV1, _ *sdk.Event) { c.Subject = ptr("") }), "subject", "CORE-ATTR-SUBJECT-1", true},
		{"no id", v1(func(c *sdk.EventContextV1, _ *sdk.Event) { c.ID = "" }), "id", "CORE-ATTR-ID-1", true},
		{"upper-case extension name", v1(func(c *sdk.EventContextV1, _ *sdk.Event) {
			c.Extensions = map[string]any{"Upper": "v"}
		}), "Upper", "CORE-NAMING-1", true},
		{"control character", v1(func(c *sdk.EventContextV1, _ *sdk.Event) { c.Type = "a\x00b" }), "type", "CORE-TYPE-STRING-1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRule(t, tt.rule)
			_, err := sdkgo.FromSDK(tt.se)
			if err == nil {
				t.Fatal("FromSDK succeeded")
			}
			if tt.validate {
				var ve *event.ValidationError
				if !errors.As(err, &ve) || !errors.Is(err, event.ErrInvalid) {
					t.Fatalf("got %T %v, want a *event.ValidationError", err, err)
				}
				if v := ve.Violations[0]; v.Attribute != tt.attr || v.Rule != tt.rule {
					t.Errorf("got %s %s, want %s %s", v.Attribute, v.Rule, tt.attr, tt.rule)
				}
				return
			}
			var ce *sdkgo.ConversionError
			if !errors.As(err, &ce) || !errors.Is(err, sdkgo.ErrUnrepresentable) {
				t.Fatalf("got %T %v, want a *sdkgo.ConversionError", err, err)
			}
			if ce.Attribute != tt.attr || ce.Rule != tt.rule {
				t.Errorf("got %q %q (%v), want %q %q", ce.Attribute, ce.Rule, err, tt.attr, tt.rule)
			}
		})
	}
}

func TestFromSDKValues(t *testing.T) {
	when := time.Date(2024, 3, 1, 9, 30, 0, 0, time.FixedZone("", 3600))
	u, _ := url.Parse("https://example.com/x")
	var nilURI *types.URI
	tests := []struct {
		name string
		in   any
		want event.Value // zero: absent
	}{
		{"string", "s", event.String("s")},
		{"bool", true, event.Boolean(true)},
		{"int32", int32(-3), event.Integer(-3)},
		{"int", 42, event.Integer(42)},
		{"int64", int64(-2147483648), event.Integer(-2147483648)},
		{"uint8", uint8(255), event.Integer(255)},
		{"uint32", uint32(2147483647), event.Integer(2147483647)},
		{"int8", int8(-128), event.Integer(-128)},
		{"whole float64", 3.0, event.Integer(3)},
		{"float32", float32(-8), event.Integer(-8)},
		{"pointer to float", ptr(2.0), event.Integer(2)},
		{"pointer to string", ptr("p"), event.String("p")},
		{"bytes", []byte{1, 2}, event.Binary([]byte{1, 2})},
		{"URI", *types.ParseURI("https://example.com/u"), event.URI("https://example.com/u")},
		{"pointer to URI", types.ParseURI("urn:x"), event.URI("urn:x")},
		{"URI-reference", *types.ParseURIRef("../a"), event.URIRef("../a")},
		{"pointer to URI-reference", types.ParseURIRef("/b"), event.URIRef("/b")},
		{"url.URL", *u, event.URI("https://example.com/x")},
		{"*url.URL", u, event.URI("https://example.com/x")},
		{"Timestamp", types.Timestamp{Time: when}, event.Timestamp("2024-03-01T09:30:00+01:00")},
		{"pointer to Timestamp", &types.Timestamp{Time: when.UTC()}, event.Timestamp("2024-03-01T08:30:00Z")},
		{"time.Time", when, event.Timestamp("2024-03-01T09:30:00+01:00")},
		{"seconds offset", time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 561)), event.Timestamp("1899-12-31T23:50:39Z")},
		{"nil", nil, event.Value{}},
		{"nil pointer", nilURI, event.Value{}},
		{"nil *int", (*int)(nil), event.Value{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := theirs(func(c *sdk.EventContextV1, _ *sdk.Event) { c.Extensions = map[string]any{"x": tt.in} })
			e, err := sdkgo.FromSDK(&se)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := e.Extension("x")
			if ok != (tt.want.Kind() != 0) || !got.Equal(tt.want) {
				t.Errorf("got %v %v (%v), want %v %v", got.Kind(), got, ok, tt.want.Kind(), tt.want)
			}
		})
	}
}

func TestFromSDKV03(t *testing.T) {
	when := time.Date(2018, 4, 5, 17, 31, 0, 0, time.UTC)
	c := &sdk.EventContextV03{
		ID: "1", Type: "com.example.t", Source: *types.ParseURIRef("/s"), Subject: ptr("x"),
		Time: &types.Timestamp{Time: when}, SchemaURL: types.ParseURIRef("https://example.com/schema"),
		DataContentType: ptr("application/octet-stream"), DataContentEncoding: ptr("base64"),
		Extensions: map[string]any{"comexampleext": "v"},
	}
	want := ours(attr("id", "1"), attr("type", "com.example.t"), attr("source", "/s"), attr("subject", "x"),
		attr("time", "2018-04-05T17:31:00Z"), attr("dataschema", "https://example.com/schema"),
		dct("application/octet-stream"), ext("comexampleext", event.String("v")), binary(0, 1, 2))

	// sdk-go's JSON reader decodes 0.3 base64 data itself and sets
	// DataBase64; its 0.3 SetData keeps the base64 text.
	for _, tt := range []struct {
		name string
		se   sdk.Event
	}{
		{"decoded", sdk.Event{Context: c, DataEncoded: []byte{0, 1, 2}, DataBase64: true}},
		{"base64 text", sdk.Event{Context: c, DataEncoded: []byte("AAEC")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, err := sdkgo.FromSDK(&tt.se)
			if err != nil {
				t.Fatal(err)
			}
			if !e.Equal(&want) {
				t.Errorf("differs in %v", diff(&want, &e))
			}
		})
	}
	t.Run("text data", func(t *testing.T) {
		c := &sdk.EventContextV03{ID: "1", Type: "t", Source: *types.ParseURIRef("/s"), DataContentType: ptr("text/xml")}
		e, err := sdkgo.FromSDK(&sdk.Event{Context: c, DataEncoded: []byte(`<a/>`)})
		if err != nil {
			t.Fatal(err)
		}
		if e.SpecVersion() != "1.0" || e.IsBinaryData() || string(e.Data()) != `<a/>` {
			t.Errorf("got %s %v %q", e.SpecVersion(), e.IsBinaryData(), e.Data())
		}
	})
}

func TestFromSDKData(t *testing.T) {
	tests := []struct {
		name       string
		ct         *string
		data       []byte
		base64     bool
		want       string
		wantBinary bool
	}{
		{"JSON keeps quotes", nil, []byte(`"hi"`), false, `"hi"`, false},
		{"white space around JSON is not part of it", ptr("application/json"), []byte(" \n{\"a\": 1}\t"), false, `{"a": 1}`, false},
		{"text", ptr("text/plain"), []byte("a b"), false, "a b", false},
		{"bytes that are not text are binary", ptr("image/png"), []byte{0x89, 'P', 'N', 'G', 0xff}, false, "\x89PNG\xff", true},
		{"base64 flag", ptr("text/plain"), []byte("abc"), true, "abc", true},
		{"empty text", ptr("text/plain"), []byte{}, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := theirs(func(c *sdk.EventContextV1, se *sdk.Event) {
				c.DataContentType = tt.ct
				se.DataEncoded = tt.data
				se.DataBase64 = tt.base64
			})
			e, err := sdkgo.FromSDK(&se)
			if err != nil {
				t.Fatal(err)
			}
			if !e.HasData() || string(e.Data()) != tt.want || e.IsBinaryData() != tt.wantBinary {
				t.Errorf("got %q binary=%v, want %q binary=%v", e.Data(), e.IsBinaryData(), tt.want, tt.wantBinary)
			}
			if len(tt.data) > 0 && &e.Data()[0] == &tt.data[0] {
				t.Error("the event shares its data with the sdk-go event")
			}
		})
	}
}

func TestToSDKErrors(t *testing.T) {
	tests := []struct {
		name     string
		e        event.Event
		attr     string
		rule     string
		validate bool
	}{
		{"invalid event", ours(attr("subject", "")), "subject", "CORE-ATTR-SUBJECT-1", true},
		{"no specversion", ours(func(e *event.Event) { e.Delete("specversion") }), "specversion", "CORE-ATTR-SPECVERSION-1", true},
		{"0.3", ours(attr("specversion", "0.3")), "specversion", "CORE-ATTR-SPECVERSION-3", true},
		{"userinfo net/url rewrites", ours(attr("source", "https://user:pa!ss@example.com/")), "source", "CORE-TYPE-5", false},
		{"empty fragment", ours(attr("source", "/a#")), "source", "CORE-TYPE-5", false},
		{"percent-encoded host", ours(attr("dataschema", "https://ex%41mple.com/s")), "dataschema", "CORE-TYPE-5", false},
		{"IPvFuture", ours(ext("comexampleuri", event.URI("http://[v1.x]/"))), "comexampleuri", "CORE-TYPE-5", false},
		{"URI-reference extension", ours(ext("comexampleref", event.URIRef("/a#"))), "comexampleref", "CORE-TYPE-5", false},
		{"leap second", ours(attr("time", "2016-12-31T23:59:60Z")), "time", "CORE-TYPE-5", false},
		{"leap second extension", ours(ext("ts", event.Timestamp("2016-12-31T23:59:60Z"))), "ts", "CORE-TYPE-5", false},
		{"JSON data that is not JSON", ours(dct("application/json"), text("hello")), "data", "JSON-DATA-3", false},
		{"data with no content type that is not JSON", ours(text("{")), "data", "JSON-DATA-3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRule(t, tt.rule)
			_, err := sdkgo.ToSDK(&tt.e)
			if err == nil {
				t.Fatal("ToSDK succeeded")
			}
			if tt.validate {
				var ve *event.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("got %T %v, want a *event.ValidationError", err, err)
				}
				if v := ve.Violations[0]; v.Attribute != tt.attr || v.Rule != tt.rule {
					t.Errorf("got %s %s, want %s %s", v.Attribute, v.Rule, tt.attr, tt.rule)
				}
				return
			}
			var ce *sdkgo.ConversionError
			if !errors.As(err, &ce) || !errors.Is(err, sdkgo.ErrUnrepresentable) {
				t.Fatalf("got %T %v, want a *sdkgo.ConversionError", err, err)
			}
			if ce.Attribute != tt.attr || ce.Rule != tt.rule {
				t.Errorf("got %q %q (%v), want %q %q", ce.Attribute, ce.Rule, err, tt.attr, tt.rule)
			}
		})
	}
}

func TestToSDKTypes(t *testing.T) {
	e := ours(ext("s", event.String("v")), ext("b", event.Boolean(true)), ext("i", event.Integer(7)),
		ext("bin", event.Binary([]byte{1})), ext("u", event.URI("urn:x")), ext("r", event.URIRef("/y")),
		ext("ts", event.Timestamp("2024-03-01t09:30:00.50z")), attr("time", "2024-03-01T09:30:00+01:00"),
		dct("image/png"), binary(1, 2, 3))
	se, err := sdkgo.ToSDK(&e)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]reflect.Type{
		"s": reflect.TypeFor[string](), "b": reflect.TypeFor[bool](), "i": reflect.TypeFor[int32](),
		"bin": reflect.TypeFor[[]byte](), "u": reflect.TypeFor[types.URI](), "r": reflect.TypeFor[types.URIRef](),
		"ts": reflect.TypeFor[types.Timestamp](),
	}
	for name, typ := range want {
		if got := reflect.TypeOf(se.Extensions()[name]); got != typ {
			t.Errorf("%s: got %v, want %v", name, got, typ)
		}
	}
	// Lower-case t and z are RFC 3339; the value comes back in Go's form.
	if ts, ok := se.Extensions()["ts"].(types.Timestamp); !ok || !ts.Equal(time.Date(2024, 3, 1, 9, 30, 0, 5e8, time.UTC)) {
		t.Errorf("ts = %v", ts)
	}
	if _, off := se.Time().Zone(); off != 3600 {
		t.Errorf("time offset %d, want 3600", off)
	}
	if !se.DataBase64 || !bytes.Equal(se.DataEncoded, []byte{1, 2, 3}) {
		t.Errorf("data %v base64=%v", se.DataEncoded, se.DataBase64)
	}
	if &se.DataEncoded[0] == &e.Data()[0] {
		t.Error("the sdk-go event shares its data with the event")
	}
	back, err := sdkgo.FromSDK(&se)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := back.Extension("ts"); v.Text() != "2024-03-01T09:30:00.5Z" {
		t.Errorf("ts came back as %q", v.Text())
	}
}

func TestConversionError(t *testing.T) {
	cause := errors.New("cause")
	err := error(&sdkgo.ConversionError{Attribute: "source", Rule: "CORE-TYPE-5", Msg: "cannot", Err: cause})
	if got, want := err.Error(), "sdkgo: source: cannot: cause (CORE-TYPE-5)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(err, sdkgo.ErrUnrepresentable) || !errors.Is(err, cause) {
		t.Error("errors.Is does not find the sentinel and the cause")
	}
	if got, want := (&sdkgo.ConversionError{Msg: "m"}).Error(), "sdkgo: m"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestToSDKOwnsItsStrings: the sdk-go event keeps its values when the
// buffer the source event's strings point into is reused, as transports
// reuse their receive buffers once the handler returns.
func TestToSDKOwnsItsStrings(t *testing.T) {
	buf := []byte("id-1/srcorders.createdorders/1")
	alias := func(from, to int) string { return unsafe.String(&buf[from], to-from) }
	var e event.Event
	e.SetSpecVersion("1.0")
	e.SetID(alias(0, 4))
	e.SetSource(alias(4, 8))
	e.SetType(alias(8, 22))
	e.SetSubject(alias(22, 30))
	se, err := sdkgo.ToSDK(&e)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if se.ID() != "id-1" || se.Source() != "/src" || se.Type() != "orders.created" || se.Subject() != "orders/1" {
		t.Errorf("sdk-go event changed with the buffer: id=%q source=%q type=%q subject=%q", se.ID(), se.Source(), se.Type(), se.Subject())
	}
}
