package broker_test

import (
	"net"
	"strings"
	"testing"

	"go.uber.org/goleak"

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
	if _, err := broker.New("256.0.0.1:0"); err == nil {
		t.Error("bad address accepted")
	}
}
