package mqtt_test

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/transports/mqtt/broker"
)

// mosquittoEnv names the Mosquitto broker (host:port) that `make interop`
// starts; the tests that need it run only when it is set.
const mosquittoEnv = "OPENEVENTS_MOSQUITTO_ADDR"

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	if mode := os.Getenv(hostileChildEnv); mode != "" {
		os.Exit(hostileChild(mode))
	}
	goleak.VerifyTestMain(m)
}

// target is a broker the tests run against.
type target struct {
	name string
	url  string
}

// embedded starts an embedded broker on a free loopback port for t.
func embedded(t testing.TB, opts ...broker.Option) *broker.Broker {
	t.Helper()
	b, err := broker.New("127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// mosquitto returns the Mosquitto broker of `make interop`, skipping t
// when none was configured and failing it when the configured one cannot
// be reached.
func mosquitto(t testing.TB) target {
	t.Helper()
	addr := os.Getenv(mosquittoEnv)
	if addr == "" {
		t.Skipf("Mosquitto interop: %s is not set; run `make interop` to run this test against a real Mosquitto broker", mosquittoEnv)
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("Mosquitto interop: %s=%s is set but the broker is unreachable: %v", mosquittoEnv, addr, err)
	}
	_ = c.Close()
	return target{name: "mosquitto", url: "tcp://" + addr}
}

// forEachBroker runs f against the embedded broker and, under `make
// interop`, against Mosquitto.
func forEachBroker(t *testing.T, f func(t *testing.T, tg target)) {
	t.Run("embedded", func(t *testing.T) {
		b := embedded(t)
		f(t, target{name: "embedded", url: b.URL()})
	})
	t.Run("mosquitto", func(t *testing.T) {
		f(t, mosquitto(t))
	})
}

func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawClient is a bare paho MQTT 5.0 client for looking at and making wire
// messages without our codec.
type rawClient struct {
	c    *paho.Client
	msgs chan *paho.Publish
}

func dialRaw(t testing.TB, url, clientID string) *rawClient {
	t.Helper()
	host := url[len("tcp://"):]
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawClient{msgs: make(chan *paho.Publish, 1024)}
	rc.c = paho.NewClient(paho.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			select {
			case rc.msgs <- pr.Packet:
			default:
			}
			return true, nil
		}},
	})
	ctx := testContext(t)
	if _, err := rc.c.Connect(ctx, &paho.Connect{ClientID: clientID, CleanStart: true, KeepAlive: 30}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = rc.c.Disconnect(&paho.Disconnect{})
		<-rc.c.Done()
	})
	return rc
}

func (rc *rawClient) subscribe(t testing.TB, filter string) {
	t.Helper()
	if _, err := rc.c.Subscribe(testContext(t), &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
}

func (rc *rawClient) publish(t testing.TB, p *paho.Publish) {
	t.Helper()
	if _, err := rc.c.Publish(testContext(t), p); err != nil {
		t.Fatal(err)
	}
}

func (rc *rawClient) next(t testing.TB) *paho.Publish {
	t.Helper()
	select {
	case p := <-rc.msgs:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
		return nil
	}
}
