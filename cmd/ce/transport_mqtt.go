package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// mqttVersion maps --mqtt-version to a protocol version.
func mqttVersion(v int) (cemqtt.Version, error) {
	switch v {
	case 5:
		return cemqtt.Version5, nil
	case 3, 4, 311:
		return cemqtt.Version311, nil
	}
	return 0, fmt.Errorf("--mqtt-version %d: want 5 or 3 (3.1.1)", v)
}

// mqttArgs checks the flags every MQTT command shares.
func mqttArgs(topic string, ver, qos int) (cemqtt.Version, error) {
	if topic == "" {
		return 0, errors.New("--mqtt needs --topic")
	}
	if qos < 0 || qos > 2 {
		return 0, fmt.Errorf("--qos %d: want 0, 1 or 2", qos)
	}
	return mqttVersion(ver)
}

// mqttError maps an error of the MQTT binding to ce's exit status.
func mqttError(err error) error {
	if errors.Is(err, cemqtt.ErrConfig) {
		return usageError(err)
	}
	return failure(err)
}

// explainMQTTTLS is explainTLS for a failed connection to broker.
func explainMQTTTLS(ctx context.Context, err error, broker string, tc *tls.Config) error {
	if tc == nil || errors.Is(err, cemqtt.ErrConfig) {
		return err
	}
	u, uerr := url.Parse(broker)
	if uerr != nil {
		return err
	}
	return explainTLS(ctx, err, hostPort(u, "8883"), tc)
}

func sendMQTT(ctx context.Context, stdout io.Writer, o *sendOptions, mode binding.Mode, e *event.Event, tc *tls.Config) error {
	ver, err := mqttArgs(o.topic, o.mqttVer, o.qos)
	if err != nil {
		return usageError(err)
	}
	switch {
	case mode == binding.ModeBatch:
		return usageError(errors.New("MQTT has no batch mode: use --mode binary or structured"))
	case ver == cemqtt.Version311 && mode == binding.ModeBinary:
		// MQTT-MODE-1: 3.1.1 carries structured events only; binary is
		// merely the default of --mode, so switch rather than refuse.
		mode = binding.ModeStructured
	}
	opts := []cemqtt.Option{cemqtt.WithVersion(ver), cemqtt.WithMode(mode), cemqtt.WithQoS(byte(o.qos))}
	if tc != nil {
		opts = append(opts, cemqtt.WithTLS(tc))
	}
	pub, err := cemqtt.NewPublisher(ctx, o.mqttURL, opts...)
	if err != nil {
		return mqttError(explainMQTTTLS(ctx, err, o.mqttURL, tc))
	}
	defer func() { _ = pub.Close(context.WithoutCancel(ctx)) }()
	if err := pub.Publish(ctx, o.topic, e); err != nil {
		return mqttError(fmt.Errorf("publish to %s on %s: %w", o.topic, o.mqttURL, err))
	}
	_, err = fmt.Fprintf(stdout, "sent event %s to topic %s on %s (MQTT %s, %s mode, QoS %d)\n", e.ID(), o.topic, o.mqttURL, ver, mode, o.qos)
	return err
}

func listenMQTT(ctx context.Context, o *listenOptions, p *printer) error {
	ver, err := mqttArgs(o.topic, o.mqttVer, o.qos)
	if err != nil {
		return usageError(err)
	}
	if o.reply {
		return usageError(errors.New("--reply works with --http only"))
	}
	tc, err := o.tls.mqttClient(o.mqttURL)
	if err != nil {
		return usageError(err)
	}
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		return p.Event(e)
	})
	onError := func(err error) {
		if me, ok := errors.AsType[*cemqtt.MessageError](err); ok {
			p.Refused("topic "+me.Topic, me.Err) // summarised without --validate
			return
		}
		if o.validate {
			p.Refused(o.mqttURL, err)
			return
		}
		p.ConnError(o.mqttURL + ": " + err.Error()) // a handler or subscription failure, rare
	}
	// A listener from the command line keeps no session behind it.
	opts := []cemqtt.Option{cemqtt.WithVersion(ver), cemqtt.WithQoS(byte(o.qos)),
		cemqtt.WithCleanStart(true), cemqtt.WithSessionExpiry(0),
		cemqtt.WithErrorHandler(onError)}
	if tc != nil {
		opts = append(opts, cemqtt.WithTLS(tc))
	}
	sub, err := cemqtt.NewSubscriber(ctx, o.mqttURL, o.topic, h, opts...)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while connecting
		}
		return mqttError(explainMQTTTLS(ctx, err, o.mqttURL, tc))
	}
	p.Listening(fmt.Sprintf("MQTT %s messages on topic %s", ver, o.topic), strings.TrimSpace(o.mqttURL))
	<-ctx.Done()
	return sub.Close(context.WithoutCancel(ctx))
}

