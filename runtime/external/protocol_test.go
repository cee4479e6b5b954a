package external

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
)

func TestAppendEventLine(t *testing.T) {
	for name, data := range map[string]string{
		"object":           "{\r\n  \"a\": [1,\n 2],\n  \"s\": \"x\\ny\"\n}",
		"crlf around":      "\r\n[1]\r\n",
		"string with \\n":  "\"a\\nb\"",
		"no line breaks":   `{"a":1}`,
		"only whitespace ": " \n\n 7 \n",
	} {
		t.Run(name, func(t *testing.T) {
			e := event.New("1", "/s", "t")
			e.SetDataContentType("application/json")
			e.SetData([]byte(data))
			line, err := appendEventLine([]byte("prefix"), &e)
			if err != nil {
				t.Fatal(err)
			}
			line = bytes.TrimPrefix(line, []byte("prefix"))
			if i := bytes.IndexAny(line, "\r\n"); i != len(line)-1 || line[i] != '\n' {
				t.Fatalf("line %q: want one newline, at the end", line)
			}
			var got event.Event
			if err := jsonformat.Decode(line[:len(line)-1], &got); err != nil {
				t.Fatalf("the line does not decode: %v", err)
			}
			var a, b any
			_ = json.Unmarshal(got.Data(), &a)
			_ = json.Unmarshal(e.Data(), &b)
			x, _ := json.Marshal(a)
			y, _ := json.Marshal(b)
			if !bytes.Equal(x, y) || got.ID() != "1" {
				t.Fatalf("data %q, want the JSON of %q", got.Data(), e.Data())
			}
		})
	}
	var invalid event.Event
	if _, err := appendEventLine(nil, &invalid); err == nil {
		t.Fatal("an invalid event was encoded")
	}
}

var answerCases = []struct {
	name string
	line string
	kind answerKind
	bad  bool // a protocol violation
	rerr bool // a *ReplyError
}{
	{name: "reply", line: `{"specversion":"1.0","id":"1","source":"/s","type":"t"}`, kind: answerReply},
	{name: "reply with spaces and CR", line: " {\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"} \r", kind: answerReply},
	{name: "null", line: "null", kind: answerNone},
	{name: "null with CR", line: "null\r", kind: answerNone},
	{name: "transient error", line: `{"error":"down"}`, kind: answerError},
	{name: "permanent error", line: `{"error":"no","permanent":true}`, kind: answerError},
	{name: "error with more members", line: `{"error":"no","permanent":false,"code":7}`, kind: answerError},
	{name: "invalid event", line: `{"specversion":"1.0","id":""}`, rerr: true},
	{name: "null specversion", line: `{"specversion":null,"id":"1","source":"/s","type":"t"}`, rerr: true},
	{name: "empty line", line: "", bad: true},
	{name: "garbage", line: "hello", bad: true},
	{name: "array", line: "[]", bad: true},
	{name: "string", line: `"null"`, bad: true},
	{name: "Null", line: "Null", bad: true},
	{name: "truncated object", line: `{"error":"x"`, bad: true},
	{name: "two values", line: `{"error":"x"} {"error":"y"}`, bad: true},
	{name: "empty error", line: `{"error":""}`, bad: true},
	{name: "error not a string", line: `{"error":5}`, bad: true},
	{name: "null error", line: `{"error":null}`, bad: true},
	{name: "no error member", line: `{"message":"x"}`, bad: true},
	{name: "permanent not a boolean", line: `{"error":"x","permanent":"yes"}`, bad: true},
	{name: "Error in capitals", line: `{"Error":"x"}`, bad: true},
}

func TestDecodeAnswer(t *testing.T) {
	for _, tc := range answerCases {
		t.Run(tc.name, func(t *testing.T) {
			var reply event.Event
			kind, ce, err := decodeAnswer([]byte(tc.line), &reply)
			var v violation
			switch {
			case tc.bad:
				if !errors.As(err, &v) {
					t.Fatalf("got %v, %v, %v; want a violation", kind, ce, err)
				}
			case tc.rerr:
				if _, ok := errors.AsType[*ReplyError](err); !ok {
					t.Fatalf("got %v, %v, %v; want a *ReplyError", kind, ce, err)
				}
			default:
				if err != nil || kind != tc.kind || (kind == answerError) != (ce != nil) {
					t.Fatalf("got %v, %v, %v; want kind %v", kind, ce, err, tc.kind)
				}
			}
		})
	}
	_, ce, _ := decodeAnswer([]byte(`{"error":"no","permanent":true}`), new(event.Event))
	if ce.Message != "no" || !ce.Permanent {
		t.Fatalf("got %+v", ce)
	}
}

func FuzzDecodeAnswer(f *testing.F) {
	for _, tc := range answerCases {
		f.Add([]byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var reply event.Event
		kind, ce, err := decodeAnswer(line, &reply)
		switch {
		case err != nil:
			if kind != 0 || ce != nil {
				t.Fatalf("an error with kind %v and %v", kind, ce)
			}
		case kind == answerReply:
			if reply.Validate() != nil {
				t.Fatalf("an invalid reply passed: %v", reply.Validate())
			}
		case kind == answerError:
			if ce == nil || ce.Message == "" {
				t.Fatalf("error answer %+v", ce)
			}
		case kind != answerNone:
			t.Fatalf("kind %v without an error", kind)
		}
	})
}

func TestBackoffAfter(t *testing.T) {
	c := &execConfig{backoff: 100 * time.Millisecond, maxBackoff: time.Second}
	want := []time.Duration{100, 100, 200, 400, 800, 1000, 1000}
	for failures, w := range want {
		if got := c.backoffAfter(failures); got != w*time.Millisecond {
			t.Errorf("backoffAfter(%d) = %v, want %v", failures, got, w*time.Millisecond)
		}
	}
	if got := c.backoffAfter(1 << 30); got != time.Second {
		t.Errorf("backoffAfter(1<<30) = %v", got)
	}
}
