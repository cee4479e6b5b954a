package mqtt

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// limitConn sits under the paho clients and enforces [WithMaxMessageBytes]
// on everything the broker sends, before paho sees a byte of it: both
// paho clients read a packet's Remaining Length and then allocate that
// much at once (up to 256 MiB, whatever the client's Maximum Packet
// Size), so the check has to happen below them.
//
// It reads each packet's fixed header itself. A packet within the limit
// passes through untouched. A PUBLISH over the limit is read and thrown
// away in small pieces, and paho is handed a stub in its place: the same
// flags, topic and packet identifier, no properties, and a payload made of
// the dialer's secret mark and the discarded sizes. The stub keeps paho's
// acknowledgement flow intact (a QoS 1 or 2 message must still be
// acknowledged, in order), and the subscriber recognises it by the mark,
// which never leaves the process, so no publisher can forge one. A packet
// of any other kind over the limit is a protocol violation by the broker:
// Read fails, and paho drops the connection.
//
// Read is called by one goroutine at a time (paho's reader); Write and
// Close go straight to the connection.
type limitConn struct {
	net.Conn
	max    int
	v5     bool
	mark   *[markLen]byte
	report func(error) // a connection dropped for a packet too large; may be nil

	pending []byte // bytes for paho before the network is read again
	remain  int    // bytes of the current packet still to pass through
	hdr     [5]byte
	stub    []byte // reused to build stubs
	err     error  // sticky framing error
}

// markLen is the length of the secret that marks a stub payload.
const markLen = 16

// stubLen is the length of a stub payload: the mark, then the packet size
// and the discarded payload size as big-endian uint32s.
const stubLen = markLen + 8

func newMark() *[markLen]byte {
	var m [markLen]byte
	_, _ = rand.Read(m[:]) // crypto/rand.Read never fails
	return &m
}

// parseStub reports whether payload is a stub marked with mark and, if so,
// the size of the packet it replaced and of that packet's payload.
func parseStub(mark *[markLen]byte, payload []byte) (packet, data int, ok bool) {
	if mark == nil || len(payload) != stubLen || [markLen]byte(payload[:markLen]) != *mark {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint32(payload[markLen:])), int(binary.BigEndian.Uint32(payload[markLen+4:])), true
}

// errFraming is wrapped by errors for bytes that are not MQTT framing.
var errFraming = errors.New("cemqtt: malformed packet from the broker")

func (c *limitConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.pending) == 0 && c.remain == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	n, err := c.Conn.Read(p[:min(len(p), c.remain)])
	c.remain -= n
	return n, err
}

// next reads the fixed header of the next packet and sets up what Read
// hands to paho for it.
func (c *limitConn) next() error {
	h := c.hdr[:1]
	if _, err := io.ReadFull(c.Conn, h); err != nil {
		return err
	}
	// Remaining Length: a variable byte integer of at most four bytes.
	rl, shift := 0, 0
	for {
		if len(h) == len(c.hdr) {
			return c.fail(fmt.Errorf("%w: Remaining Length longer than four bytes", errFraming))
		}
		h = h[:len(h)+1]
		if _, err := io.ReadFull(c.Conn, h[len(h)-1:]); err != nil {
			// Part of a header is gone: the stream cannot be resumed.
			return c.fail(unexpectedEOF(err))
		}
		b := h[len(h)-1]
		rl |= int(b&0x7f) << shift
		if b&0x80 == 0 {
			break
		}
		shift += 7
	}
	size := len(h) + rl
	if size <= c.max {
		c.pending, c.remain = h, rl
		return nil
	}
	const publish = 3
	if typ := h[0] >> 4; typ != publish {
		err := fmt.Errorf("%w: the broker sent a packet of type %d and %d bytes, over the limit of %d bytes (WithMaxMessageBytes); dropping the connection", ErrMessageTooLarge, typ, size, c.max)
		if c.report != nil {
			c.report(err)
		}
		return c.fail(err)
	}
	return c.skipPublish(h[0], rl, size)
}

// skipPublish reads and discards a PUBLISH of rl bytes after its fixed
// header (size bytes in all) and queues a stub in its place. Only the
// topic (at most 64 KiB) is held in memory.
func (c *limitConn) skipPublish(first byte, rl, size int) error {
	r := &io.LimitedReader{R: c.Conn, N: int64(rl)}
	qos := first >> 1 & 3
	if qos == 3 {
		return c.fail(fmt.Errorf("%w: PUBLISH with QoS 3", errFraming))
	}
	// The stub's body is built from byte 5 on; its fixed header goes in
	// front once the body's length is known.
	const at = 5
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return c.short(err)
	}
	tl := int(binary.BigEndian.Uint16(n[:]))
	body := 2 + tl + stubLen
	if qos > 0 {
		body += 2
	}
	if c.v5 {
		body++ // property length 0
	}
	if cap(c.stub) < at+body {
		c.stub = make([]byte, at+body)
	}
	b := c.stub[:at+body]
	i := at
	i += copy(b[i:], n[:])
	if _, err := io.ReadFull(r, b[i:i+tl]); err != nil {
		return c.short(err)
	}
	i += tl
	if qos > 0 {
		if _, err := io.ReadFull(r, b[i:i+2]); err != nil {
			return c.short(err)
		}
		i += 2
	}
	if c.v5 {
		// Properties: skipped whole, user properties included, however
		// many there are.
		pl, err := readVarint(r)
		if err != nil {
			return c.short(err)
		}
		if m, err := io.CopyN(io.Discard, r, int64(pl)); m != int64(pl) {
			return c.short(err)
		}
		b[i] = 0
		i++
	}
	data := r.N
	if m, err := io.Copy(io.Discard, r); m != data {
		return c.short(err)
	}
	i += copy(b[i:], c.mark[:])
	binary.BigEndian.PutUint32(b[i:], uint32(size))
	binary.BigEndian.PutUint32(b[i+4:], uint32(data))
	// Fixed header: the PUBLISH's own flags, the stub's length.
	var vbi [4]byte
	k := 0
	for v := body; ; {
		vbi[k] = byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			k++
			break
		}
		vbi[k] |= 0x80
		k++
	}
	start := at - 1 - k
	b[start] = first
	copy(b[start+1:at], vbi[:k])
	c.pending = b[start:]
	return nil
}

// readVarint reads an MQTT variable byte integer.
func readVarint(r io.Reader) (int, error) {
	var b [1]byte
	v := 0
	for i := 0; i < 4; i++ {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, err
		}
		v |= int(b[0]&0x7f) << (7 * i)
		if b[0]&0x80 == 0 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: variable byte integer longer than four bytes", errFraming)
}

// short turns a failure to read a PUBLISH being skipped into a sticky
// error, a framing error if the packet ended before its own fields did.
func (c *limitConn) short(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return c.fail(fmt.Errorf("%w: PUBLISH shorter than its fields (%w)", errFraming, io.ErrUnexpectedEOF))
	}
	return c.fail(err) // part of the packet is gone either way
}

func (c *limitConn) fail(err error) error {
	c.err = err
	return err
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
