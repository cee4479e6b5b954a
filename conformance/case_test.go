package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openevents/openevents/spec"
)

// TestCases checks the embedded cases: each cites catalog IDs that can be
// checked over the wire, one level class per case, and together they
// cover both roles, every mode and all three classes.
func TestCases(t *testing.T) {
	cat := spec.Default()
	cases, err := Cases(cat)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	classes := map[Class]bool{}
	roles := map[Role]bool{}
	modes := map[Mode]bool{}
	titles := map[string]bool{}
	for _, c := range cases {
		for _, id := range c.Requirements {
			r, ok := cat.Lookup(id)
			if !ok {
				t.Errorf("%s: %s is not in the catalog", c.Name, id)
			}
			if ClassOf(r.Level) != c.Class(cat) {
				t.Errorf("%s: %s is %s, the case is %s", c.Name, id, r.Level, c.Class(cat))
			}
			ids[id] = true
		}
		if titles[c.Title()] {
			t.Errorf("title %q used twice", c.Title())
		}
		titles[c.Title()] = true
		classes[c.Class(cat)] = true
		roles[c.Role] = true
		modes[c.Mode] = true
	}
	if len(ids) < 15 {
		t.Errorf("the cases cover %d requirements, want at least 15", len(ids))
	}
	for _, want := range []bool{classes[ClassMust], classes[ClassShould], classes[ClassMay], roles[RoleReceiver], roles[RoleEcho], modes[ModeBinary], modes[ModeStructured], modes[ModeBatch]} {
		if !want {
			t.Errorf("the cases miss a class, role or mode: classes %v roles %v modes %v", classes, roles, modes)
			break
		}
	}
	t.Logf("%d cases, %d requirements", len(cases), len(ids))
}

