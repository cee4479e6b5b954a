package mqtt

import (
	"strings"
	"testing"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

func typicalProps() []paho.UserProperty {
	return []paho.UserProperty{
		{Key: "specversion", Value: "1.0"},
		{Key: "id", Value: "5f0c7b3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
		{Key: "source", Value: "/sensors/building-7/floor-3/room-12"},
		{Key: "type", Value: "com.example.sensor.reading.v1"},
		{Key: "subject", Value: "temperature"},
		{Key: "time", Value: "2026-11-26T00:00:00.000Z"},
		{Key: "traceparent", Value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	}
}

var typicalPayload = []byte(`{"celsius":21.5,"humidity":0.41,"battery":0.87,"sensor":"th-17"}`)

func TestDecodeBinary(t *testing.T) {
	tests := []struct {
		name     string
		ct       string
		props    []paho.UserProperty
		payload  []byte
		wantRule string
		check    func(t *testing.T, e *event.Event)
	}{
		{name: "typical", ct: "application/json", props: typicalProps(), payload: typicalPayload, check: func(t *testing.T, e *event.Event) {
			if e.DataContentType() != "application/json" || string(e.Data()) != string(typicalPayload) || e.IsBinaryData() {
				t.Errorf("data %q (binary %v) type %q", e.Data(), e.IsBinaryData(), e.DataContentType())
			}
			if v, ok := e.Extension("traceparent"); !ok || v.Kind() != event.KindString {
				t.Errorf("traceparent = %v", v)
			}
		}},
		{name: "text data", ct: "text/plain", props: typicalProps(), payload: []byte("hi"), check: func(t *testing.T, e *event.Event) {
			if e.IsBinaryData() || string(e.Data()) != "hi" {
				t.Errorf("data %q binary %v", e.Data(), e.IsBinaryData())
			}
		}},
		{name: "opaque data", ct: "image/png", props: typicalProps(), payload: []byte{0x89, 'P'}, check: func(t *testing.T, e *event.Event) {
			if !e.IsBinaryData() {
				t.Error("want binary data")
			}
		}},
		{name: "no data", props: typicalProps(), check: func(t *testing.T, e *event.Event) {
			if e.HasData() {
				t.Error("want no data")
			}
		}},
		{name: "datacontenttype property agrees", ct: "application/json",
			props: append(typicalProps(), paho.UserProperty{Key: "datacontenttype", Value: "application/json"}), payload: []byte("1")},
		{name: "datacontenttype property disagrees", ct: "application/json",
			props: append(typicalProps(), paho.UserProperty{Key: "datacontenttype", Value: "text/plain"}), payload: []byte("1"), wantRule: "MQTT-BINARY-1"},
		{name: "duplicate", props: append(typicalProps(), paho.UserProperty{Key: "id", Value: "2"}), wantRule: "MQTT-BINARY-3"},
		{name: "missing type", props: typicalProps()[:3], wantRule: "CORE-ATTR-TYPE-1"},
		{name: "bad time", props: append(typicalProps()[:5], paho.UserProperty{Key: "time", Value: "yesterday"}), wantRule: "CORE-ATTR-TIME-1"},
		{name: "foreign metadata ignored", props: append(typicalProps(), paho.UserProperty{Key: "Content-Encoding", Value: "gzip"}, paho.UserProperty{Key: "ce-id", Value: "x"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e event.Event
			err := decode(Version5, tt.ct, tt.props, tt.payload, &e)
			if tt.wantRule == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.check != nil {
					tt.check(t, &e)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantRule) {
				var rules []string
				if ve, ok := err.(*event.ValidationError); ok { //nolint:errorlint // decode returns the type itself
					rules = ve.Rules()
				}
				t.Fatalf("err %v (rules %v), want %s", err, rules, tt.wantRule)
			}
		})
	}
}

func TestEncodeBinaryRoundTrip(t *testing.T) {
	var in event.Event
	if err := decode(Version5, "application/json", typicalProps(), typicalPayload, &in); err != nil {
		t.Fatal(err)
	}
	var o outgoing
	if _, err := encode(&o, binding.ModeBinary, Version5, &in, nil); err != nil {
		t.Fatal(err)
	}
	var out event.Event
	if err := decode(Version5, o.contentType, o.props, o.payload, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Equal(&in) {
		t.Error("binary encode/decode changed the event")
	}
}

// TestDecodeAllocs is the allocation budget of the binary-mode decoder on
// a typical event: nothing beyond the reused event's first growth.
func TestDecodeAllocs(t *testing.T) {
	props := typicalProps()
	var e event.Event
	if err := decode(Version5, "application/json", props, typicalPayload, &e); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		_ = decode(Version5, "application/json", props, typicalPayload, &e)
	}); n > 0 {
		t.Errorf("decode allocates %.0f times per message, budget 0", n)
	}
}

func BenchmarkDecodeBinary(b *testing.B) {
	props := typicalProps()
	var e event.Event
	b.ReportAllocs()
	for b.Loop() {
		if err := decode(Version5, "application/json", props, typicalPayload, &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBinary(b *testing.B) {
	var e event.Event
	if err := decode(Version5, "application/json", typicalProps(), typicalPayload, &e); err != nil {
		b.Fatal(err)
	}
	var o outgoing
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encode(&o, binding.ModeBinary, Version5, &e, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeUserProperties feeds arbitrary user properties, Content Type
// and payload to the MQTT 5.0 decoder: it must not panic, and whatever it
// accepts must be a valid event that survives a binary-mode round trip.
// The input is the Content Type, then the properties as key=value lines,
// then the payload, separated by a blank line.
func FuzzDecodeUserProperties(f *testing.F) {
	seed := func(ct string, props []paho.UserProperty, payload []byte) {
		var sb strings.Builder
		sb.WriteString(ct + "\n")
		for _, p := range props {
			sb.WriteString(p.Key + "=" + p.Value + "\n")
		}
		sb.WriteString("\n")
		sb.Write(payload)
		f.Add(sb.String())
	}
	seed("application/json", typicalProps(), typicalPayload)
	seed("", typicalProps(), nil)
	seed("text/plain", append(typicalProps(), paho.UserProperty{Key: "id", Value: "2"}), []byte("x"))
	seed("application/cloudevents+json", nil, []byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t"}`))
	seed("", []paho.UserProperty{{Key: "specversion", Value: "1.0"}, {Key: "count", Value: "42"}}, []byte{0, 1})
	f.Fuzz(func(t *testing.T, in string) {
		head, payload, _ := strings.Cut(in, "\n\n")
		lines := strings.Split(head, "\n")
		ct := lines[0]
		var props []paho.UserProperty
		for _, l := range lines[1:] {
			k, v, _ := strings.Cut(l, "=")
			props = append(props, paho.UserProperty{Key: k, Value: v})
		}
		var e event.Event
		if err := decode(Version5, ct, props, []byte(payload), &e); err != nil {
			return
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("decode accepted an invalid event: %v", err)
		}
		var o outgoing
		if _, err := encode(&o, binding.ModeBinary, Version5, &e, nil); err != nil {
			t.Fatalf("accepted event does not encode: %v", err)
		}
		var back event.Event
		if err := decode(Version5, o.contentType, o.props, o.payload, &back); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		want := e.Clone()
		for _, x := range e.Extensions() {
			want.SetExtension(x.Name, event.String(x.Value.String()))
		}
		if o.contentType == "" && len(o.payload) == 0 {
			want.ClearData()
		}
		if !back.Equal(&want) && !structured(ct) {
			t.Fatalf("round trip changed the event")
		}
	})
}

func structured(ct string) bool {
	return strings.HasPrefix(strings.ToLower(ct), "application/cloudevents")
}
