package mqtt

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/eclipse/paho.golang/packets"
	mqtt3packets "github.com/eclipse/paho.mqtt.golang/packets"
)

// streamConn is a net.Conn whose reads come from r; writes and the rest
// are unused by limitConn's tests.
type streamConn struct {
	net.Conn
	r io.Reader
}

func (c *streamConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func newLimit(stream []byte, maxSize int, v5 bool, report func(error)) *limitConn {
	return &limitConn{Conn: &streamConn{r: bytes.NewReader(stream)}, max: maxSize, v5: v5, mark: newMark(), report: report}
}

// wire renders a paho.golang (MQTT 5.0) packet.
func wire(t *testing.T, p interface {
	WriteTo(io.Writer) (int64, error)
}) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLimitConnPassesSmallPackets(t *testing.T) {
	var stream []byte
	stream = append(stream, wire(t, &packets.Connack{Properties: &packets.Properties{}})...)
	stream = append(stream, wire(t, &packets.Publish{Topic: "a/b", QoS: 1, PacketID: 7, Payload: bytes.Repeat([]byte("x"), 1000), Properties: &packets.Properties{ContentType: "text/plain"}})...)
	stream = append(stream, wire(t, &packets.Pingresp{})...)
	exact := wire(t, &packets.Publish{Topic: "t", Payload: bytes.Repeat([]byte("y"), 2000), Properties: &packets.Properties{}})
	stream = append(stream, exact...)
	for _, bufSize := range []int{1, 3, 64, 1 << 16} {
		c := newLimit(stream, len(exact), true, nil)
		var got []byte
		buf := make([]byte, bufSize)
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("read with %d-byte buffer: %v", bufSize, err)
			}
		}
		if !bytes.Equal(got, stream) {
			t.Errorf("read with %d-byte buffer: %d bytes came out of %d, altered", bufSize, len(got), len(stream))
		}
	}
}