// TestLoadCasesRejects: a broken case file is reported, naming the case.
func TestLoadCasesRejects(t *testing.T) {
	const ok = `"role":"receiver","binding":"http","mode":"binary","request":{},"expect":{"status":"2xx"}`
	tests := []struct {
		name, file, want string
	}{
		{"unknown ID", `[{"name":"a","requirements":["NOPE-ATTR-1"],` + ok + `}]`, "NOPE-ATTR-1 is not in the catalog"},
		{"no ID", `[{"name":"a","requirements":[],` + ok + `}]`, "cites no requirement"},
		{"mixed classes", `[{"name":"a","requirements":["HTTP-MODE-2","HTTP-MODE-1"],` + ok + `}]`, "split the case"},
		{"not wire", `[{"name":"a","requirements":["HTTP-BATCH-3"],` + ok + `}]`, "cannot be checked over the wire"},
		{"level in the case", `[{"name":"a","level":"MUST","requirements":["HTTP-MODE-2"],` + ok + `}]`, "unknown field"},
		{"duplicate name", `[{"name":"a","requirements":["HTTP-MODE-2"],` + ok + `},{"name":"a","requirements":["HTTP-MODE-2"],` + ok + `}]`, "name used twice"},
		{"bad status", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"receiver","binding":"http","mode":"binary","request":{},"expect":{"status":"2x"}}]`, "neither a status code"},
		{"bad binding", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"receiver","binding":"mqtt","mode":"binary","request":{},"expect":{"status":"2xx"}}]`, "relay role"},
		{"unknown binding", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"receiver","binding":"amqp","mode":"binary","request":{},"expect":{"status":"2xx"}}]`, "binding \"amqp\""},
		{"after nothing", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"receiver","binding":"http","mode":"binary","request":{},"expect":{"status":"2xx"},"after":"b"}]`, "no such other case"},
		{"echo without event", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"echo","binding":"http","mode":"binary","request":{},"expect":{"status":"2xx"}}]`, "needs expect.event"},
		{"two bodies", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"receiver","binding":"http","mode":"binary","request":{"body":"x","bodyBase64":"eA=="},"expect":{"status":"2xx"}}]`, "more than one of body"},
		{"padTo without mark", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"receiver","binding":"http","mode":"binary","request":{"body":"x","padTo":10},"expect":{"status":"2xx"}}]`, "exactly once"},
		{"padTo too small", `[{"name":"a","requirements":["HTTP-MODE-2"],"role":"receiver","binding":"http","mode":"binary","request":{"body":"abc{{pad}}","padTo":2},"expect":{"status":"2xx"}}]`, "already 3 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"testdata/x.json": {Data: []byte(tt.file)}}
			_, err := loadCases(fsys, spec.Default())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("loadCases = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestAddedAttributes: an attribute the provider adds to every event is
// disregarded by the echo comparison, unless the case wants it absent.
func TestAddedAttributes(t *testing.T) {
	resp := &response{status: 200, header: http.Header{
		"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"},
		"Ce-Time": {"2026-01-01T00:00:00Z"}, "Content-Type": {"application/json"},
	}}
	want := &ExpectedEvent{Attributes: map[string]json.RawMessage{
		"specversion": json.RawMessage(`"1.0"`), "id": json.RawMessage(`"1"`), "source": json.RawMessage(`"/s"`), "type": json.RawMessage(`"t"`),
	}}
	c := &Case{Role: RoleEcho, Expect: Rule{Status: "2xx", Event: want}}
	added := []string{"datacontenttype", "time"}
	if err := judge(c, resp, nil); err == nil {
		t.Error("with nothing known to be added, the extra attributes pass")
	}
	if err := judge(c, resp, added); err != nil {
		t.Errorf("attributes the provider adds to every event fail the case: %v", err)
	}
	want.Absent = []string{"datacontenttype"}
	if err := judge(c, resp, added); err == nil || !strings.Contains(err.Error(), "datacontenttype") {
		t.Errorf("an attribute the case wants absent: %v, want a failure naming it", err)
	}
}

// TestPadTo checks that a padded body comes out exactly padTo bytes long,
// with the padding where the mark was.
func TestPadTo(t *testing.T) {
	r := Payload{Body: `{"data":"` + padMark + `"}`, PadTo: 100}
	b, err := r.body()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 100 || !strings.HasPrefix(string(b), `{"data":"xxx`) || !strings.HasSuffix(string(b), `xx"}`) {
		t.Fatalf("padded body %q (%d bytes), want 100 bytes of {\"data\":\"x...\"}", b, len(b))
	}
}

func TestStatusRule(t *testing.T) {
	tests := []struct {
		rule string
		code int
		want bool
	}{
		{"2xx", 204, true},
		{"2xx", 302, false},
		{"400", 400, true},
		{"400", 422, false},
		{"4xx", 422, true},
		{"200|201", 201, true},
		{"200|201", 204, false},
	}
	for _, tt := range tests {
		r, err := parseStatus(tt.rule)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.match(tt.code); got != tt.want {
			t.Errorf("%s matches %d = %v, want %v", tt.rule, tt.code, got, tt.want)
		}
	}
	for _, bad := range []string{"", "2x", "600", "abc", "2xx|"} {
		if _, err := parseStatus(bad); err == nil {
			t.Errorf("parseStatus(%q) accepted it", bad)
		}
	}
}

// TestJudgeReply pins how a reply is compared with the expected event.
func TestJudgeReply(t *testing.T) {
	str := func(s string) *string { return &s }
	want := &ExpectedEvent{
		Attributes: map[string]json.RawMessage{
			"specversion": []byte(`"1.0"`), "id": []byte(`"1"`), "source": []byte(`"/s"`), "type": []byte(`"t"`),
			"count": []byte(`42`), "datacontenttype": []byte(`"text/plain"`),
		},
		Data: str("hi"),
	}
	binary := func(extra ...string) *response {
		h := http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/s"}, "Ce-Type": {"t"}, "Ce-Count": {"42"}, "Content-Type": {"text/plain"}}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = []string{extra[i+1]}
		}
		return &response{status: 200, header: h, body: []byte("hi")}
	}
	structured := func(body string) *response {
		return &response{status: 200, header: http.Header{"Content-Type": {"application/cloudevents+json"}}, body: []byte(body)}
	}
	tests := []struct {
		name string
		resp *response
		want string // "" for a match
	}{
		{"binary match", binary(), ""},
		{"binary content type case", binary("Content-Type", "Text/Plain"), ""},
		{"binary extra attribute", binary("Ce-Xcustom", "1"), "unexpected attribute xcustom"},
		{"binary wrong value", binary("Ce-Count", "43"), `attribute count is "43", want "42"`},
		{"binary undecodable", binary("Ce-Count", "%zz"), "cannot be decoded"},
		{"structured match", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","count":42,"datacontenttype":"text/plain","data":"hi"}`), ""},
		{"structured wrong type", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","count":"42","datacontenttype":"text/plain","data":"hi"}`), "is a JSON string, want a JSON number"},
		{"structured missing", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","datacontenttype":"text/plain","data":"hi"}`), "attribute count is missing"},
		{"structured data", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","count":42,"datacontenttype":"text/plain","data":"ho"}`), `data is "ho"`},
		{"no reply", &response{status: 204, header: http.Header{}}, "no reply event"},
		{"batch reply", &response{status: 200, header: http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, body: []byte("[]")}, "one JSON event was expected"},
		{"an added time", binary("Ce-Time", "2026-01-01T00:00:00Z"), "unexpected attribute time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Case{Role: RoleEcho, Expect: Rule{Status: "2xx", Event: want}}
			err := judge(c, tt.resp, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("judge = %v, want a match", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("judge = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckEncoded(t *testing.T) {
	tests := []struct {
		value string
		ok    bool
	}{
		{"a%20%22b%22%20100%25", true},
		{"caf%C3%A9", true},
		{"a b", false},
		{`a"b`, false},
		{"100%", false},
		{"100%2", false},
		{"caf\u00e9", false},
	}
	for _, tt := range tests {
		err := checkEncoded(http.Header{"Ce-Subject": {tt.value}, "X-Other": {"a b"}}, "reply")
		if (err == nil) != tt.ok {
			t.Errorf("checkEncoded(%q) = %v, want ok %v", tt.value, err, tt.ok)
		}
	}
}

// TestSameMediaTypeMade: a datacontenttype a provider made explicit names
// the expected type; a charset of UTF-8 is no difference, anything else is.
func TestSameMediaTypeMade(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		same      bool
	}{
		{"application/json", "application/json", true},
		{"Application/JSON", "application/json", true},
		{"application/json; charset=utf-8", "application/json", true},
		{"application/json;charset=UTF-8", "application/json", true},
		{"application/json; charset=iso-8859-1", "application/json", false},
		{"application/json; v=2", "application/json", false},
		{"text/plain; charset=utf-8", "application/json", false},
		{"text/json", "application/json", false},
		{"application/json", "application/json; v=2", false},
		{"not a type", "application/json", false},
	} {
		if got := sameMediaTypeMade(tc.got, tc.want); got != tc.same {
			t.Errorf("sameMediaTypeMade(%q, %q) = %v, want %v", tc.got, tc.want, got, tc.same)
		}
	}
}
