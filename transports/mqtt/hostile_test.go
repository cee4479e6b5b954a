package mqtt_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/internal/heapwatch"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// The hostile-input tests put the attacker in a child process (this test
// binary, re-executed), so that only the subscriber's memory is in the
// measured process. The child is either an embedded broker with a
// publisher that sends one huge message (hostileBroker), or a fake MQTT
// 5.0 broker that ignores the subscriber's Maximum Packet Size and sends
// the huge message itself (hostileRogue). In both, the huge message is
// followed by a valid event with id "after".
const (
	hostileChildEnv = "OPENEVENTS_MQTT_HOSTILE_CHILD" // "broker" or "rogue"; set only in the child
	hostileSizeEnv  = "OPENEVENTS_MQTT_HOSTILE_SIZE"  // payload bytes of the huge message
	hostileTopic    = "hostile/events"
	hostileSize     = 64 << 20
	afterEvent      = `{"specversion":"1.0","id":"after","source":"/hostile","type":"t"}`
)

// hostileChild is the child's main. It prints "url URL" once it listens,
// then what it did, and exits when its stdin closes.
func hostileChild(mode string) int {
	size, err := strconv.Atoi(os.Getenv(hostileSizeEnv))
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, "child: size:", err)
		return 1
	}
	switch mode {
	case "broker":
		err = hostileBroker(size)
	case "rogue":
		err = hostileRogue(size)
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// hostileBroker runs the embedded broker; on "publish" from stdin it
// publishes the huge message and the "after" event (MQTT 5.0, QoS 1) and
// prints "published".
func hostileBroker(size int) error {
	// The broker's own limit is raised past the message: it is the
	// subscriber's limit that is under test.
	b, err := broker.New("127.0.0.1:0", broker.WithMaxMessageBytes(2*size))
	if err != nil {
		return err
	}
	defer func() { _ = b.Close() }()
	fmt.Println("url", b.URL())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() != "publish" {
			continue
		}
		if err := publishHuge(b.Addr(), size); err != nil {
			return err
		}
		fmt.Println("published")
	}
	return nil
}

func publishHuge(addr string, size int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn})
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "attacker", CleanStart: true, KeepAlive: 30}); err != nil {
		return err
	}
	defer func() { _ = c.Disconnect(&paho.Disconnect{}) }()
	// A valid binary-mode event with 64 MiB of data: only its size is
	// wrong.
	huge := &paho.Publish{Topic: hostileTopic, QoS: 1, Payload: make([]byte, size), Properties: &paho.PublishProperties{
		ContentType: "application/octet-stream",
		User:        []paho.UserProperty{{Key: "specversion", Value: "1.0"}, {Key: "id", Value: "huge"}, {Key: "source", Value: "/hostile"}, {Key: "type", Value: "t"}},
	}}
	if _, err := c.Publish(ctx, huge); err != nil {
		return fmt.Errorf("huge publish: %w", err)
	}
	after := &paho.Publish{Topic: hostileTopic, QoS: 1, Payload: []byte(afterEvent), Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json"}}
	if _, err := c.Publish(ctx, after); err != nil {
		return fmt.Errorf("after publish: %w", err)
	}
	return nil
}

// hostileRogue is a fake MQTT 5.0 broker for one client: it accepts the
// CONNECT (printing "max N", the Maximum Packet Size the client asked
// for), grants the SUBSCRIBE, then sends the huge message and the "after"
// event as QoS 1 packets 1 and 2 regardless of that size, and prints
// "puback ID" for each acknowledgement.
func hostileRogue(size int) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer func() { _ = l.Close() }()
	fmt.Println("url tcp://" + l.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); _ = l.Close() }()
	conn, err := l.Accept()
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	cp, err := packets.ReadPacket(conn)
	if err != nil {
		return err
	}
	connect, ok := cp.Content.(*packets.Connect)
	if !ok {
		return fmt.Errorf("first packet is %s, not CONNECT", cp)
	}
	maxSize := uint32(0)
	if connect.Properties != nil && connect.Properties.MaximumPacketSize != nil {
		maxSize = *connect.Properties.MaximumPacketSize
	}
	fmt.Println("max", maxSize)
	if _, err := (&packets.Connack{Properties: &packets.Properties{}}).WriteTo(conn); err != nil {
		return err
	}
	for {
		cp, err := packets.ReadPacket(conn)
		if err != nil {
			return nil // the client disconnected
		}
		switch p := cp.Content.(type) {
		case *packets.Pingreq:
			_, err = (&packets.Pingresp{}).WriteTo(conn)
		case *packets.Subscribe:
			err = rogueDeliver(conn, p.PacketID, size)
		case *packets.Puback:
			fmt.Println("puback", p.PacketID)
		}
		if err != nil {
			return err
		}
	}
}

