//go:build interop

package conformance

// The suite against the peers no one here wrote, as separate programs:
// sdk-go's and the JavaScript SDK's receivers and senders, and a Mosquitto
// broker as an MQTT relay. Each run writes a report per peer (console,
// JSON, HTML, JUnit) into OPENEVENTS_PEER_REPORTS (make interop:
// reports/peers) and pins the peer's known findings: a finding the suite
// stops seeing, or a new one, fails the test until peerFindings and
// docs/peers.md say so.

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	peerReportsEnv = "OPENEVENTS_PEER_REPORTS"
	mosquittoEnv   = "OPENEVENTS_MOSQUITTO_ADDR"
)

// jsFindings are the requirements the JavaScript SDK (cloudevents 10.0.0
// on npm) fails as a receiver and a sender under the default profile, each
// with the first case that shows it. Most come from its receiving side
// accepting what it should refuse (HTTP.toEvent builds events without
// validating them: a missing specversion is defaulted to 1.0), from no
// percent-encoding or -decoding of header values, and from JSON data
// handling; the time it adds to every event is a note of the run, checked
// by TestPeerReportJS, not a rule it breaks.
var jsFindings = map[string]string{
	"CORE-ATTR-DATACONTENTTYPE-1": "a datacontenttype that is not a media type is rejected",
	"CORE-ATTR-DATASCHEMA-1":      "a relative dataschema is rejected",
	"CORE-ATTR-ID-1":              "a structured body without id is rejected even when a ce-id header is present",
	"CORE-ATTR-ID-2":              "a structured event with an empty id is rejected",
	"CORE-ATTR-SOURCE-1":          "a binary-mode event without ce-source is rejected",
	"CORE-ATTR-SOURCE-2":          "a structured event with an empty source is rejected",
	"CORE-ATTR-SPECVERSION-1":     "a binary-mode event without ce-specversion is rejected",
	"CORE-ATTR-SPECVERSION-2":     "a structured event with an empty specversion is rejected",
	"CORE-ATTR-SPECVERSION-4":     "a structured event with specversion 2.0 (a version the receiver does not implement) is refused",
	"CORE-ATTR-SUBJECT-1":         "an empty subject is rejected",
	"CORE-ATTR-TIME-1":            "a time that is not an RFC 3339 timestamp is rejected",
	"CORE-ATTR-TYPE-1":            "a structured event without type is rejected",
	"CORE-ATTR-TYPE-2":            "a structured event with an empty type is rejected",
	"CORE-EXT-1":                  "an extension whose value is an object is rejected",
	"CORE-NAMING-1":               "an extension name with upper case and '_' is rejected",
	"CORE-TYPE-1":                 "an extension whose value is an object is rejected",
	"CORE-TYPE-8":                 "a structured time with nanoseconds keeps all nine digits",
	"CORE-TYPE-INTEGER-1":         "an Integer extension above 2147483647 is rejected",
	"CORE-TYPE-STRING-1":          "ce-subject %01 decodes to the control character U+0001 and is refused",
	"CORE-TYPE-STRING-2":          "ce-subject %EF%BF%BE decodes to the noncharacter U+FFFE and is refused",
	"CORE-TYPE-STRING-3":          "a subject holding a lone surrogate is rejected",
	"CORE-TYPE-TIMESTAMP-1":       "a time with a space instead of T is rejected",
	"CORE-TYPE-URI-1":             "a relative dataschema is rejected",
	"CORE-TYPE-URIREF-1":          "ce-source /a%20b decodes to '/a b', which is no URI-reference, and is refused",
	"HTTP-BATCH-5":                "a JSON array sent as one structured event is rejected",
	"HTTP-BATCH-8":                "a batch mixing spec versions 1.0 and 0.3 is rejected",
	"HTTP-BINARY-1":               "an event without datacontenttype gets no Content-Type in the reply (no sniffing)",
	"HTTP-BINARY-2":               "a binary-mode message with a ce-datacontenttype header is rejected",
	"HTTP-BINARY-3":               "arbitrary bytes in the body are the data, byte for byte",
	"HTTP-BINARY-4":               "optional attributes travel in binary mode unchanged",
	"HTTP-FORMAT-1":               "whitespace after the structured event object is accepted",
	"HTTP-HEADER-VALUE-10":        "the binary reply percent-encodes a '%' that starts no escape",
	"HTTP-HEADER-VALUE-11":        "the binary reply percent-encodes a Latin-1 letter (é)",
	"HTTP-HEADER-VALUE-13":        "the binary reply encodes € as the escapes of its UTF-8 bytes",
	"HTTP-HEADER-VALUE-17":        "ce-subject a%ED%B2%ADb, a UTF-8-encoded lone surrogate, is refused",
	"HTTP-HEADER-VALUE-2":         "a binary-mode message's header values hold only printable US-ASCII",
	"HTTP-HEADER-VALUE-3":         "the binary reply encodes subject 'Euro € 😀 100% \"q\"' as the binding says",
	"HTTP-HEADER-VALUE-6":         "ce-specversion 1%252E0 is decoded once, to 1%2E0, and refused",
	"HTTP-HEADER-VALUE-8":         "the binary reply encodes U+1F600 as one character, four UTF-8 bytes",
	"HTTP-HEADER-VALUE-9":         "the binary reply percent-encodes a space",
	"HTTP-MODE-4":                 "a structured event sent as Application/CloudEvents+JSON is read from the body",
	"HTTP-STRUCTURED-1":           "a structured Content-Type with whitespace before a charset parameter (+json ; charset=UTF-8) still names the JSON format",
	"HTTP-STRUCTURED-2":           "a structured body without id is rejected even when a ce-id header is present",
	"JSON-BATCH-3":                "a batch with one event lacking id is rejected as a whole",
	"JSON-DATA-19":                "JSON data 0 is the number 0, not an event without data",
	"JSON-DATA-20":                "a JSON string as data stays a string and is not parsed again",
	"JSON-DATA-5":                 "an event with both data and data_base64 is rejected",
	"JSON-DATA-7":                 "a JSON string as data stays a string and is not parsed again",
	"JSON-SYNTAX-2":               "a structured body that is not UTF-8 is rejected",
	"JSON-TYPE-1":                 "an id that is a JSON number is rejected",
	"JSON-TYPE-2":                 "null attributes count as absent",
	"JSON-TYPE-INTEGER-1":         "an extension number with an exponent is rejected",
	"WEBHOOK-RESPONSE-13":         "an event format the receiver does not know is answered 415",
	"HTTP-HEADER-VALUE-14":        "lower-case escapes in the request come back with upper-case hex digits",
	"HTTP-HEADER-VALUE-18":        "the reply's header encoding follows the worked example",
	"JSON-SYNTAX-3":               "a structured event with the member data twice is rejected",
	"WEBHOOK-ABUSE-1":             "the abuse-protection handshake grants the requesting origin",
	"WEBHOOK-VALIDATION-7":        "the handshake answer lists POST in Allow",
	"WEBHOOK-RESPONSE-3":          "its sender follows a 307 redirect to another URL",
}