func TestLimitConnStubsLargePublish(t *testing.T) {
	const limit = 1024
	payload := bytes.Repeat([]byte("z"), 5000)
	tests := []struct {
		name string
		p    *packets.Publish
	}{
		{"QoS 0", &packets.Publish{Topic: "big/0", Payload: payload, Properties: &packets.Properties{}}},
		{"QoS 1 with properties", &packets.Publish{Topic: "big/1", QoS: 1, PacketID: 9, Payload: payload, Properties: &packets.Properties{
			ContentType: "application/json", User: []packets.User{{Key: "id", Value: strings.Repeat("i", 3000)}}}}},
		{"QoS 2 dup retain", &packets.Publish{Topic: "big/2", QoS: 2, PacketID: 65535, Duplicate: true, Retain: true, Payload: payload, Properties: &packets.Properties{}}},
		{"properties alone too large", &packets.Publish{Topic: "big/3", QoS: 1, PacketID: 1, Properties: &packets.Properties{
			User: []packets.User{{Key: "k", Value: strings.Repeat("v", 2000)}}}}},
		{"empty topic", &packets.Publish{QoS: 1, PacketID: 3, Payload: payload, Properties: &packets.Properties{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			big := wire(t, tt.p)
			after := wire(t, &packets.Pingresp{})
			c := newLimit(append(append([]byte(nil), big...), after...), limit, true, nil)
			cp, err := packets.ReadPacket(c)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := cp.Content.(*packets.Publish)
			if !ok {
				t.Fatalf("got %s, want a PUBLISH stub", cp)
			}
			if got.Topic != tt.p.Topic || got.QoS != tt.p.QoS || got.PacketID != tt.p.PacketID || got.Duplicate != tt.p.Duplicate || got.Retain != tt.p.Retain {
				t.Errorf("stub %s does not keep topic, QoS, packet id and flags of %s", got, tt.p)
			}
			if got.Properties != nil && (got.Properties.ContentType != "" || len(got.Properties.User) != 0) {
				t.Errorf("stub keeps properties: %s", got.Properties)
			}
			pkt, data, ok := parseStub(c.mark, got.Payload)
			if !ok || pkt != len(big) || data != len(tt.p.Payload) {
				t.Errorf("parseStub = %d, %d, %v; want %d, %d, true", pkt, data, ok, len(big), len(tt.p.Payload))
			}
			if _, _, ok := parseStub(newMark(), got.Payload); ok {
				t.Error("a stub matched another dialer's mark")
			}
			if cp, err := packets.ReadPacket(c); err != nil || cp.Type != packets.PINGRESP {
				t.Errorf("packet after the stub: %v, %v; want PINGRESP", cp, err)
			}
		})
	}
}

func TestLimitConnStubsLargePublishV311(t *testing.T) {
	p, ok := mqtt3packets.NewControlPacket(mqtt3packets.Publish).(*mqtt3packets.PublishPacket)
	if !ok {
		t.Fatal("paho.mqtt.golang made no PublishPacket")
	}
	p.TopicName, p.Qos, p.MessageID, p.Payload = "old/big", 1, 42, bytes.Repeat([]byte("{"), 4096)
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	c := newLimit(b.Bytes(), 1024, false, nil)
	cp, err := mqtt3packets.ReadPacket(c)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := cp.(*mqtt3packets.PublishPacket)
	if !ok || got.TopicName != "old/big" || got.Qos != 1 || got.MessageID != 42 {
		t.Fatalf("got %v, want a stub of the PUBLISH", cp)
	}
	if pkt, data, ok := parseStub(c.mark, got.Payload); !ok || pkt != b.Len() || data != 4096 {
		t.Errorf("parseStub = %d, %d, %v; want %d, 4096, true", pkt, data, ok, b.Len())
	}
}

func TestLimitConnRefuses(t *testing.T) {
	bigSuback := wire(t, &packets.Suback{PacketID: 1, Reasons: bytes.Repeat([]byte{1}, 2000), Properties: &packets.Properties{}})
	tests := []struct {
		name    string
		stream  []byte
		want    error
		reports bool
	}{
		{"large packet of another kind", bigSuback, ErrMessageTooLarge, true},
		{"Remaining Length of five bytes", []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01}, errFraming, false},
		{"topic longer than the packet", []byte{0x30, 0x80, 0x10, 0xff, 0xff, 'a'}, errFraming, false},
		{"QoS 3", append([]byte{0x36, 0x80, 0x10}, make([]byte, 2048)...), errFraming, false},
		{"properties longer than the packet", append([]byte{0x32, 0x80, 0x10, 0, 1, 't', 0, 1, 0xff, 0xff, 0x7f}, make([]byte, 2041)...), errFraming, false},
		{"stream ends inside the payload", append([]byte{0x30, 0x80, 0x10, 0, 1, 't', 0}, make([]byte, 100)...), errFraming, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reported []error
			c := newLimit(tt.stream, 1024, true, func(err error) { reported = append(reported, err) })
			_, err := io.ReadAll(c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("read: %v, want %v", err, tt.want)
			}
			if tt.reports != (len(reported) == 1) {
				t.Errorf("reported %v", reported)
			}
			if errors.Is(tt.want, ErrMessageTooLarge) && !strings.Contains(err.Error(), "over the limit of 1024 bytes (WithMaxMessageBytes)") {
				t.Errorf("error %q does not state the limit", err)
			}
			if _, again := c.Read(make([]byte, 8)); !errors.Is(again, tt.want) {
				t.Errorf("read after the failure: %v, want the same error", again)
			}
		})
	}
}

func TestMaxMessageBytesOption(t *testing.T) {
	tests := []struct {
		n     int
		valid bool
	}{{1023, false}, {1024, true}, {DefaultMaxMessageBytes, true}, {maxPacket, true}, {maxPacket + 1, false}, {0, false}, {-1, false}}
	for _, tt := range tests {
		c := defaultConfig()
		WithMaxMessageBytes(tt.n).apply(&c)
		err := c.validate(false)
		if (err == nil) != tt.valid {
			t.Errorf("WithMaxMessageBytes(%d): %v, want valid %v", tt.n, err, tt.valid)
		}
		if err != nil && (!errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "WithMaxMessageBytes")) {
			t.Errorf("WithMaxMessageBytes(%d): %q does not name the option", tt.n, err)
		}
	}
	if c := defaultConfig(); c.maxMessage != DefaultMaxMessageBytes {
		t.Errorf("default %d, want %d", c.maxMessage, DefaultMaxMessageBytes)
	}
}