// rogueDeliver grants a subscription and sends the huge message and the
// "after" event.
func rogueDeliver(conn net.Conn, subID uint16, size int) error {
	if _, err := (&packets.Suback{PacketID: subID, Reasons: []byte{1}, Properties: &packets.Properties{}}).WriteTo(conn); err != nil {
		return err
	}
	if err := writeHugePublish(conn, size); err != nil {
		return err
	}
	after := &packets.Publish{Topic: hostileTopic, QoS: 1, PacketID: 2, Payload: []byte(afterEvent),
		Properties: &packets.Properties{ContentType: "application/cloudevents+json"}}
	_, err := after.WriteTo(conn)
	return err
}

// writeHugePublish writes a QoS 1 PUBLISH, packet id 1, whose properties
// hold 1,000 user properties (so the client must skip those too) and
// whose payload is size bytes, streamed without holding it.
func writeHugePublish(w io.Writer, size int) error {
	var props []byte
	for i := range 1000 {
		k, v := "x"+strconv.Itoa(i), strings.Repeat("v", 100)
		props = append(props, 0x26) // User Property
		props = binary.BigEndian.AppendUint16(props, uint16(len(k)))
		props = append(props, k...)
		props = binary.BigEndian.AppendUint16(props, uint16(len(v)))
		props = append(props, v...)
	}
	var body []byte
	body = binary.BigEndian.AppendUint16(body, uint16(len(hostileTopic)))
	body = append(body, hostileTopic...)
	body = binary.BigEndian.AppendUint16(body, 1)
	body = appendVarint(body, len(props))
	body = append(body, props...)
	head := appendVarint([]byte{0x32}, len(body)+size) // PUBLISH, QoS 1
	if _, err := w.Write(append(head, body...)); err != nil {
		return err
	}
	chunk := make([]byte, 1<<20)
	for left := size; left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			return err
		}
	}
	return nil
}

func appendVarint(b []byte, v int) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// child is a running hostile child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startHostileChild(t *testing.T, mode string, size int) (*child, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hostileChildEnv+"="+mode, hostileSizeEnv+"="+strconv.Itoa(size))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 100)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan error, 1)
		go func() { wg.Wait(); done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("hostile child: %v", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done //nolint:errcheck // killed: its exit status is known to be an error
			t.Error("hostile child did not exit within 10s of its stdin closing")
		}
	})
	url, ok := strings.CutPrefix(c.expect(t, "url "), "url ")
	if !ok {
		t.Fatal("child did not print its URL")
	}
	return c, url
}

// expect returns the child's next line, which must start with prefix.
func (c *child) expect(t *testing.T, prefix string) string {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatalf("child exited; want a line starting %q", prefix)
		}
		if !strings.HasPrefix(l, prefix) {
			t.Fatalf("child said %q; want a line starting %q", l, prefix)
		}
		return l
	case <-time.After(20 * time.Second):
		t.Fatalf("child said nothing within 20s; want a line starting %q", prefix)
		return ""
	}
}

// watcher gathers what a subscriber delivers and reports.
type watcher struct {
	mu     sync.Mutex
	errs   []error
	ids    []string
	gotAny chan struct{}
}

func newWatcher() *watcher { return &watcher{gotAny: make(chan struct{}, 1)} }

func (c *watcher) handler() binding.Handler {
	return binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		c.mu.Lock()
		c.ids = append(c.ids, e.ID())
		c.mu.Unlock()
		select {
		case c.gotAny <- struct{}{}:
		default:
		}
		return nil
	})
}

func (c *watcher) onError(_ string, err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.mu.Unlock()
}