// runPeer runs the suite with cfg and writes the peer's reports.
func runPeer(t *testing.T, name string, cfg Config) *Result {
	t.Helper()
	cfg.RequestTimeout = 5 * time.Second
	cfg.Timeout = 3 * time.Minute
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv(peerReportsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for file, write := range map[string]func(io.Writer) error{
		"result.txt":  res.WriteConsole,
		"result.json": res.WriteJSON,
		"result.html": res.WriteHTML,
		"junit.xml":   res.WriteJUnit,
	} {
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s: reports in %s", name, dir)
	return res
}

// pinFindings checks that res fails exactly the pinned requirements.
func pinFindings(t *testing.T, res *Result, pinned map[string]string) {
	t.Helper()
	failed := map[string]string{}
	for _, rr := range res.Requirements {
		if rr.Verdict == Fail {
			failed[rr.ID] = rr.Message
		}
	}
	for id, what := range sortedMap(pinned) {
		if _, ok := failed[id]; !ok {
			t.Errorf("%s: the suite no longer finds that the peer %s", id, what)
		}
	}
	for id, msg := range sortedMap(failed) {
		if _, ok := pinned[id]; !ok {
			t.Errorf("%s: a new finding, not pinned: %s", id, strings.ReplaceAll(msg, "\n", " | "))
		}
	}
}

// senderCommand is a sender peer as a SenderTarget.
func senderCommand(argv ...string) *SenderTarget {
	return &SenderTarget{Command: argv, Output: io.Discard}
}

// TestPeerReportSDKGo: sdk-go's receiver and sender programs have the
// findings TestSDKGo pins for the same library run in-process.
func TestPeerReportSDKGo(t *testing.T) {
	url := startPeer(t, peerPath(t, "sdkgo-receiver"))
	res := runPeer(t, "sdk-go", Config{
		HTTP:   &HTTPTarget{URL: url},
		Sender: senderCommand(peerPath(t, "sdkgo-sender")),
	})
	pinFindings(t, res, sdkgoFindings)
}

// TestPeerReportJS: the JavaScript SDK's receiver and sender.
func TestPeerReportJS(t *testing.T) {
	node := peerNode(t)
	url := startPeer(t, node, peerPath(t, "receiver.js"))
	res := runPeer(t, "javascript", Config{
		HTTP:   &HTTPTarget{URL: url},
		Sender: senderCommand(node, peerPath(t, "sender.js")),
	})
	pinFindings(t, res, jsFindings)
	noted := false
	for _, n := range res.Notes {
		noted = noted || strings.Contains(n, "adds attributes of its own") && strings.Contains(n, "time")
	}
	if !noted {
		t.Errorf("the run's notes no longer say that the JavaScript SDK adds a time to every event: %q", res.Notes)
	}
}

// TestPeerReportMosquitto: a Mosquitto broker relays a topic to its
// subscribers; every relay case passes under both profiles (claiming the
// extensions, which a broker passes through untouched).
func TestPeerReportMosquitto(t *testing.T) {
	addr := os.Getenv(mosquittoEnv)
	if addr == "" {
		t.Fatalf("%s is not set: run this test through scripts/mosquitto.sh (make interop)", mosquittoEnv)
	}
	for _, text := range []string{"1.0.2", "main"} {
		res := runPeer(t, "mosquitto-"+text, Config{
			MQTT:        &MQTTTarget{Broker: "tcp://" + addr, Topic: "conformance/mosquitto"},
			Profile:     claimAll(text),
			LabelFilter: "relay",
		})
		passed := 0
		for _, c := range res.Cases {
			switch c.Verdict {
			case Pass:
				passed++
			case Fail:
				t.Errorf("%s: %s: %s", text, c.Name, c.Message)
			}
		}
		if passed < 8 {
			t.Errorf("%s: %d relay cases passed, want at least 8", text, passed)
		}
	}
}