const benchMQTTLong = `Bench mqtt publishes a bounded stream of typical events (QoS 1 and QoS 0,
binary and structured mode) through an MQTT broker and measures how fast
our subscriber (decode, handler, acknowledgement after the handler)
receives them, beside a bare paho subscriber that only counts messages,
on the same broker in the same run. Each pair runs --rounds times,
alternating, and the best rate of each is kept.

Brokers: the embedded broker (always, on 127.0.0.1 and a free port) and,
with --mosquitto HOST:PORT or --mosquitto-from-env
(OPENEVENTS_MOSQUITTO_ADDR, as make bench-mqtt sets it), a Mosquitto
broker. Loopback only.`

type benchMQTTOptions struct {
	count      int
	publishers int
	rounds     int
	mosquitto  string
	fromEnv    bool
	timeout    time.Duration
	jsonOut    string
}

func newBenchMQTTCommand(stdout, _ io.Writer) *cobra.Command {
	var o benchMQTTOptions
	cmd := &cobra.Command{
		Use:   "mqtt [flags]",
		Short: "MQTT subscriber throughput against a bare paho subscriber",
		Long:  benchMQTTLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.count <= 0 || o.count > 1_000_000 || o.publishers <= 0 || o.publishers > 256 || o.rounds <= 0 || o.rounds > 10 {
				return usageError(errors.New("--count must be 1..1000000, --publishers 1..256, --rounds 1..10"))
			}
			if o.fromEnv && o.mosquitto == "" {
				o.mosquitto = os.Getenv("OPENEVENTS_MOSQUITTO_ADDR")
				if o.mosquitto == "" {
					return usageError(errors.New("--mosquitto-from-env: OPENEVENTS_MOSQUITTO_ADDR is not set"))
				}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
			defer cancel()
			return runBenchMQTT(ctx, stdout, &o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.count, "count", 20000, "events per measurement")
	f.IntVar(&o.publishers, "publishers", 32, "concurrent publishing goroutines")
	f.IntVar(&o.rounds, "rounds", 3, "measurements per subscriber and case; the best is kept")
	f.StringVar(&o.mosquitto, "mosquitto", "", "also measure through the Mosquitto broker at HOST:PORT")
	f.BoolVar(&o.fromEnv, "mosquitto-from-env", false, "take the Mosquitto address from OPENEVENTS_MOSQUITTO_ADDR")
	f.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	f.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	return cmd
}

type mqttBenchCase struct {
	qos  byte
	mode binding.Mode
}

func runBenchMQTT(ctx context.Context, stdout io.Writer, o *benchMQTTOptions) error {
	b, err := broker.New("127.0.0.1:0", broker.WithMaxPendingWrites(4*o.count))
	if err != nil {
		return failure(err)
	}
	defer func() { _ = b.Close() }()
	brokers := []struct{ name, url string }{{"embedded", b.URL()}}
	if o.mosquitto != "" {
		brokers = append(brokers, struct{ name, url string }{"mosquitto", "tcp://" + o.mosquitto})
	}
	report := mqttBenchReport{Count: o.count, Publishers: o.publishers, Rounds: o.rounds, Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	cases := []mqttBenchCase{
		{1, binding.ModeBinary}, {1, binding.ModeStructured},
		{0, binding.ModeBinary}, {0, binding.ModeStructured},
	}
	if _, err := fmt.Fprintf(stdout, "MQTT subscriber throughput, %d events per run, %d publishers, %d rounds; best events/s, median ratio\n%-10s %-4s %-11s %12s %12s %7s\n",
		o.count, o.publishers, o.rounds, "broker", "qos", "mode", "bare paho", "openevents", "ratio"); err != nil {
		return failure(err)
	}
	for _, br := range brokers {
		for _, c := range cases {
			var bare, ours mqttBenchResult
			var ratios []float64
			for range o.rounds {
				rb, ro, err := benchMQTTRun(ctx, br.url, c, o)
				if err != nil {
					return failure(fmt.Errorf("%s, QoS %d %s: %w", br.name, c.qos, c.mode, err))
				}
				bare, ours = bare.best(rb), ours.best(ro)
				ratios = append(ratios, ro.rate()/rb.rate())
			}
			slices.Sort(ratios)
			ratio := ratios[len(ratios)/2]
			if _, err := fmt.Fprintf(stdout, "%-10s %-4d %-11s %12.0f %12.0f %6.2fx%s\n", br.name, c.qos, c.mode, bare.rate(), ours.rate(), ratio, mqttLossNote(bare, ours, o.count)); err != nil {
				return failure(err)
			}
			report.Results = append(report.Results, mqttBenchRow{
				Broker: br.name, QoS: c.qos, Mode: c.mode.String(),
				BarePerSecond: bare.rate(), OursPerSecond: ours.rate(), Ratio: ratio,
				BareReceived: bare.received, OursReceived: ours.received,
			})
		}
	}
	if o.jsonOut != "" {
		if err := writeBenchJSON(o.jsonOut, report); err != nil {
			return failure(err)
		}
	}
	return nil
}

// mqttBenchReport is the JSON form of a ce bench mqtt run.
type mqttBenchReport struct {
	Count      int            `json:"count"`
	Publishers int            `json:"publishers"`
	Rounds     int            `json:"rounds"`
	Cores      int            `json:"cores"`
	GoVersion  string         `json:"go_version"`
	Results    []mqttBenchRow `json:"results"`
}

type mqttBenchRow struct {
	Broker        string  `json:"broker"`
	QoS           byte    `json:"qos"`
	Mode          string  `json:"mode"`
	BarePerSecond float64 `json:"bare_paho_events_per_second"`
	OursPerSecond float64 `json:"openevents_events_per_second"`
	Ratio         float64 `json:"ratio"`
	BareReceived  int     `json:"bare_received"`
	OursReceived  int     `json:"openevents_received"`
}

type mqttBenchResult struct {
	received int
	elapsed  time.Duration
}

func (r mqttBenchResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.received) / r.elapsed.Seconds()
}

func (r mqttBenchResult) best(o mqttBenchResult) mqttBenchResult {
	if o.rate() > r.rate() {
		return o
	}
	return r
}

func mqttLossNote(bare, ours mqttBenchResult, want int) string {
	if bare.received == want && ours.received == want {
		return ""
	}
	return fmt.Sprintf("  (received %d bare, %d ours of %d: QoS 0 may drop)", bare.received, ours.received, want)
}

// mqttCounter counts one subscriber's messages.
type mqttCounter struct {
	want  int64
	got   atomic.Int64
	last  atomic.Int64 // unix nanos of the last message
	start time.Time
	all   chan struct{}
}

func newMQTTCounter(want int) *mqttCounter {
	return &mqttCounter{want: int64(want), all: make(chan struct{})}
}

func (c *mqttCounter) count() {
	c.last.Store(time.Now().UnixNano())
	if c.got.Add(1) == c.want {
		close(c.all)
	}
}

func (c *mqttCounter) result() mqttBenchResult {
	return mqttBenchResult{received: int(c.got.Load()), elapsed: time.Duration(c.last.Load() - c.start.UnixNano())}
}

// benchMQTTRun measures, side by side on the same broker, how fast our
// subscriber and a bare paho subscriber each receive the same o.count
// events; running both at once exposes them to the same load from
// anything else on the machine. At QoS 1 the events first wait in each
// subscriber's persistent session, so the measurement is each one
// draining its backlog, from its reconnection to its last message,
// independent of the publisher's speed. QoS 0 messages are not kept for
// absent subscribers, so at QoS 0 the events are published live and the
// measurement runs from the first PUBLISH to the last message (or five
// idle seconds: what QoS 0 lost stays lost).
func benchMQTTRun(ctx context.Context, brokerURL string, c mqttBenchCase, o *benchMQTTOptions) (bare, ours mqttBenchResult, err error) {
	id := time.Now().UnixNano()
	topic := fmt.Sprintf("openevents/bench/%d", id)
	bareID, oursID := fmt.Sprintf("bench-bare-%d", id), fmt.Sprintf("bench-ours-%d", id)
	counters := [2]*mqttCounter{newMQTTCounter(o.count), newMQTTCounter(o.count)} // bare, ours
	subscribe := func(which int, clean bool, expiry time.Duration, count func()) (func(), error) {
		if which == 0 {
			return bareMQTTSubscriber(ctx, brokerURL, topic, bareID, c.qos, clean, expiry, count)
		}
		h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
			if e.ID() == "" {
				return binding.ErrRejected
			}
			count()
			return nil
		})
		sub, err := cemqtt.NewSubscriber(ctx, brokerURL, topic, h, cemqtt.WithQoS(c.qos), cemqtt.WithClientID(oursID),
			cemqtt.WithCleanStart(clean), cemqtt.WithSessionExpiry(expiry))
		if err != nil {
			return nil, err
		}
		return func() { _ = sub.Close(context.WithoutCancel(ctx)) }, nil
	}
	// startBoth starts both subscribers at once and stamps their start.
	startBoth := func(clean bool, expiry time.Duration, counting bool) (func(), error) {
		var stops [2]func()
		var errs [2]error
		var wg sync.WaitGroup
		for i := range 2 {
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
			return bare, ours, err
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
			return bare, ours, err
		}
		defer stop()
		now := time.Now()
		counters[0].start, counters[1].start = now, now
	}

	if err := benchMQTTPublish(ctx, brokerURL, topic, c, o); err != nil {
		return bare, ours, err
	}
	if backlog {
		stop, err := startBoth(false, 5*time.Minute, true)
		if err != nil {
			return bare, ours, err
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
				return bare, ours, ctx.Err()
			case <-time.After(5 * time.Second):
				if ct.got.Load() == n { // idle for 5s (generous: the machine may be busy)
					if backlog {
						return bare, ours, fmt.Errorf("QoS %d: received %d of %d", c.qos, n, o.count)
					}
					done = true
				}
			}
		}
	}
	return counters[0].result(), counters[1].result(), nil
}

