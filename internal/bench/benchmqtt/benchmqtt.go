// Package benchmqtt measures how fast our MQTT subscriber (decode,
// handler, acknowledgement after the handler) and the function runtime's
// MQTT trigger (the same subscriber with the host around a no-op
// function, as ce run runs it) receive a bounded stream of typical
// events, beside a bare paho subscriber that only counts messages, on the
// same broker at the same time. "ce bench mqtt" and
// "make bench-mqtt" use it.
//
// The subscribers run in this process: both are clients of a broker, the
// process under load is the broker, and running both at once exposes
// them to the same load from anything else on the machine.
package benchmqtt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/internal/bench"
	"github.com/openevents/openevents/runtime/config"
	"github.com/openevents/openevents/runtime/host"
	"github.com/openevents/openevents/runtime/trigger"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// Options configure Compare; the caller validates them (all positive).
type Options struct {
	Count      int    // events per measurement
	Publishers int    // concurrent publishing goroutines
	Rounds     int    // measurements per subscriber and case; the best is kept
	Mosquitto  string // also measure through the Mosquitto broker at HOST:PORT, if set
	// Progress, if set, is called with each row of the table as it is
	// measured (no newline); Heading is the line above them.
	Progress func(line string)
}

// Heading returns the heading of the table, ending in a newline.
func Heading(o Options) string {
	return fmt.Sprintf("MQTT subscriber throughput, %d events per run, %d publishers, %d rounds; best events/s, median ratios to bare paho (ce-run's target: >= %.2f at QoS 1)\n%-10s %-4s %-11s %12s %12s %7s %12s %7s\n",
		o.Count, o.Publishers, o.Rounds, RuntimeTarget, "broker", "qos", "mode", "bare paho", "openevents", "ratio", "ce-run", "ratio")
}

// RuntimeTarget is the least share of the bare subscriber's rate the
// runtime's trigger must keep at QoS 1.
const RuntimeTarget = 0.9

// benchCase is one QoS and mode.
type benchCase struct {
	qos  byte
	mode binding.Mode
}

// Compare measures each case o.Rounds times on the embedded broker (on
// 127.0.0.1 and a free port) and, with o.Mosquitto, on Mosquitto.
func Compare(ctx context.Context, o Options) (*Report, error) {
	b, err := broker.New("127.0.0.1:0", broker.WithMaxPendingWrites(4*o.Count))
	if err != nil {
		return nil, err
	}
	defer func() { _ = b.Close() }()
	brokers := []struct{ name, url string }{{"embedded", b.URL()}}
	if o.Mosquitto != "" {
		brokers = append(brokers, struct{ name, url string }{"mosquitto", "tcp://" + o.Mosquitto})
	}
	m := bench.ThisMachine()
	report := &Report{Count: o.Count, Publishers: o.Publishers, Rounds: o.Rounds, Cores: m.Cores, GoVersion: m.GoVersion}
	cases := []benchCase{
		{1, binding.ModeBinary}, {1, binding.ModeStructured},
		{0, binding.ModeBinary}, {0, binding.ModeStructured},
	}
	for _, br := range brokers {
		for _, c := range cases {
			var bare, ours, rt bench.Run
			var ratios, rtRatios bench.Ratios
			for range o.Rounds {
				runs, err := measure(ctx, br.url, c, o)
				if err != nil {
					return nil, fmt.Errorf("%s, QoS %d %s: %w", br.name, c.qos, c.mode, err)
				}
				bare, ours, rt = bare.Best(runs[0]), ours.Best(runs[1]), rt.Best(runs[2])
				ratios = append(ratios, runs[1].Rate()/runs[0].Rate())
				rtRatios = append(rtRatios, runs[2].Rate()/runs[0].Rate())
			}
			row := Row{
				Broker: br.name, QoS: c.qos, Mode: c.mode.String(),
				BarePerSecond: bare.Rate(), OursPerSecond: ours.Rate(), Ratio: ratios.Median(),
				RuntimePerSecond: rt.Rate(), RuntimeRatio: rtRatios.Median(),
				BareReceived: int(bare.Events), OursReceived: int(ours.Events), RuntimeReceived: int(rt.Events),
			}
			if o.Progress != nil {
				o.Progress(fmt.Sprintf("%-10s %-4d %-11s %12.0f %12.0f %6.2fx %12.0f %6.2fx%s", row.Broker, row.QoS, row.Mode,
					row.BarePerSecond, row.OursPerSecond, row.Ratio, row.RuntimePerSecond, row.RuntimeRatio, lossNote(bare, ours, rt, o.Count)))
			}
			report.Results = append(report.Results, row)
		}
	}
	return report, nil
}

// Report is the result of Compare, in the JSON form of ce bench mqtt.
type Report struct {
	Count      int    `json:"count"`
	Publishers int    `json:"publishers"`
	Rounds     int    `json:"rounds"`
	Cores      int    `json:"cores"`
	GoVersion  string `json:"go_version"`
	Results    []Row  `json:"results"`
}

