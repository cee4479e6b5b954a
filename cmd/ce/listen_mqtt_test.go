package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// mqttBrokers returns the embedded broker and, under `make interop`, the
// Mosquitto broker named by OPENEVENTS_MOSQUITTO_ADDR (a test fails when
// the variable is set but the broker is unreachable).
func mqttBrokers(t *testing.T) map[string]string {
	t.Helper()
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	urls := map[string]string{"embedded": b.URL()}
	if addr := os.Getenv("OPENEVENTS_MOSQUITTO_ADDR"); addr != "" {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("OPENEVENTS_MOSQUITTO_ADDR=%s is set but the broker is unreachable: %v", addr, err)
		}
		_ = c.Close()
		urls["mosquitto"] = "tcp://" + addr
	} else {
		t.Log("Mosquitto interop not run: OPENEVENTS_MOSQUITTO_ADDR is not set (run `make interop`)")
	}
	return urls
}

// mqttSyncBuffer is a bytes.Buffer safe for the listener's goroutines; each
// write is signalled on written.
type mqttSyncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{}
}

func newMQTTSyncBuffer() *mqttSyncBuffer { return &mqttSyncBuffer{written: make(chan struct{}, 1)} }

func (s *mqttSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.written <- struct{}{}:
	default:
	}
	return s.b.Write(p)
}

// waitFor waits up to d for the buffer to hold want and reports whether it
// does.
func (s *mqttSyncBuffer) waitFor(want string, d time.Duration) bool {
	deadline := time.After(d)
	for !strings.Contains(s.String(), want) {
		select {
		case <-s.written:
		case <-deadline:
			return strings.Contains(s.String(), want)
		}
	}
	return true
}

func (s *mqttSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// listenMQTTInBackground runs ce listen --mqtt until it has printed count
// events and returns its outputs when it ends.
func listenMQTTInBackground(t *testing.T, args ...string) (wait func() (int, string, string), stderr *mqttSyncBuffer) {
	t.Helper()
	out := newMQTTSyncBuffer()
	errOut := newMQTTSyncBuffer()
	stderr = errOut
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"listen"}, args...), strings.NewReader(""), out, errOut)
	}()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening for MQTT") {
		select {
		case <-errOut.written:
		case code := <-done:
			t.Fatalf("ce listen exited %d: %s", code, stderr.String())
		case <-deadline:
			t.Fatalf("ce listen did not start: %s", stderr.String())
		}
	}
	return func() (int, string, string) {
		select {
		case code := <-done:
			return code, out.String(), stderr.String()
		case <-time.After(15 * time.Second):
			t.Fatalf("ce listen did not finish; stdout %q stderr %q", out.String(), stderr.String())
			return 0, "", ""
		}
	}, stderr
}

func TestMQTTSendListen(t *testing.T) {
	for name, url := range mqttBrokers(t) {
		for _, tc := range []struct {
			name string
			args []string
		}{
			{"v5-binary", []string{"--mqtt-version", "5", "--mode", "binary"}},
			{"v5-structured", []string{"--mqtt-version", "5", "--mode", "structured"}},
			{"v311", []string{"--mqtt-version", "3"}},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				topic := "openevents/cli/" + name + "/" + tc.name + "/" + newUUID()
				ver := tc.args[1]
				wait, _ := listenMQTTInBackground(t, "--mqtt", url, "--topic", topic, "--mqtt-version", ver, "--count", "1", "--validate")
				code, out, errOut := runCE(t, append([]string{"send", "--mqtt", url, "--topic", topic,
					"--id", "cli-1", "--source", "/cli", "--type", "com.example.cli", "--data", `{"n":1}`}, tc.args...)...)
				if code != exitOK {
					t.Fatalf("ce send: exit %d, stdout %q, stderr %q", code, out, errOut)
				}
				if !strings.Contains(out, "sent event cli-1") {
					t.Errorf("ce send printed %q", out)
				}
				code, out, errOut = wait()
				if code != exitOK {
					t.Fatalf("ce listen: exit %d, stderr %q", code, errOut)
				}
				var e event.Event
				if err := jsonformat.Decode([]byte(strings.TrimSpace(out)), &e); err != nil {
					t.Fatalf("ce listen printed %q: %v", out, err)
				}
				if e.ID() != "cli-1" || e.Type() != "com.example.cli" || string(e.Data()) != `{"n":1}` {
					t.Errorf("ce listen printed %s", out)
				}
			})
		}
	}
}

func TestMQTTListenRefusesWithRequirementIDs(t *testing.T) {
	url := mqttBrokers(t)["embedded"]
	topic := "openevents/cli/refuse/" + newUUID()
	wait, stderr := listenMQTTInBackground(t, "--mqtt", url, "--topic", topic, "--count", "1", "--validate")

	// A structured message that is not JSON, from a bare client.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn})
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "cli-raw", CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Disconnect(&paho.Disconnect{}); <-c.Done() }()
	if _, err := c.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: []byte(`{"specversion":`),
		Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json"}}); err != nil {
		t.Fatal(err)
	}
	// The broker acknowledges a publish before it passes it on (mochi-mqtt
	// does), and MQTT orders nothing across two publishers: wait for the
	// refusal before the good event, or --count 1 may end the listener
	// first.
	if !stderr.waitFor("refused message from topic "+topic, 10*time.Second) {
		t.Fatalf("listen --validate printed no refusal: %q", stderr.String())
	}
	// Then a good event: the listener goes on.
	code, _, errOut := runCE(t, "send", "--mqtt", url, "--topic", topic, "--id", "x", "--source", "/cli", "--type", "t")
	if code != exitOK {
		t.Fatalf("send: %d %s", code, errOut)
	}
	code, out, errOut := wait()
	if code != exitOK || !strings.Contains(out, `"id":"x"`) {
		t.Fatalf("listen: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "refused message from topic "+topic) || !strings.Contains(errOut, "JSON-SYNTAX-1") {
		t.Errorf("listen --validate stderr %q lacks the refusal with JSON-SYNTAX-1", errOut)
	}
}

func TestMQTTUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no topic", []string{"send", "--mqtt", "tcp://127.0.0.1:1", "--source", "/s", "--type", "t"}, "--topic"},
		{"bad version", []string{"send", "--mqtt", "tcp://127.0.0.1:1", "--topic", "x", "--mqtt-version", "7", "--source", "/s", "--type", "t"}, "--mqtt-version"},
		{"bad qos", []string{"listen", "--mqtt", "tcp://127.0.0.1:1", "--topic", "x", "--qos", "3"}, "--qos"},
		{"batch", []string{"send", "--mqtt", "tcp://127.0.0.1:1", "--topic", "x", "--mode", "batch", "--source", "/s", "--type", "t"}, "batch"},
		{"bad url", []string{"send", "--mqtt", "http://127.0.0.1:1", "--topic", "x", "--source", "/s", "--type", "t"}, "scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCE(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, errOut, exitUsage, tc.want)
			}
		})
	}
}

func TestMQTTSendUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	code, _, errOut := runCE(t, "send", "--mqtt", "tcp://"+addr, "--topic", "x", "--source", "/s", "--type", "t", "--timeout", "2s")
	if code != exitFailure {
		t.Errorf("exit %d, stderr %q; want %d", code, errOut, exitFailure)
	}
}
