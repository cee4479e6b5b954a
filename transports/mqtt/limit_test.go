package mqtt

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
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
		WithMaxMessageBytes(tt.n).applySubscriber(&c)
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

// FuzzLimitConn feeds limitConn arbitrary bytes as if from a broker and
// checks that it never panics and that what comes out is what went in,
// except that each PUBLISH over the limit is replaced by a stub that
// parses as one and is no larger than its topic requires.
func FuzzLimitConn(f *testing.F) {
	var seed bytes.Buffer
	for _, p := range []interface {
		WriteTo(io.Writer) (int64, error)
	}{
		&packets.Connack{Properties: &packets.Properties{}},
		&packets.Suback{PacketID: 1, Reasons: []byte{1}, Properties: &packets.Properties{}},
		&packets.Publish{Topic: "a", QoS: 1, PacketID: 2, Payload: bytes.Repeat([]byte("p"), 300), Properties: &packets.Properties{ContentType: "text/plain"}},
		&packets.Publish{Topic: "b", Payload: []byte("small"), Properties: &packets.Properties{}},
		&packets.Pingresp{},
	} {
		if _, err := p.WriteTo(&seed); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(seed.Bytes(), uint16(64), true)
	f.Add(seed.Bytes(), uint16(1024), true)
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0x7f, 0, 1, 't'}, uint16(16), false)
	f.Add([]byte{0x34, 0x80, 0x01, 0, 0, 0, 9}, uint16(8), true)
	f.Fuzz(func(t *testing.T, in []byte, limit uint16, v5 bool) {
		maxSize := int(limit) + 2 // the smallest packet has two bytes
		c := newLimit(in, maxSize, v5, nil)
		out, _ := io.ReadAll(io.LimitReader(c, int64(len(in))+1<<20))
		// Walk the input and the output packet by packet.
		for len(out) > 0 {
			inSize, inOK := frameSize(in)
			outSize, outOK := frameSize(out)
			if !outOK || outSize > len(out) {
				// Only the input's last, cut-off packet may come out cut off.
				if !inOK || outSize != inSize || !bytes.Equal(out, in[:len(out)]) {
					t.Fatalf("a broken packet came out: % x", out[:min(len(out), 32)])
				}
				return
			}
			if !inOK || inSize > len(in) {
				t.Fatalf("a whole packet came out of a cut-off input: % x", out[:min(len(out), 32)])
			}
			if inSize <= maxSize {
				if !bytes.Equal(out[:outSize], in[:inSize]) {
					t.Fatalf("a packet within the limit (%d bytes, limit %d) was altered", inSize, maxSize)
				}
			} else {
				if in[0]>>4 != 3 {
					t.Fatalf("a packet of type %d over the limit came out", in[0]>>4)
				}
				if out[0] != in[0] || outSize > 5+2+65535+2+1+stubLen {
					t.Fatalf("stub of %d bytes with first byte %#x for a PUBLISH with %#x", outSize, out[0], in[0])
				}
				if _, _, ok := parseStub(c.mark, out[outSize-stubLen:outSize]); !ok {
					t.Fatal("the packet in place of a large PUBLISH is not a stub")
				}
			}
			in, out = in[inSize:], out[outSize:]
		}
	})
}

// frameSize returns the size of the packet at the start of b from its
// fixed header, and whether that header is complete and well-formed.
func frameSize(b []byte) (int, bool) {
	rl := 0
	for i := 1; i < len(b) && i <= 4; i++ {
		rl |= int(b[i]&0x7f) << (7 * (i - 1))
		if b[i]&0x80 == 0 {
			return i + 1 + rl, true
		}
	}
	return 0, false
}

// BenchmarkLimitConn reads typical small PUBLISH packets with paho's
// reader, straight from the bytes (bare) and through limitConn, and a
// 16 MiB PUBLISH discarded by limitConn (MB/s is discarding speed).
func BenchmarkLimitConn(b *testing.B) {
	var small bytes.Buffer
	for range 1000 {
		p := &packets.Publish{Topic: "sensors/building-7/floor-3", QoS: 1, PacketID: 7, Payload: bytes.Repeat([]byte("x"), 200),
			Properties: &packets.Properties{ContentType: "application/json", User: []packets.User{{Key: "specversion", Value: "1.0"}, {Key: "id", Value: "1"}}}}
		if _, err := p.WriteTo(&small); err != nil {
			b.Fatal(err)
		}
	}
	readAll := func(b *testing.B, r io.Reader) {
		for range 1000 {
			if _, err := packets.ReadPacket(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("small/bare", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(small.Len()))
		for b.Loop() {
			readAll(b, &streamConn{r: bytes.NewReader(small.Bytes())})
		}
	})
	b.Run("small/limitConn", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(small.Len()))
		for b.Loop() {
			readAll(b, newLimit(small.Bytes(), DefaultMaxMessageBytes, true, nil))
		}
	})
	var huge bytes.Buffer
	if _, err := (&packets.Publish{Topic: "t", QoS: 1, PacketID: 1, Payload: make([]byte, 16<<20), Properties: &packets.Properties{}}).WriteTo(&huge); err != nil {
		b.Fatal(err)
	}
	b.Run("huge/discarded", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(huge.Len()))
		for b.Loop() {
			c := newLimit(huge.Bytes(), DefaultMaxMessageBytes, true, nil)
			if _, err := packets.ReadPacket(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestPublishSize(t *testing.T) {
	tests := []*paho.Publish{
		{Topic: "t"},
		{Topic: "a/b", QoS: 1, Payload: make([]byte, 127)},
		{Topic: "a/b", QoS: 2, Payload: make([]byte, 200_000), Properties: &paho.PublishProperties{ContentType: "application/json"}},
		{Topic: strings.Repeat("t", 300), QoS: 1, Payload: []byte("x"), Properties: &paho.PublishProperties{
			User: []paho.UserProperty{{Key: "specversion", Value: "1.0"}, {Key: "id", Value: strings.Repeat("i", 200)}}}},
	}
	for i, p := range tests {
		p.PacketID = 1
		var b bytes.Buffer
		if _, err := p.Packet().WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		if got := publishSize(p); got != b.Len() {
			t.Errorf("packet %d: publishSize %d, paho writes %d bytes", i, got, b.Len())
		}
	}
}
