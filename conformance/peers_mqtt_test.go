//go:build interop

package conformance

// The suite against the JavaScript SDK over MQTT (npm cloudevents with
// the mqtt client, conformance/peers/js/mqtt-*.js), as an echo and as a
// sender, through a Mosquitto broker. The SDK's findings are pinned as
// in peer_reports_test.go: none is written into the suite, each is found.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// jsMQTTFindings are the requirements the JavaScript SDK (cloudevents
// 10.0.0, mqtt 5.16.0) fails over MQTT under the default profile, as echo
// and sender, with what shows it.
var jsMQTTFindings = map[string]string{
	// MQTT.binary copies datacontenttype into the user properties beside
	// the Content Type property (echo and sender), and MQTT.toEvent reads
	// binary mode without the Content Type property (echo).
	"MQTT-BINARY-1": "a binary-mode message carries datacontenttype as its Content Type and not also as a user property; and on receipt the Content Type is read as datacontenttype",
	// The echo hands the payload to the SDK as text, since MQTT.toEvent
	// parses a structured payload only from a string; the SDK offers no
	// reading that keeps binary data and structured events both, so bytes
	// that are not UTF-8 do not survive.
	"MQTT-BINARY-2": "the payload of a binary-mode message is the data, byte for byte",
	// MQTT.toEvent (by default not strict) makes an event of a message
	// whose user properties are named ce-id, ce-source, …, with an id and
	// a time of its own.
	"MQTT-BINARY-6": "user properties named with a ce- prefix are not attributes: such a message does not come back as an event",
	// MQTT.toEvent reads a message without a Content Type (what an MQTT
	// 3.1.1 publisher's message is) as binary mode, so its JSON event
	// becomes the data of an event the SDK makes up.
	"MQTT-STRUCTURED-2": "an MQTT 3.1.1 message is read as a JSON-format event without any Content Type",
	"MQTT-V311-1":       "an MQTT 3.1.1 message is read as a JSON-format event without any Content Type",
}

// startMQTTPeer starts a peer that prints READY once subscribed, and
// stops it with SIGTERM when the test ends.
func startMQTTPeer(t *testing.T, argv ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var stderr peerOutput
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %q: %v", argv, err)
	}
	ready := make(chan struct{})
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "READY" {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	exited := make(chan error, 1)
	go func() {
		<-read
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("peer %q on SIGTERM: %v\nstderr:\n%s", argv, err, stderr.String())
			}
		case <-time.After(peerStopTimeout):
			_ = cmd.Process.Kill()
			err := <-exited
			t.Errorf("peer %q did not exit within %v of SIGTERM and was killed (%v)\nstderr:\n%s", argv, peerStopTimeout, err, stderr.String())
		}
		if t.Failed() {
			t.Logf("peer %q stderr:\n%s", argv, stderr.String())
		}
	})
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("peer %q exited before READY: %v\nstderr:\n%s", argv, err, stderr.String())
	case <-time.After(peerReadyTimeout):
		t.Fatalf("peer %q printed no READY within %v\nstderr:\n%s", argv, peerReadyTimeout, stderr.String())
	}
}

// TestPeerReportJSMQTT runs the MQTT echo cases against the JavaScript
// SDK's echo (on Response Topics, and on a fixed reply topic for the
// MQTT 3.1.1 cases) and the MQTT sender cases against its sender, and
// pins what they find.
func TestPeerReportJSMQTT(t *testing.T) {
	node := peerNode(t)
	// Mosquitto, not the embedded mochi broker: mochi acknowledges a QoS 1
	// PUBLISH that has user properties with the reason code 0x01, which
	// MQTT 5.0 does not allow in a PUBACK, and the mqtt client then fails
	// the publish.
	addr := os.Getenv(mosquittoEnv)
	if addr == "" {
		t.Skipf("%s is not set: this test needs Mosquitto; run it through scripts/mosquitto.sh (make interop)", mosquittoEnv)
	}
	b := struct{ url string }{"tcp://" + addr}
	startMQTTPeer(t, node, peerPath(t, "mqtt-echo.js"), "--broker", b.url, "--topic", "js/echo")
	startMQTTPeer(t, node, peerPath(t, "mqtt-echo.js"), "--broker", b.url, "--topic", "js/echo311", "--reply-topic", "js/replies")

	failed := map[string]string{}
	notes := ""
	for _, run := range []struct {
		name string
		cfg  Config
	}{
		{"javascript-mqtt-echo", Config{MQTT: &MQTTTarget{Broker: b.url, Topic: "js/echo", Role: RoleEcho}, LabelFilter: "mqtt && echo"}},
		{"javascript-mqtt-echo-311", Config{MQTT: &MQTTTarget{Broker: b.url, Topic: "js/echo311", ReplyTopic: "js/replies", Role: RoleEcho}, LabelFilter: "mqtt && echo && (MQTT-V311-1 || MQTT-STRUCTURED-2)"}},
		{"javascript-mqtt-sender", Config{MQTT: &MQTTTarget{Broker: b.url, Topic: "js/sent", Role: RoleSender}, Sender: senderCommand(node, peerPath(t, "mqtt-sender.js")), LabelFilter: "mqtt && sender"}},
	} {
		res := runPeer(t, run.name, run.cfg)
		passed := 0
		for _, c := range res.Cases {
			if c.Verdict == Pass {
				passed++
			}
		}
		if passed == 0 && !strings.HasSuffix(run.name, "-311") {
			t.Errorf("%s: no case passed: the peer did not take part", run.name)
		}
		for _, rr := range res.Requirements {
			if rr.Verdict == Fail {
				failed[rr.ID] += fmt.Sprintf("%s: %s; ", run.name, rr.Message)
			}
		}
		notes += strings.Join(res.Notes, "\n")
	}
	for id, what := range sortedMap(jsMQTTFindings) {
		if _, ok := failed[id]; !ok {
			t.Errorf("%s: the suite no longer finds that the peer breaks the rule: %s", id, what)
		} else {
			t.Logf("%s found: %s", id, failed[id])
		}
	}
	for id, msg := range sortedMap(failed) {
		if _, ok := jsMQTTFindings[id]; !ok {
			t.Errorf("%s: a new finding, not pinned: %s", id, msg)
		}
	}
	if !strings.Contains(notes, "adds attributes of its own") || !strings.Contains(notes, "time") {
		t.Errorf("the run's notes do not say that the JavaScript SDK adds a time to every event it echoes over MQTT: %q", notes)
	}
}