// benchMQTTPublish publishes o.count events to topic from o.publishers
// goroutines sharing one connection.
func benchMQTTPublish(ctx context.Context, brokerURL, topic string, c mqttBenchCase, o *benchMQTTOptions) error {
	pub, err := cemqtt.NewPublisher(ctx, brokerURL, cemqtt.WithQoS(c.qos), cemqtt.WithMode(c.mode))
	if err != nil {
		return err
	}
	defer func() { _ = pub.Close(context.WithoutCancel(ctx)) }()
	var wg sync.WaitGroup
	errs := make(chan error, o.publishers)
	for w := range o.publishers {
		wg.Go(func() {
			e := mqttBenchEvent()
			for i := w; i < o.count; i += o.publishers {
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
	barrier := mqttBenchEvent()
	barrier.SetID("barrier")
	return pub.Publish(ctx, topic+"/barrier", barrier)
}

// mqttBenchEvent is a typical sensor reading.
func mqttBenchEvent() *event.Event {
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

// bareMQTTSubscriber is the baseline: a paho MQTT 5.0 client that counts
// messages and acknowledges them as paho does by default, after the
// callback. It asks for user properties (Request Problem Information) as
// our subscriber does, so both receive the same bytes.
func bareMQTTSubscriber(ctx context.Context, brokerURL, topic, clientID string, qos byte, clean bool, expiry time.Duration, count func()) (func(), error) {
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
