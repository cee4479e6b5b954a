package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/format/protoformat"
)

// TestConvertRoundTrip: JSON → protobuf → JSON gives back the same events,
// and the protobuf in between is what protoformat itself reads.
func TestConvertRoundTrip(t *testing.T) {
	typical := eventtest.Typical
	binaryData := `{` + okMembers + `,"datacontenttype":"application/octet-stream","data_base64":"AAECAw=="}`
	for _, tc := range []struct {
		name  string
		in    string
		batch bool
	}{
		{"typical", typical, false},
		{"binary data", binaryData, false},
		{"batch", `[` + typical + `,` + binaryData + `]`, true},
		{"empty batch", `[]`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, pb, stderr := runCEStdin(t, tc.in, "convert", "--to", "protobuf")
			if code != exitOK {
				t.Fatalf("--to protobuf: exit %d: %s", code, stderr)
			}
			var want, got []event.Event
			back := []string{"convert", "--to", "json"}
			if tc.batch {
				back = append(back, "--batch")
				var err error
				if want, err = jsonformat.DecodeBatch([]byte(tc.in), nil); err != nil {
					t.Fatal(err)
				}
				if got, err = protoformat.DecodeBatch([]byte(pb), nil); err != nil {
					t.Fatalf("the protobuf output does not decode: %v", err)
				}
			} else {
				want, got = make([]event.Event, 1), make([]event.Event, 1)
				if err := jsonformat.Decode([]byte(tc.in), &want[0]); err != nil {
					t.Fatal(err)
				}
				if err := protoformat.Decode([]byte(pb), &got[0]); err != nil {
					t.Fatalf("the protobuf output does not decode: %v", err)
				}
			}
			assertSameEvents(t, got, want)
			code, js, stderr := runCEStdin(t, pb, back...)
			if code != exitOK || !strings.HasSuffix(js, "\n") {
				t.Fatalf("--to json: exit %d, output %q: %s", code, js, stderr)
			}
			if tc.batch {
				var err error
				if got, err = jsonformat.DecodeBatch([]byte(js), nil); err != nil {
					t.Fatal(err)
				}
			} else if err := jsonformat.Decode([]byte(js), &got[0]); err != nil {
				t.Fatal(err)
			}
			assertSameEvents(t, got, want)
		})
	}
}

func assertSameEvents(t *testing.T, got, want []event.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(&want[i]) {
			t.Errorf("event %d changed:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// TestConvertRefuses: invalid input is not converted, and the violations
// are reported with their requirement IDs.
func TestConvertRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, rule string
		args           []string
	}{
		{"empty subject", `{` + okMembers + `,"subject":""}`, "CORE-ATTR-SUBJECT-1", []string{"--to", "protobuf"}},
		{"bad event in a batch", `[{` + okMembers + `},{"id":"2"}]`, "CORE-ATTR-SOURCE-1", []string{"--to", "protobuf"}},
		{"malformed JSON", `{"id":`, "JSON-SYNTAX-1", []string{"--to", "protobuf"}},
		{"JSON given to --to json", `{` + okMembers + `}`, "looks like JSON", []string{"--to", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCEStdin(t, tc.in, append([]string{"convert"}, tc.args...)...)
			if code != exitFailure || stdout != "" || !strings.Contains(stderr, tc.rule) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, a mention of %s", code, stdout, stderr, tc.rule)
			}
		})
	}
}

func TestConvertUsage(t *testing.T) {
	for _, args := range [][]string{
		{"convert"},                                // --to missing
		{"convert", "--to", "xml"},                 // unknown format
		{"convert", "--to", "protobuf", "--batch"}, // --batch is for protobuf input
		{"convert", "--to", "json", "--text-as-binary"},
		{"convert", "--to", "json", filepath.Join(t.TempDir(), "missing.pb")},
	} {
		if code, _, stderr := runCEStdin(t, "", args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
}

func TestConvertOutFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "event.pb")
	if code, stdout, stderr := runCEStdin(t, eventtest.Typical, "convert", "--to", "protobuf", "--text-as-binary", "--out", out); code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var e event.Event
	if err := jsonformat.Decode([]byte(eventtest.Typical), &e); err != nil {
		t.Fatal(err)
	}
	want, err := protoformat.Options{TextAsBinary: true}.Append(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := protoformat.Append(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(want) || string(b) == string(plain) {
		t.Errorf("--out file holds %d bytes, not the TextAsBinary encoding (%d bytes)", len(b), len(want))
	}
}
