package mqtt

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// fuzzEvents are the events whose real encodings seed FuzzReceive.
func fuzzEvents() []*event.Event {
	base := func() *event.Event {
		e := new(event.Event)
		e.SetSpecVersion("1.0")
		e.SetID("A234-1234-1234")
		e.SetSource("/mycontext/sensors/17")
		e.SetType("com.example.sensor.reading")
		return e
	}
	minimal := base()
	rich := base()
	rich.SetDataContentType("application/json")
	rich.SetSubject("temperature")
	rich.SetTime("2026-11-26T00:00:00.123Z")
	rich.SetDataSchema("https://example.com/schemas/reading.json")
	rich.SetExtension("comexampleextension", event.String("value"))
	rich.SetExtension("count", event.Integer(42))
	rich.SetExtension("flag", event.Boolean(true))
	rich.SetData([]byte(`{"celsius":21.5,"ok":true}`))
	text := base()
	text.SetDataContentType("text/plain; charset=utf-8")
	text.SetData([]byte("héllo wörld"))
	opaque := base()
	opaque.SetDataContentType("application/octet-stream")
	opaque.SetBinaryData([]byte{0, 1, 2, 0xff, 0xfe})
	return []*event.Event{minimal, rich, text, opaque}
}

// joinProps packs user properties as key NUL value NUL ..., the form
// FuzzReceive takes them in; splitProps unpacks them (a trailing key
// without a value gets an empty one).
func joinProps(props []paho.UserProperty) []byte {
	var b []byte
	for _, p := range props {
		b = append(append(append(append(b, p.Key...), 0), p.Value...), 0)
	}
	return b
}

func splitProps(b []byte) []paho.UserProperty {
	if len(b) == 0 {
		return nil
	}
	parts := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	props := make([]paho.UserProperty, 0, (len(parts)+1)/2)
	for i := 0; i < len(parts); i += 2 {
		p := paho.UserProperty{Key: parts[i]}
		if i+1 < len(parts) {
			p.Value = parts[i+1]
		}
		props = append(props, p)
	}
	return props
}

// rulePattern matches a requirement ID, which every refusal must name.
var rulePattern = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+\b`)

// FuzzReceive drives receive, the step that turns a received PUBLISH
// (protocol version, Content Type, user properties, payload) into an
// event, and checks that it never panics, that every refusal is a known
// error naming the broken requirement, that what it accepts is valid, and
// that an accepted event survives being sent again the way it came.
//
// Seeds are real encodings: each fixture in binary and structured mode
// over MQTT 5.0 and structured over 3.1.1, plus broken variants.
func FuzzReceive(f *testing.F) {
	for _, e := range fuzzEvents() {
		for _, m := range []struct {
			mode binding.Mode
			v    Version
		}{{binding.ModeBinary, Version5}, {binding.ModeStructured, Version5}, {binding.ModeStructured, Version311}} {
			var o outgoing
			if _, err := encode(&o, m.mode, m.v, e, nil); err != nil {
				f.Fatal(err)
			}
			f.Add(m.v == Version311, o.contentType, joinProps(o.props), bytes.Clone(o.payload))
		}
	}
	f.Add(false, "application/cloudevents+json; charset=utf-8", []byte(nil), []byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":1}`))
	f.Add(false, "application/cloudevents-batch+json", []byte(nil), []byte(`[]`))
	f.Add(false, "APPLICATION/CLOUDEVENTS+AVRO", []byte(nil), []byte{0})
	f.Add(false, "text/plain", joinProps([]paho.UserProperty{{Key: "specversion", Value: "1.0"}, {Key: "id", Value: "1"}, {Key: "id", Value: "2"}, {Key: "source", Value: "/s"}, {Key: "type", Value: "t"}}), []byte("x"))
	f.Add(false, "text/plain", joinProps([]paho.UserProperty{{Key: "datacontenttype", Value: "application/json"}, {Key: "specversion", Value: "0.3"}, {Key: "Bad-Name", Value: "x"}}), []byte("x"))
	f.Add(true, "", []byte(nil), []byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","id":"2"}`))

	f.Fuzz(func(t *testing.T, v311 bool, contentType string, rawProps, payload []byte) {
		v := Version5
		if v311 {
			v = Version311
		}
		props := splitProps(rawProps)
		in := bytes.Clone(payload)
		var e event.Event
		err := receive(v, contentType, props, in, &e, event.DefaultMaxAttributes)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("decode accepted an invalid event: %v", err)
		}
		binary := v == Version5 && !hasPrefixFold(contentType, structuredPrefix) && (contentType != "" || len(props) > 0)
		mode := binding.ModeStructured
		if binary {
			mode = binding.ModeBinary
		}
		var o outgoing
		if _, err := encode(&o, mode, v, &e, nil); err != nil {
			t.Fatalf("accepted event does not encode in %v mode: %v", mode, err)
		}
		var again event.Event
		if err := decode(v, o.contentType, o.props, o.payload, &again); err != nil {
			t.Fatalf("re-sent in %v mode, the event is refused: %v", mode, err)
		}
		if !e.Equal(&again) {
			a, _ := jsonformat.Append(nil, &e)
			b, _ := jsonformat.Append(nil, &again)
			t.Fatalf("%v-mode round trip changed the event:\n first  %s\n second %s", mode, a, b)
		}
	})
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// checkRefusal fails t unless err is one of the refusals decode
// documents, with a message that names a requirement.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	_, syntax := errors.AsType[*jsonformat.SyntaxError](err)
	_, invalid := errors.AsType[*event.ValidationError](err)
	limit := errors.Is(err, event.ErrTooManyAttributes)
	if !syntax && !invalid && !limit && !errors.Is(err, ErrUnsupportedFormat) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("refusal of unknown kind %T: %v", err, err)
	}
	msg := err.Error()
	// A limit is the receiver's, not the specification's: it names the
	// option instead of a requirement.
	if !rulePattern.MatchString(msg) && (!limit || !strings.Contains(msg, "MaxAttributes")) {
		t.Fatalf("refusal names no requirement: %q", msg)
	}
	// Refusals end up on terminals and in logs: no input bytes that are
	// not text may leak into them unquoted.
	if !utf8.ValidString(msg) {
		t.Fatalf("refusal message is not UTF-8: %q", msg)
	}
	for _, r := range msg {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			t.Fatalf("refusal message holds control character %U: %q", r, msg)
		}
	}
}