func (c *watcher) waitFor(t *testing.T, id string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		for _, got := range c.ids {
			if got == id {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
		select {
		case <-c.gotAny:
		case <-deadline:
			t.Fatalf("event %q not delivered within 20s", id)
		}
	}
}

// heapBound is what the subscriber's live heap may grow by while a 64 MiB
// message is thrown at it with the default limit of 4 MiB: the limit
// itself would fit; the message would not.
const heapBound = 16 << 20

func TestHostileHugeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess and moves 64 MiB; skipped with -short")
	}
	tests := []struct {
		name     string
		child    string // "broker" or "rogue"
		version  cemqtt.Version
		tooLarge uint64 // messages the subscriber itself must discard
	}{
		// The broker knows the limit from CONNECT and withholds the
		// message ([MQTT-3.1.2-25]): the subscriber never sees it.
		{name: "5.0 broker withholds", child: "broker", version: cemqtt.Version5, tooLarge: 0},
		// MQTT 3.1.1 cannot tell the broker: the subscriber discards it.
		{name: "3.1.1 subscriber discards", child: "broker", version: cemqtt.Version311, tooLarge: 1},
		// A 5.0 broker that ignores the limit: the subscriber discards it.
		{name: "5.0 rogue broker", child: "rogue", version: cemqtt.Version5, tooLarge: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ch, url := startHostileChild(t, tt.child, hostileSize)
			col := newWatcher()
			ctx := testContext(t)
			hs := heapwatch.Start(time.Millisecond)
			sub, err := startSubscriber(ctx, url, hostileTopic, col.handler(),
				cemqtt.WithVersion(tt.version), cemqtt.WithCleanStart(true), cemqtt.WithErrorHook(col.onError))
			if err != nil {
				hs.Stop()
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
			if tt.child == "rogue" {
				if got := ch.expect(t, "max "); got != "max "+strconv.Itoa(cemqtt.DefaultMaxMessageBytes) {
					t.Errorf("CONNECT Maximum Packet Size: child saw %q, want %d", got, cemqtt.DefaultMaxMessageBytes)
				}
			} else {
				if _, err := io.WriteString(ch.stdin, "publish\n"); err != nil {
					t.Fatal(err)
				}
				ch.expect(t, "published")
			}
			col.waitFor(t, "after")
			if tt.child == "rogue" {
				// Both messages were acknowledged, in order: the stub
				// kept paho's acknowledgement flow.
				ch.expect(t, "puback 1")
				ch.expect(t, "puback 2")
			}
			allocs := hs.Stop()
			if err := sub.Shutdown(context.Background()); err != nil {
				t.Error(err)
			}
			grew := int64(hs.Peak()) - int64(hs.Base().Objects)
			t.Logf("%v: live heap %d → peak %d bytes (+%d), %d bytes allocated while attacked, in %v",
				tt.name, hs.Base().Objects, hs.Peak(), grew, allocs, time.Since(start).Round(time.Millisecond))
			if grew > heapBound {
				t.Errorf("live heap grew by %d bytes under a %d-byte message; bound %d", grew, hostileSize, heapBound)
			}
			// Holding the message even once means allocating 64 MiB.
			if allocs >= hostileSize {
				t.Errorf("%d bytes allocated while a %d-byte message arrived: it was read whole", allocs, hostileSize)
			}
			st := sub.Stats()
			if st.TooLarge != tt.tooLarge || st.Delivered != 1 || st.Invalid != 0 {
				t.Errorf("stats %+v; want TooLarge %d, Delivered 1 (only \"after\")", st, tt.tooLarge)
			}
			col.mu.Lock()
			defer col.mu.Unlock()
			if len(col.ids) != 1 || col.ids[0] != "after" {
				t.Errorf("delivered %q, want only \"after\"", col.ids)
			}
			if len(col.errs) != int(tt.tooLarge) {
				t.Fatalf("hook got %d errors, want %d: %v", len(col.errs), tt.tooLarge, col.errs)
			}
			for _, err := range col.errs {
				me, ok := errors.AsType[*cemqtt.MessageError](err)
				if !ok || !errors.Is(err, cemqtt.ErrMessageTooLarge) || me.Topic != hostileTopic || me.Size != hostileSize {
					t.Errorf("hook got %v; want a *MessageError for topic %s wrapping ErrMessageTooLarge with Size %d", err, hostileTopic, hostileSize)
					continue
				}
				for _, want := range []string{"over the limit of " + strconv.Itoa(cemqtt.DefaultMaxMessageBytes) + " bytes", "WithMaxMessageBytes", hostileTopic} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
			}
		})
	}
}