// Row is one broker, QoS and mode: the best rate of each subscriber and
// the median of the per-round ratios.
type Row struct {
	Broker        string  `json:"broker"`
	QoS           byte    `json:"qos"`
	Mode          string  `json:"mode"`
	BarePerSecond float64 `json:"bare_paho_events_per_second"`
	OursPerSecond float64 `json:"openevents_events_per_second"`
	Ratio         float64 `json:"ratio"`
	// RuntimePerSecond and RuntimeRatio are the runtime's MQTT trigger
	// (host and no-op function) and its median ratio to bare paho.
	RuntimePerSecond float64 `json:"ce_run_events_per_second"`
	RuntimeRatio     float64 `json:"ce_run_ratio"`
	BareReceived     int     `json:"bare_received"`
	OursReceived     int     `json:"openevents_received"`
	RuntimeReceived  int     `json:"ce_run_received"`
}

func lossNote(bare, ours, rt bench.Run, want int) string {
	if bare.Events == int64(want) && ours.Events == int64(want) && rt.Events == int64(want) {
		return ""
	}
	return fmt.Sprintf("  (received %d bare, %d ours, %d ce-run of %d: QoS 0 may drop)", bare.Events, ours.Events, rt.Events, want)
}

// counter counts one subscriber's messages.
type counter struct {
	want  int64
	got   atomic.Int64
	last  atomic.Int64 // unix nanos of the last message
	start time.Time
	all   chan struct{}
}

func newCounter(want int) *counter {
	return &counter{want: int64(want), all: make(chan struct{})}
}

func (c *counter) count() {
	c.last.Store(time.Now().UnixNano())
	if c.got.Add(1) == c.want {
		close(c.all)
	}
}

func (c *counter) result() bench.Run {
	return bench.Run{Events: c.got.Load(), Elapsed: time.Duration(c.last.Load() - c.start.UnixNano())}
}

// measure measures, side by side on the same broker, how fast our
// subscriber and a bare paho subscriber each receive the same o.Count
// events; running both at once exposes them to the same load from
// anything else on the machine. At QoS 1 the events first wait in each
// subscriber's persistent session, so the measurement is each one
// draining its backlog, from its reconnection to its last message,
// independent of the publisher's speed. QoS 0 messages are not kept for
// absent subscribers, so at QoS 0 the events are published live and the
// measurement runs from the first PUBLISH to the last message (or five
// idle seconds: what QoS 0 lost stays lost).
func measure(ctx context.Context, brokerURL string, c benchCase, o Options) (runs [3]bench.Run, err error) {
	id := time.Now().UnixNano()
	topic := fmt.Sprintf("openevents/bench/%d", id)
	bareID, oursID, rtID := fmt.Sprintf("bench-bare-%d", id), fmt.Sprintf("bench-ours-%d", id), fmt.Sprintf("bench-cerun-%d", id)
	counters := [3]*counter{newCounter(o.Count), newCounter(o.Count), newCounter(o.Count)} // bare, ours, ce-run
	subscribe := func(which int, clean bool, expiry time.Duration, count func()) (func(), error) {
		switch which {
		case 0:
			return bareSubscriber(ctx, brokerURL, topic, bareID, c.qos, clean, expiry, count)
		case 2:
			return runtimeSubscriber(ctx, brokerURL, topic, rtID, c.qos, clean, expiry, count)
		}
		h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
			if e.ID() == "" {
				return binding.ErrRejected
			}
			count()
			return nil
		})
		sub, err := cemqtt.NewSubscriber(brokerURL, topic, h, cemqtt.WithQoS(c.qos), cemqtt.WithClientID(oursID),
			cemqtt.WithCleanStart(clean), cemqtt.WithSessionExpiry(expiry))
		if err != nil {
			return nil, err
		}
		if err := sub.Start(ctx); err != nil {
			return nil, err
		}
		return func() { _ = sub.Shutdown(context.WithoutCancel(ctx)) }, nil
	}
	// startBoth starts both subscribers at once and stamps their start.
	startBoth := func(clean bool, expiry time.Duration, counting bool) (func(), error) {
		var stops [3]func()
		var errs [3]error
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				count := func() {}
				if counting {
					count = counters[i].count
					counters[i].start = time.Now()
				}
				stops[i], errs[i] = subscribe(i, clean, expiry, count)
			})
		}
		wg.Wait()
		stop := func() {
			for _, f := range stops {
				if f != nil {
					f()
				}
			}
		}
		if err := errors.Join(errs[:]...); err != nil {
			stop()
			return nil, err
		}
		return stop, nil
	}

	backlog := c.qos > 0
	if backlog {
		// Create both sessions with their subscription, then leave.
		stop, err := startBoth(true, 5*time.Minute, false)
		if err != nil {
			return runs, err
		}
		stop()
		defer func() {
			if stop, err := startBoth(true, 0, false); err == nil { // end the sessions
				stop()
			}
		}()
	} else {
		stop, err := startBoth(true, 0, true)
		if err != nil {
			return runs, err
		}
		defer stop()
		now := time.Now()
		for _, ct := range counters {
			ct.start = now
		}
	}

	if err := publish(ctx, brokerURL, topic, c, o); err != nil {
		return runs, err
	}
	if backlog {
		stop, err := startBoth(false, 5*time.Minute, true)
		if err != nil {
			return runs, err
		}
		defer stop()
	}
	for _, ct := range counters {
		for done := false; !done; {
			n := ct.got.Load()
			select {
			case <-ct.all:
				done = true
			case <-ctx.Done():
				return runs, ctx.Err()
			case <-time.After(5 * time.Second):
				if ct.got.Load() == n { // idle for 5s (generous: the machine may be busy)
					if backlog {
						return runs, fmt.Errorf("QoS %d: received %d of %d", c.qos, n, o.Count)
					}
					done = true
				}
			}
		}
	}
	for i, ct := range counters {
		runs[i] = ct.result()
	}
	return runs, nil
}

