package jsonformat

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
)

const base = `"specversion":"1.0","id":"1","source":"/s","type":"t"`

// obj builds an event object from the base attributes plus extra members.
func obj(extra string) string {
	if extra == "" {
		return "{" + base + "}"
	}
	return "{" + base + "," + extra + "}"
}

// rulesOf returns the requirement IDs an error carries, in order.
func rulesOf(err error) []string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return []string{se.Rule}
	}
	var ve *event.ValidationError
	if errors.As(err, &ve) {
		return ve.Rules()
	}
	if err != nil {
		return []string{"?" + err.Error()}
	}
	return nil
}

func TestDecodeRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		rules []string
	}{
		{"minimal", obj(""), nil},
		{"missing specversion", `{"id":"1","source":"/s","type":"t"}`, []string{"CORE-ATTR-SPECVERSION-1"}},
		{"specversion number", `{"specversion":1.0,"id":"1","source":"/s","type":"t"}`, []string{"JSON-TYPE-1", "CORE-ATTR-SPECVERSION-1"}},
		{"specversion 2.0", `{"specversion":"2.0","id":"1","source":"/s","type":"t"}`, []string{"CORE-ATTR-SPECVERSION-3"}},
		{"empty subject", obj(`"subject":""`), []string{"CORE-ATTR-SUBJECT-1"}},
		{"null subject", obj(`"subject":null`), nil},
		{"null id", `{"specversion":"1.0","id":null,"source":"/s","type":"t"}`, []string{"CORE-ATTR-ID-1"}},
		{"ext my-ext", obj(`"my-ext":"x"`), []string{"CORE-NAMING-1"}},
		{"ext upper", obj(`"MyExt":"x"`), []string{"CORE-NAMING-1"}},
		{"ext empty name", obj(`"":"x"`), []string{"CORE-NAMING-5"}},
		{"ext 25 chars", obj(`"abcdefghijklmnopqrstuvwxy":"x"`), nil},
		{"ext float", obj(`"ext":1.5`), []string{"JSON-TYPE-INTEGER-1"}},
		{"ext 1.0", obj(`"ext":1.0`), []string{"JSON-TYPE-INTEGER-1"}},
		{"ext exponent", obj(`"ext":1e3`), []string{"JSON-TYPE-INTEGER-1"}},
		{"ext too big", obj(`"ext":2147483648`), []string{"CORE-TYPE-INTEGER-1"}},
		{"ext min int", obj(`"ext":-2147483648`), nil},
		{"ext object", obj(`"ext":{"a":1}`), []string{"CORE-TYPE-1"}},
		{"ext array", obj(`"ext":[1]`), []string{"CORE-TYPE-1"}},
		{"ext bool", obj(`"ext":false`), nil},
		{"ext null", obj(`"ext":null`), nil},
		{"time without seconds", obj(`"time":"2018-04-05T17:31Z"`), []string{"CORE-ATTR-TIME-1"}},
		{"data and data_base64", obj(`"data":1,"data_base64":"AA=="`), []string{"JSON-DATA-5"}},
		{"data false", obj(`"data":false`), nil},
		{"data null", obj(`"data":null`), nil},
		{"bad base64", obj(`"data_base64":"!!"`), []string{"JSON-DATA-2"}},
		{"base64 with escaped newline", obj(`"data_base64":"AA\n=="`), []string{"JSON-DATA-2"}},
		{"base64 number", obj(`"data_base64":12`), []string{"JSON-DATA-2"}},
		{"text data not a string", obj(`"datacontenttype":"text/plain","data":{"a":1}`), []string{"JSON-DATA-8"}},
		{"duplicate id", `{"specversion":"1.0","id":"1","id":"2","source":"/s","type":"t"}`, []string{"JSON-SYNTAX-3"}},
		{"duplicate ext", obj(`"x":1,"x":2`), []string{"JSON-SYNTAX-3"}},
		{"duplicate null ext", obj(`"x":null,"x":2`), []string{"JSON-SYNTAX-3"}},
		{"duplicate data", obj(`"data":1,"data":2`), []string{"JSON-SYNTAX-3"}},
		{"duplicate via escape", `{"specversion":"1.0","id":"1","i\u0064":"2","source":"/s","type":"t"}`, []string{"JSON-SYNTAX-3"}},
		{"invalid utf8", "{" + base + `,"subject":"a` + "\xff" + `"}`, []string{"JSON-SYNTAX-2"}},
		{"raw control char", "{" + base + ",\"subject\":\"a\x01\"}", []string{"JSON-SYNTAX-1"}},
		{"escaped control char", obj(`"subject":"a\u0001"`), []string{"CORE-TYPE-STRING-1"}},
		{"lone surrogate", obj(`"subject":"\udead"`), []string{"CORE-TYPE-STRING-3"}},
		{"paired surrogate", obj(`"subject":"\ud83d\ude00"`), nil},
		{"noncharacter", obj(`"subject":"\uffff"`), []string{"CORE-TYPE-STRING-2"}},
		{"top-level string", `"event"`, []string{"JSON-SYNTAX-1"}},
		{"top-level array", `[` + obj("") + `]`, []string{"JSON-SYNTAX-1"}},
		{"trailing garbage", obj("") + `x`, []string{"JSON-SYNTAX-1"}},
		{"empty input", ``, []string{"JSON-SYNTAX-1"}},
		{"unterminated", `{"id":"1"`, []string{"JSON-SYNTAX-1"}},
		{"trailing comma", `{"id":"1",}`, []string{"JSON-SYNTAX-1"}},
		{"leading zero in data", obj(`"data":01`), []string{"JSON-SYNTAX-1"}},
		{"deep data", obj(`"data":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001)), []string{"JSON-SYNTAX-1"}},
		{"v0.3 schemaurl", `{"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"https://x/s"}`, nil},
		{"v0.3 base64", `{"specversion":"0.3","id":"1","source":"/s","type":"t","datacontentencoding":"base64","data":"AAE="}`, nil},
		{"v0.3 bad encoding", `{"specversion":"0.3","id":"1","source":"/s","type":"t","datacontentencoding":"gzip","data":"x"}`, []string{"V03-DATACONTENTENCODING-2"}},
		{"several violations", `{"specversion":"1.0","id":"","source":"/s","type":"t","subject":"","my-ext":1}`,
			[]string{"CORE-NAMING-1", "CORE-ATTR-ID-2", "CORE-ATTR-SUBJECT-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e event.Event
			err := Decode([]byte(tc.in), &e)
			if got := rulesOf(err); !slices.Equal(got, tc.rules) {
				t.Fatalf("rules = %v, want %v\nerr: %v", got, tc.rules, err)
			}
			if tc.rules == nil && !json.Valid([]byte(tc.in)) {
				t.Fatal("accepted input that encoding/json rejects")
			}
		})
	}
}

func TestDecodeData(t *testing.T) {
	for _, tc := range []struct {
		name   string
		extra  string
		data   string
		binary bool
		has    bool
	}{
		{"no data", ``, "", false, false},
		{"json string stays string", `"datacontenttype":"application/json","data":"\"hi\""`, `"\"hi\""`, false, true},
		{"false survives", `"data":false`, "false", false, true},
		{"zero survives", `"data":0`, "0", false, true},
		{"empty string survives", `"data":""`, `""`, false, true},
		{"null is explicit", `"data":null`, "null", false, true},
		{"object kept verbatim", `"data":{ "a" : [1, 2] }`, `{ "a" : [1, 2] }`, false, true},
		{"text/plain string", `"datacontenttype":"text/plain","data":"a\nb"`, "a\nb", false, true},
		{"xml string", `"datacontenttype":"application/xml","data":"<x/>"`, "<x/>", false, true},
		{"ct after data", `"data":"<x/>","datacontenttype":"text/xml"`, "<x/>", false, true},
		{"+json ct", `"datacontenttype":"application/vnd.x+json","data":[1]`, "[1]", false, true},
		{"base64 is binary", `"datacontenttype":"application/json","data_base64":"eyJhIjoxfQ=="`, `{"a":1}`, true, true},
		{"empty base64", `"data_base64":""`, "", true, true},
		{"null base64 is absent", `"data_base64":null`, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e event.Event
			if err := Decode([]byte(obj(tc.extra)), &e); err != nil {
				t.Fatal(err)
			}
			if e.HasData() != tc.has || e.IsBinaryData() != tc.binary || string(e.Data()) != tc.data {
				t.Fatalf("data = %q (has %v, binary %v), want %q (has %v, binary %v)",
					e.Data(), e.HasData(), e.IsBinaryData(), tc.data, tc.has, tc.binary)
			}
		})
	}
}

func TestDecodeViolationDetail(t *testing.T) {
	in := `{"specversion":"1.0","id":"1","source":"/s","type":"t","subject":""}`
	var e event.Event
	err := Decode([]byte(in), &e)
	var ve *event.ValidationError
	if !errors.As(err, &ve) || len(ve.Violations) != 1 {
		t.Fatalf("err = %v", err)
	}
	v := ve.Violations[0]
	if v.Pointer != "/subject" || v.Offset != int64(strings.Index(in, `""`)) || v.Attribute != "subject" {
		t.Fatalf("violation = %+v", v)
	}
	_, err = DecodeBatch([]byte(`[`+obj("")+`,`+in+`]`), nil)
	if !errors.As(err, &ve) || ve.Violations[0].Pointer != "/1/subject" {
		t.Fatalf("batch err = %v", err)
	}
	err = Decode([]byte(`{"id":1}`+"\n"), &e)
	var se *SyntaxError
	if errors.As(err, &se) {
		t.Fatalf("a wrong type must not be a syntax error: %v", err)
	}
	err = Decode([]byte(`{"id":"1",,}`), &e)
	if !errors.As(err, &se) || se.Offset != 10 || !errors.Is(err, ErrSyntax) {
		t.Fatalf("syntax err = %#v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, in := range []string{
		obj(""),
		obj(`"subject":"a\"b\\c","time":"2020-01-01T00:00:00Z","datacontenttype":"text/plain","data":"line\nline\u0001"`),
		obj(`"b":true,"i":-5,"s":"x","data":{"k":[1,2,{"z":null}]}`),
		obj(`"datacontenttype":"image/png","data_base64":"iVBORw0KGgo="`),
		obj(`"dataschema":"https://x/s","data":"str"`),
		obj(`"data":null`),
	} {
		var e1, e2 event.Event
		if err := Decode([]byte(in), &e1); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := Append(nil, &e1)
		if err != nil {
			t.Fatalf("%s: encode: %v", in, err)
		}
		if !json.Valid(out) {
			t.Fatalf("encoded invalid JSON: %s", out)
		}
		if err := Decode(out, &e2); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if !e1.Equal(&e2) {
			t.Fatalf("round trip changed the event:\n in  %s\n out %s", in, out)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	var e event.Event
	if _, err := Append(nil, &e); err == nil || !errors.Is(err, event.ErrInvalid) {
		t.Fatalf("encoding an empty event: %v", err)
	}
	if err := Decode([]byte(obj("")), &e); err != nil {
		t.Fatal(err)
	}
	e.SetData([]byte("{not json"))
	if _, err := Append(nil, &e); err == nil || !strings.Contains(err.Error(), "JSON-DATA-3") {
		t.Fatalf("invalid JSON data: %v", err)
	}
	e.SetDataContentType("text/plain")
	e.SetData([]byte{0xff})
	if _, err := Append(nil, &e); err == nil || !strings.Contains(err.Error(), "JSON-DATA-4") {
		t.Fatalf("non-UTF-8 text: %v", err)
	}
	dst := []byte("keep")
	if out, _ := Append(dst, &e); string(out) != "keep" {
		t.Fatalf("failed Append changed dst: %q", out)
	}
}

func TestBatch(t *testing.T) {
	in := `[` + obj(`"a":1`) + `, ` + obj(`"b":"x","c":true`) + `,` + obj("") + `]`
	events, err := DecodeBatch([]byte(in), nil)
	if err != nil || len(events) != 3 {
		t.Fatalf("DecodeBatch = %d events, %v", len(events), err)
	}
	// Extensions of one event must not bleed into the next on append.
	events[0].SetExtension("z", event.Integer(9))
	if _, ok := events[1].Extension("z"); ok || len(events[1].Extensions()) != 2 {
		t.Fatal("extension slices of batch events overlap")
	}
	out, err := AppendBatch(nil, events)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeBatch(out, nil)
	if err != nil || len(again) != 3 || !again[1].Equal(&events[1]) {
		t.Fatalf("batch round trip: %v", err)
	}
	if ev, err := DecodeBatch([]byte(` [ ] `), nil); err != nil || len(ev) != 0 {
		t.Fatalf("empty batch: %v", err)
	}
	_, err = DecodeBatch([]byte(`[1,`+obj("")+`]`), nil)
	if got := rulesOf(err); !slices.Equal(got, []string{"JSON-BATCH-3"}) {
		t.Fatalf("non-object element: %v", err)
	}
	_, err = DecodeBatch([]byte(obj("")), nil)
	if got := rulesOf(err); !slices.Equal(got, []string{"JSON-BATCH-3"}) {
		t.Fatalf("object as batch: %v", err)
	}
}

func TestDecodeReusesEvent(t *testing.T) {
	var e event.Event
	if err := Decode([]byte(obj(`"a":1,"b":2,"subject":"x"`)), &e); err != nil {
		t.Fatal(err)
	}
	if err := Decode([]byte(obj(`"c":3`)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Has("a") || e.Has("subject") || !e.Has("c") || len(e.Extensions()) != 1 {
		t.Fatalf("state leaked between decodes: %v", e.Extensions())
	}
}

func TestV03Collisions(t *testing.T) {
	for in, rule := range map[string]string{
		`{"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"https://a/1","dataschema":"https://b/2"}`: "CORE-ATTR-4",
		`{"specversion":"0.3","id":"1","source":"/s","type":"t","data_base64":"AA=="}`:                                 "V03-NAMING-1",
		`{"specversion":"0.3","id":"1","source":"/s","type":"t","1ext":"x"}`:                                           "V03-NAMING-1",
	} {
		var e event.Event
		if got := rulesOf(Decode([]byte(in), &e)); !slices.Contains(got, rule) {
			t.Errorf("%s: rules %v, want %s", in, got, rule)
		}
	}
	// 1.0 lets a name start with a digit; only 0.3 input is refused for it.
	var e event.Event
	if err := Decode([]byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","1ext":"x"}`), &e); err != nil {
		t.Errorf("1.0 name starting with a digit: %v", err)
	}
}
