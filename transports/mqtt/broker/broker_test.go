package broker_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
	"go.uber.org/goleak"

	"github.com/openevents/openevents/internal/heapwatch"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartClose(t *testing.T) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.URL(), "tcp://127.0.0.1:") || strings.HasSuffix(b.Addr(), ":0") {
		t.Errorf("URL %q, Addr %q", b.URL(), b.Addr())
	}
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if b.DisconnectClient("nobody") {
		t.Error("DisconnectClient of an unknown client reported true")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := broker.New("127.0.0.1:0", broker.WithMaxPendingWrites(0)); err == nil {
		t.Error("WithMaxPendingWrites(0) accepted")
	}
	for _, n := range []int{1023, 268_435_456} {
		if _, err := broker.New("127.0.0.1:0", broker.WithMaxMessageBytes(n)); err == nil || !strings.Contains(err.Error(), "WithMaxMessageBytes") {
			t.Errorf("WithMaxMessageBytes(%d): %v, want an error naming the option", n, err)
		}
	}
	if _, err := broker.New("256.0.0.1:0"); err == nil {
		t.Error("bad address accepted")
	}
}

func TestMaxMessageBytes(t *testing.T) {
	const limit = 64 << 10
	b, err := broker.New("127.0.0.1:0", broker.WithMaxMessageBytes(limit))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A subscriber, to show the broker still relays messages within the
	// limit after refusing one over it.
	got := make(chan *paho.Publish, 4)
	sc, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	sub := paho.NewClient(paho.ClientConfig{Conn: sc, OnPublishReceived: []func(paho.PublishReceived) (bool, error){
		func(pr paho.PublishReceived) (bool, error) { got <- pr.Packet; return true, nil },
	}})
	ca, err := sub.Connect(ctx, &paho.Connect{ClientID: "sub", CleanStart: true, KeepAlive: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Disconnect(&paho.Disconnect{}); <-sub.Done() }()
	if ca.Properties == nil || ca.Properties.MaximumPacketSize == nil || *ca.Properties.MaximumPacketSize != limit {
		t.Errorf("CONNACK does not announce Maximum Packet Size %d: %+v", limit, ca.Properties)
	}
	if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "t", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}

	// The attacker announces a 64 MiB PUBLISH and streams it.
	runtime.GC()
	before := heapwatch.Read().Objects
	ac, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ac.Close() }()
	if _, err := (&packets.Connect{ProtocolName: "MQTT", ProtocolVersion: 5, ClientID: "attacker", CleanStart: true, Properties: &packets.Properties{}}).WriteTo(ac); err != nil {
		t.Fatal(err)
	}
	if cp, err := packets.ReadPacket(ac); err != nil || cp.Type != packets.CONNACK {
		t.Fatalf("attacker's CONNACK: %v, %v", cp, err)
	}
	const huge = 64 << 20
	body := []byte{0, 1, 't', 0} // topic "t", no properties
	head := []byte{0x30, 0x80 | byte((huge+len(body))&0x7f), 0x80 | byte((huge+len(body))>>7&0x7f), 0x80 | byte((huge+len(body))>>14&0x7f), byte((huge + len(body)) >> 21)}
	_ = ac.SetDeadline(time.Now().Add(5 * time.Second))
	written := 0
	if _, err := ac.Write(append(head, body...)); err == nil {
		chunk := make([]byte, 1<<20)
		for written < huge {
			n, err := ac.Write(chunk)
			written += n
			if err != nil {
				break
			}
		}
	}
	// The broker answers with DISCONNECT 0x95 (packet too large) and
	// closes the connection, long before 64 MiB could have been read.
	cp, err := packets.ReadPacket(ac)
	if err == nil {
		d, ok := cp.Content.(*packets.Disconnect)
		if !ok || d.ReasonCode != 0x95 {
			t.Errorf("attacker got %v, want DISCONNECT 0x95 or a closed connection", cp)
		}
	}
	grew := int64(heapwatch.Read().Objects) - int64(before)
	t.Logf("attacker wrote %d of %d bytes before the broker cut it off; broker process live heap +%d bytes", written, huge, grew)
	if grew > 8<<20 {
		t.Errorf("live heap grew by %d bytes while a %d-byte PUBLISH was refused", grew, huge)
	}
	if written >= huge {
		t.Error("the broker read the whole oversized PUBLISH")
	}

	// A message within the limit still goes through.
	pc, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	pub := paho.NewClient(paho.ClientConfig{Conn: pc})
	if _, err := pub.Connect(ctx, &paho.Connect{ClientID: "pub", CleanStart: true, KeepAlive: 30}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Disconnect(&paho.Disconnect{}); <-pub.Done() }()
	if _, err := pub.Publish(ctx, &paho.Publish{Topic: "t", QoS: 1, Payload: make([]byte, limit/2)}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if len(p.Payload) != limit/2 {
			t.Errorf("relayed %d bytes, want %d", len(p.Payload), limit/2)
		}
	case <-ctx.Done():
		t.Fatal("a message within the limit was not relayed")
	}
}
