package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

func TestReadReplay(t *testing.T) {
	es, err := ReadReplayFile(filepath.Join("testdata", "replay", "v1.yaml"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("%d events, want 3 (the comment-only document holds none)", len(es))
	}
	type attr = ReplayAttribute
	want := []struct {
		mode   Mode
		line   int
		attrs  []attr
		header [][2]string
		data   string
		has    bool
	}{
		{ModeBinary, 4, []attr{
			{Name: "specversion", Value: "1.0"}, {Name: "type", Value: "org.openevents.replay.plain"}, {Name: "id", Value: "replay-1"},
			{Name: "source", Value: "/replay/v1"}, {Name: "datacontenttype", Value: "text/plain; charset=utf-8"},
		}, nil, "Hello, wörld!\n", true},
		{ModeStructured, 13, []attr{
			{Name: "specversion", Value: "1.0"}, {Name: "type", Value: "org.openevents.replay.json"}, {Name: "id", Value: "replay-2"},
			{Name: "source", Value: "/replay/v1"}, {Name: "subject", Value: "café ü"}, {Name: "time", Value: "2026-12-03T10:00:00Z"},
			{Name: "datacontenttype", Value: "application/json"},
			{Name: "count", Value: "5", Extension: true}, {Name: "comexampleflag", Value: "true", Extension: true},
		}, nil, "{\"greeting\": \"hello\", \"n\": [1, 2]}\n", true},
		{ModeBinary, 28, []attr{
			{Name: "specversion", Value: "1.0"}, {Name: "type", Value: "org.openevents.replay.header"}, {Name: "id", Value: "replay-3"},
			{Name: "source", Value: "/replay/v1"}, {Name: "subject", Value: "café ü"}, {Name: "count", Value: "5", Extension: true},
			{Name: "block", Value: `{"a": 1}`, Extension: true},
		}, [][2]string{{"X-Replay-Token", "abc"}}, "", false},
	}
	for i, w := range want {
		e := es[i]
		if e.Index != i+1 || e.Mode != w.mode || e.Line != w.line || !slices.Equal(e.Attributes, w.attrs) || !slices.Equal(e.Header, w.header) || e.Data != w.data || e.HasData != w.has {
			t.Errorf("event %d:\n got %+v\nwant %+v", i+1, e, w)
		}
	}
	// Values are trimmed; what is empty then, or null, is left out and
	// named.
	if want := []string{"time", "dataschema", "empty", "X-Empty"}; !slices.Equal(es[2].Omitted, want) {
		t.Errorf("event 3 left out %q, want %q", es[2].Omitted, want)
	}
	if es[0].Omitted != nil {
		t.Errorf("event 1 left out %q", es[0].Omitted)
	}

	es, err = ReadReplayFile(filepath.Join("testdata", "replay", "v03.yaml"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 {
		t.Fatalf("v03.yaml: %d events, want 2", len(es))
	}
	for name, want := range map[string]string{"specversion": "0.3", "schemaurl": "https://example.com/schema.json", "datacontentencoding": "base64"} {
		if got, ok := es[0].Attribute(name); !ok || got != want {
			t.Errorf("v03.yaml event 1: %s = %q, %v; want %q", name, got, ok, want)
		}
	}
}

func TestReadReplayRefuses(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "ContextAttributes: {id: a}\nmode: binary\n", []string{"f.yaml:2: event 1: unknown key \"mode\""}},
		{"unknown attribute", "ContextAttributes:\n  id: a\n  color: red\n", []string{"f.yaml:3: event 1: unknown attribute \"color\"", "ContextAttributes.Extensions"}},
		{"bad mode", "Mode: batch\nContextAttributes: {id: a}\n", []string{`Mode "batch": want binary or structured`}},
		{"sequence value", "ContextAttributes:\n  id: [a, b]\n", []string{"f.yaml:2: event 1: id: want text"}},
		{"mapping data", "ContextAttributes: {id: a}\nData: {a: 1}\n", []string{"Data: want text"}},
		{"alias", "ContextAttributes:\n  id: &x a\n  source: *x\n", []string{"f.yaml:3: event 1: source: aliases are not supported"}},
		{"twice", "ContextAttributes:\n  id: a\n  Extensions:\n    id: b\n", []string{"attribute id is given twice"}},
		{"no attributes", "Data: x\n", []string{"no ContextAttributes"}},
		{"not a mapping", "- a\n- b\n", []string{"want a mapping of Mode"}},
		{"bad header", "ContextAttributes: {id: a}\nTransportExtensions:\n  'X Bad': 1\n", []string{`"X Bad" is not an HTTP header name`}},
		{"syntax", "ContextAttributes: {id: a\n", []string{"f.yaml: document 1"}},
		{"every problem of every event", "ContextAttributes: {id: a, x: 1}\n---\nContextAttributes: {id: b}\nFoo: 1\n", []string{
			"f.yaml:1: event 1: unknown attribute \"x\"", "f.yaml:4: event 2: unknown key \"Foo\"",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := ReadReplay(strings.NewReader(tt.yaml), "f.yaml", 0)
			if err == nil {
				t.Fatalf("no error, events %+v", es)
			}
			if es != nil {
				t.Errorf("events returned with the error: %+v", es)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestReadReplayMaxBytes attacks the file size limit: a file of exactly
// the limit is read, one byte more is refused, and so is a file past the
// default limit.
func TestReadReplayMaxBytes(t *testing.T) {
	doc := "ContextAttributes: {specversion: 1.0, id: a, source: /s, type: t}\n"
	if _, err := ReadReplay(strings.NewReader(doc), "f.yaml", int64(len(doc))); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
	_, err := ReadReplay(strings.NewReader(doc), "f.yaml", int64(len(doc)-1))
	if err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("one byte over the limit: %v", err)
	}
	big := doc + "Data: " + strings.Repeat("x", DefaultReplayMaxBytes) + "\n"
	_, err = ReadReplay(strings.NewReader(big), "f.yaml", 0)
	if err == nil || !strings.Contains(err.Error(), "4194304 bytes") {
		t.Errorf("past the default limit: %v", err)
	}
}

// replayRecorded is one request a test receiver saw.
type replayRecorded struct {
	header http.Header
	body   []byte
}

// recorder is an in-process HTTP receiver that keeps every request and
// answers 202.
func replayRecorder(t *testing.T) (*httptest.Server, func() []replayRecorded) {
	var mu sync.Mutex
	var got []replayRecorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, replayRecorded{r.Header.Clone(), b})
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []replayRecorded {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

func replayAll(t *testing.T, file, url string) {
	t.Helper()
	es, err := ReadReplayFile(filepath.Join("testdata", "replay", file), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range es {
		status, err := Replay(t.Context(), nil, url, &es[i])
		if err != nil || status != http.StatusAccepted {
			t.Fatalf("%s: %d, %v", &es[i], status, err)
		}
	}
}

// TestReplayWire checks the requests byte for byte.
func TestReplayWire(t *testing.T) {
	srv, got := replayRecorder(t)
	replayAll(t, "v1.yaml", srv.URL)
	replayAll(t, "v03.yaml", srv.URL)
	rs := got()
	if len(rs) != 5 {
		t.Fatalf("%d requests, want 5", len(rs))
	}
	checkHeaders := func(i int, want map[string]string) {
		t.Helper()
		for name, v := range want {
			if g := rs[i].header.Values(name); len(g) != 1 || g[0] != v {
				t.Errorf("request %d: %s = %q, want %q", i+1, name, g, v)
			}
		}
	}
	// Binary 1.0: ce- headers, percent-encoded, Content-Type, the data.
	checkHeaders(0, map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "replay-1", "Content-Type": "text/plain; charset=utf-8"})
	if string(rs[0].body) != "Hello, wörld!\n" || rs[0].header.Get("Ce-Datacontenttype") != "" {
		t.Errorf("request 1: body %q, ce-datacontenttype %q", rs[0].body, rs[0].header.Get("Ce-Datacontenttype"))
	}
	checkHeaders(2, map[string]string{"Ce-Subject": "caf%C3%A9%20%C3%BC", "Ce-Count": "5", "Ce-Block": "{%22a%22:%201}", "X-Replay-Token": "abc"})
	for _, name := range []string{"Ce-Time", "Ce-Dataschema", "Ce-Empty", "X-Empty"} {
		if _, ok := rs[2].header[name]; ok {
			t.Errorf("request 3 carries %s, which the file leaves empty", name)
		}
	}
	if len(rs[2].body) != 0 || rs[2].header.Get("Content-Type") != "" {
		t.Errorf("request 3 has data: %q, Content-Type %q", rs[2].body, rs[2].header.Get("Content-Type"))
	}
	// Structured 1.0: every attribute a JSON string, JSON data as JSON.
	checkHeaders(1, map[string]string{"Content-Type": "application/cloudevents+json; charset=UTF-8"})
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rs[1].body, &env); err != nil {
		t.Fatalf("request 2: %v: %s", err, rs[1].body)
	}
	for name, want := range map[string]string{"specversion": `"1.0"`, "count": `"5"`, "comexampleflag": `"true"`, "subject": `"café ü"`, "data": `{"greeting":"hello","n":[1,2]}`} {
		if string(env[name]) != want {
			t.Errorf("request 2: %s = %s, want %s", name, env[name], want)
		}
	}
	// 0.3: schemaurl and datacontentencoding, values as written.
	checkHeaders(3, map[string]string{"Ce-Specversion": "0.3", "Ce-Schemaurl": "https://example.com/schema.json", "Ce-Datacontentencoding": "base64", "Content-Type": "application/octet-stream"})
	if string(rs[3].body) != "AAECAw==" {
		t.Errorf("request 4: body %q", rs[3].body)
	}
	env = nil
	if err := json.Unmarshal(rs[4].body, &env); err != nil {
		t.Fatalf("request 5: %v: %s", err, rs[4].body)
	}
	if string(env["data"]) != `"plain text"` || string(env["schemaurl"]) != `"https://example.com/schema.json"` || string(env["specversion"]) != `"0.3"` {
		t.Errorf("request 5: %s", rs[4].body)
	}
}

// TestReplayReceived replays the 1.0 file to OpenEvents' own HTTP
// receiver, which must decode each event to what the file says.
func TestReplayReceived(t *testing.T) {
	var mu sync.Mutex
	var got []event.Event
	h, err := cehttp.NewHandler(binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		mu.Lock()
		got = append(got, e.Clone())
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	es, err := ReadReplayFile(filepath.Join("testdata", "replay", "v1.yaml"), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range es {
		if status, err := Replay(t.Context(), srv.Client(), srv.URL, &es[i]); err != nil || status/100 != 2 {
			t.Fatalf("%s: %d, %v", &es[i], status, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(es) {
		t.Fatalf("received %d events, sent %d", len(got), len(es))
	}
	for i := range es {
		e := &got[i]
		for _, a := range es[i].Attributes {
			v, ok := e.Lookup(a.Name)
			if !ok || v.Text() != a.Value {
				t.Errorf("%s: %s received as %q (%v), sent %q", &es[i], a.Name, v.Text(), ok, a.Value)
			}
		}
	}
	if string(got[0].Data()) != "Hello, wörld!\n" || string(got[1].Data()) != `{"greeting":"hello","n":[1,2]}` || got[2].HasData() {
		t.Errorf("data: %q, %q, %v", got[0].Data(), got[1].Data(), got[2].HasData())
	}
}

func TestReplayRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no id", http.StatusBadRequest)
	}))
	defer srv.Close()
	es, err := ReadReplayFile(filepath.Join("testdata", "replay", "refused.yaml"), 0)
	if err != nil {
		t.Fatal(err)
	}
	status, err := Replay(t.Context(), nil, srv.URL, &es[0])
	var re *ReplayError
	if status != http.StatusBadRequest || !errors.As(err, &re) || re.Status != http.StatusBadRequest || re.Body != "no id\n" {
		t.Fatalf("status %d, error %v", status, err)
	}
	if want := "refused: 400 Bad Request: no id"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// TestReplayTimeout attacks the per-event bound: a receiver that never
// answers is given up on when the context ends.
func TestReplayTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	es, err := ReadReplayFile(filepath.Join("testdata", "replay", "refused.yaml"), 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	status, err := Replay(ctx, nil, srv.URL, &es[0])
	if status != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("status %d, error %v", status, err)
	}
}

func TestReplayStructuredNotJSON(t *testing.T) {
	es, err := ReadReplay(strings.NewReader("Mode: structured\nContextAttributes: {datacontenttype: application/json}\nData: not json\n"), "f.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = es[0].Request(t.Context(), "http://127.0.0.1:1/")
	if err == nil || !strings.Contains(err.Error(), "Data is not JSON") || !strings.Contains(err.Error(), "f.yaml#1 (line 1)") {
		t.Errorf("error %v", err)
	}
}

// ExampleReadReplay reads a file in the cloudevents/conformance layout:
// the unquoted specversion stays the text "1.0".
func ExampleReadReplay() {
	file := `ContextAttributes:
  specversion: 1.0
  id: example-1
  source: /example
  type: org.example.replay
  Extensions:
    count: 5
Data: hello
`
	es, err := ReadReplay(strings.NewReader(file), "example.yaml", 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range es[0].Attributes {
		fmt.Printf("%s=%q extension=%v\n", a.Name, a.Value, a.Extension)
	}
	fmt.Println(es[0].Mode, es[0].Data)
	// Output:
	// specversion="1.0" extension=false
	// id="example-1" extension=false
	// source="/example" extension=false
	// type="org.example.replay" extension=false
	// count="5" extension=true
	// binary hello
}

// TestReplayRefusalBodyBound: of a long refusal only the first KiB is
// kept for the message.
func TestReplayRefusalBodyBound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, strings.Repeat("y", 100<<10))
	}))
	defer srv.Close()
	es, err := ReadReplayFile(filepath.Join("testdata", "replay", "refused.yaml"), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Replay(t.Context(), nil, srv.URL, &es[0])
	var re *ReplayError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want a *ReplayError", err)
	}
	if re.Status != http.StatusServiceUnavailable || len(re.Body) != replayBodyLimit {
		t.Errorf("status %d, body of %d bytes; want 503 and %d", re.Status, len(re.Body), replayBodyLimit)
	}
}