// runtimeSubscriber is what ce run's MQTT trigger does with its defaults
// (runtime/app): the host around a function, under the default per-event
// timeout enforced cooperatively, behind the trigger's subscriber. The
// function counts.
func runtimeSubscriber(ctx context.Context, brokerURL, topic, clientID string, qos byte, clean bool, expiry time.Duration, count func()) (func(), error) {
	hst, err := host.New(bench.RuntimeNoop(func(context.Context, *event.Event) error {
		count()
		return nil
	}), host.WithTimeout(config.DefaultTimeout), host.WithCooperativeTimeout(true))
	if err != nil {
		return nil, err
	}
	tr, err := trigger.NewMQTT(brokerURL, topic, hst.Trigger("mqtt"),
		[]cemqtt.SubscriberOption{cemqtt.WithQoS(qos), cemqtt.WithClientID(clientID), cemqtt.WithCleanStart(clean), cemqtt.WithSessionExpiry(expiry)},
		[]cemqtt.PublisherOption{cemqtt.WithClientID(clientID + "-reply")})
	if err != nil {
		hst.Close()
		return nil, err
	}
	if err := tr.Start(ctx); err != nil {
		hst.Close()
		return nil, err
	}
	return func() {
		_ = tr.Shutdown(context.WithoutCancel(ctx))
		hst.Close()
	}, nil
}

// publish publishes o.Count events to topic from o.Publishers
// goroutines sharing one connection.
func publish(ctx context.Context, brokerURL, topic string, c benchCase, o Options) error {
	pub, err := cemqtt.NewPublisher(ctx, brokerURL, cemqtt.WithQoS(c.qos), cemqtt.WithMode(c.mode))
	if err != nil {
		return err
	}
	defer func() { _ = pub.Close(context.WithoutCancel(ctx)) }()
	var wg sync.WaitGroup
	errs := make(chan error, o.Publishers)
	for w := range o.Publishers {
		wg.Go(func() {
			e := newEvent()
			for i := w; i < o.Count; i += o.Publishers {
				e.SetID(strconv.Itoa(i))
				if err := pub.Publish(ctx, topic, e); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	// mochi-mqtt acknowledges a PUBLISH before it routes it; one more
	// round trip on the same connection makes sure the last event is in
	// the sessions before the subscribers take them over.
	barrier := newEvent()
	barrier.SetID("barrier")
	return pub.Publish(ctx, topic+"/barrier", barrier)
}

// newEvent is a typical sensor reading.
func newEvent() *event.Event {
	e := new(event.Event)
	e.SetSpecVersion(event.SpecVersion)
	e.SetSource("/sensors/building-7/floor-3/room-12")
	e.SetType("com.example.sensor.reading.v1")
	e.SetSubject("temperature")
	e.SetTime("2026-11-26T00:00:00.000Z")
	e.SetDataContentType("application/json")
	e.SetExtension("traceparent", event.String("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
	e.SetData([]byte(`{"celsius":21.5,"humidity":0.41,"battery":0.87,"sensor":"th-17"}`))
	return e
}

// bareSubscriber is the baseline: a paho MQTT 5.0 client that counts
// messages and acknowledges them as paho does by default, after the
// callback. It asks for user properties (Request Problem Information) as
// our subscriber does, so both receive the same bytes.
func bareSubscriber(ctx context.Context, brokerURL, topic, clientID string, qos byte, clean bool, expiry time.Duration, count func()) (func(), error) {
	u, err := url.Parse(brokerURL)
	if err != nil {
		return nil, err
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	c := paho.NewClient(paho.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(paho.PublishReceived) (bool, error) {
			count()
			return true, nil
		}},
	})
	stop := func() {
		_ = c.Disconnect(&paho.Disconnect{})
		<-c.Done()
	}
	se := uint32(expiry / time.Second)
	cp := &paho.Connect{ClientID: clientID, CleanStart: clean, KeepAlive: 30,
		Properties: &paho.ConnectProperties{SessionExpiryInterval: &se, RequestProblemInfo: true}}
	if _, err := c.Connect(ctx, cp); err != nil {
		_ = conn.Close()
		return nil, err
	}
	if !clean {
		return stop, nil // the session has the subscription
	}
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: qos}}}); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}