// TestHostileInvalidFlood publishes a flood of messages that are not
// CloudEvents, of several kinds, and checks that every one of them is
// counted and reported to the hook with its topic, its broker and a
// reason naming the broken rule, and that a valid event still gets
// through afterwards.
func TestHostileInvalidFlood(t *testing.T) {
	const n = 300
	kinds := []struct {
		name  string
		props *paho.PublishProperties
		body  string
		rule  string // the requirement the reason must name, for 5.0
	}{
		{"structured, not JSON", &paho.PublishProperties{ContentType: "application/cloudevents+json"}, "not json", "JSON-"},
		{"binary, no id", &paho.PublishProperties{ContentType: "text/plain", User: []paho.UserProperty{{Key: "specversion", Value: "1.0"}, {Key: "source", Value: "/s"}, {Key: "type", Value: "t"}}}, "x", "CORE-ATTR-ID-1"},
		{"unsupported format", &paho.PublishProperties{ContentType: "application/cloudevents+avro"}, "x", "MQTT-FORMAT-1"},
		{"structured, no type", nil, `{"specversion":"1.0","id":"1","source":"/s"}`, "CORE-ATTR-TYPE-1"},
		// Valid UTF-8, so the broker relays it; the subscriber refuses the
		// escape sequence before it can reach a terminal.
		{"escape in Content Type", &paho.PublishProperties{ContentType: "text/plain\x1b[2J"}, "x", "MQTT-1.5.4-1"},
	}
	rulePattern := regexp.MustCompile(`\b[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+\b`)
	for _, v := range []cemqtt.Version{cemqtt.Version5, cemqtt.Version311} {
		t.Run(v.String(), func(t *testing.T) {
			b := embedded(t)
			tp := topic(t)
			w := newWatcher()
			sub, err := startSubscriber(testContext(t), b.URL(), tp, w.handler(), cemqtt.WithVersion(v),
				cemqtt.WithCleanStart(true), cemqtt.WithErrorHook(w.onError))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sub.Shutdown(context.Background()) })
			pub := dialRaw(t, b.URL(), "flooder-"+v.String())
			start := time.Now()
			for i := range n {
				k := kinds[i%len(kinds)]
				pub.publish(t, &paho.Publish{Topic: tp, QoS: 1, Payload: []byte(k.body), Properties: k.props})
			}
			pub.publish(t, &paho.Publish{Topic: tp, QoS: 1, Payload: []byte(afterEvent), Properties: &paho.PublishProperties{ContentType: "application/cloudevents+json"}})
			w.waitFor(t, "after")
			t.Logf("%d invalid messages and one valid one handled in %v", n, time.Since(start).Round(time.Millisecond))
			if st := sub.Stats(); st.Invalid != n || st.Delivered != 1 || st.TooLarge != 0 {
				t.Errorf("stats %+v; want Invalid %d, Delivered 1", st, n)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if len(w.errs) != n {
				t.Fatalf("hook got %d errors for %d invalid messages", len(w.errs), n)
			}
			for i, err := range w.errs {
				me, ok := errors.AsType[*cemqtt.MessageError](err)
				if !ok || me.Topic != tp || me.Broker != b.Addr() {
					t.Fatalf("error %d: %v; want a *MessageError for topic %s from broker %s", i, err, tp, b.Addr())
				}
				k := kinds[i%len(kinds)]
				if me.Size != len(k.body) {
					t.Errorf("error %d (%s): Size %d, want %d", i, k.name, me.Size, len(k.body))
				}
				if !rulePattern.MatchString(err.Error()) {
					t.Errorf("error %d (%s): %q names no requirement", i, k.name, err)
				}
				// Over 3.1.1 the properties are gone and every payload is
				// read as a JSON-format event (MQTT-V311-1).
				if v == cemqtt.Version5 && !strings.Contains(err.Error(), k.rule) {
					t.Errorf("error %d (%s): %q does not name %s", i, k.name, err, k.rule)
				}
				if strings.ContainsRune(err.Error(), 0x1b) {
					t.Errorf("error %d (%s): %q holds a raw escape", i, k.name, err)
				}
			}
		})
	}
}

// TestPublishOverBrokerLimit: an MQTT 5.0 broker announces its Maximum
// Packet Size in CONNACK, and a Publisher refuses at once, with an error
// stating both sizes, an event that would not fit, rather than being
// disconnected for it and waiting for ever; a smaller event still goes.
func TestPublishOverBrokerLimit(t *testing.T) {
	const limit = 64 << 10
	b := embedded(t, broker.WithMaxMessageBytes(limit))
	ctx := testContext(t)
	pub, err := cemqtt.NewPublisher(ctx, b.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	for _, tc := range []struct {
		size    int
		tooBig  bool
		comment string
	}{{limit, true, "payload alone at the limit"}, {limit - 200, false, "whole packet under the limit"}, {10 * limit, true, "ten times over"}} {
		var e event.Event
		e.SetSpecVersion("1.0")
		e.SetID("1")
		e.SetSource("/s")
		e.SetType("t")
		e.SetDataContentType("application/octet-stream")
		e.SetBinaryData(make([]byte, tc.size))
		start := time.Now()
		err := pub.Publish(ctx, "big", &e)
		if !tc.tooBig {
			if err != nil {
				t.Errorf("%s: %v", tc.comment, err)
			}
			continue
		}
		if !errors.Is(err, cemqtt.ErrMessageTooLarge) || cemqtt.IsRetryable(err) || !strings.Contains(err.Error(), "Maximum Packet Size of 65536 bytes") {
			t.Errorf("%s: %v; want a non-retryable ErrMessageTooLarge naming the broker's limit", tc.comment, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: refused after %v, not at once", tc.comment, d)
		}
	}
}
