package mqtt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
)

// A Subscriber receives events from one MQTT subscription and hands each
// to a [binding.Handler], acknowledging a message only after the handler
// returned nil (at-least-once).
//
// # Delivery
//
// Messages are decoded and handled one at a time, in arrival order, on
// the subscriber's delivery goroutine; the event passed to the handler is
// reused and valid only until Handle returns. The handler's context ends
// when Close is called.
//
// # Acknowledgement
//
//   - nil from the handler: PUBACK (QoS 1) or PUBREC (QoS 2) is sent.
//   - a message that is not a CloudEvent, a message over the limit of
//     [WithMaxMessageBytes] (never read whole), or an error wrapping
//     [binding.ErrRejected]: the message is acknowledged and dropped, so a
//     message that can never be accepted does not block the session, a
//     [*MessageError] goes to the [WithErrorHook] hook every time, and
//     [Subscriber.Stats] counts it.
//   - any other error (transient): the message is not acknowledged. MQTT
//     has no negative acknowledgement and requires acknowledgements in
//     order, so after a delay (the reconnect backoff, growing with each
//     consecutive failure) the subscriber drops its connection; on
//     reconnection the broker delivers the message again, with the ones
//     that followed it. A [*HandlerError] goes to the hook.
//
// # Sessions
//
// By default the session is persistent (Clean Start off, session expiry
// one hour with a fixed [WithClientID]): messages the subscriber had not
// acknowledged when it stopped or crashed, and QoS 1 and 2 messages
// published while it was away, are delivered when it starts again with
// the same client id.
//
// When the broker still holds an MQTT 5.0 session, the subscriber does
// not subscribe again: the session's subscription applies. To move a
// client id to another topic filter, start it once with [WithCleanStart].
//
// Close may be called from any goroutine.
//
// The topic filter may be a shared subscription, $share/GROUP/FILTER, to
// spread messages over several subscribers.
type Subscriber struct {
	cfg    config
	filter string
	broker string // host:port, for MessageError
	h      binding.Handler
	d      *dialer

	delivered, invalid, tooLarge, rejected, failed atomic.Uint64

	ctx    context.Context // handler context, ended by Close
	cancel context.CancelFunc

	url     *url.URL
	startMu sync.Mutex // Start and Shutdown
	started bool

	cm *autopaho.ConnectionManager
	c3 mqtt3.Client

	subs     sync.WaitGroup // subscribe calls started on connection up
	firstSub chan error     // result of the first SUBSCRIBE
	signaled atomic.Bool    // firstSub has been sent to

	// pipe runs handlers concurrently ([WithConcurrency] above 1); nil
	// handles messages one at a time on the delivery goroutine.
	pipe *pipeline

	// Owned by the delivery goroutine.
	ev        event.Event
	respTopic string // the MQTT 5.0 Response Topic of the message being handled
	dropped   any    // the client whose connection is being dropped after a failure
	failures  int

	// draining is set by Shutdown: messages that arrive from then on are
	// left unacknowledged; busy counts those being handled, which
	// Shutdown waits for.
	draining atomic.Bool
	busy     atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// NewSubscriber checks its arguments and options and returns a
// subscriber that receives events matching filter from the broker at
// brokerURL and hands each to h. It does no network I/O: nothing is
// delivered before [Subscriber.Start]. Errors wrap [ErrConfig].
func NewSubscriber(brokerURL, filter string, h binding.Handler, opts ...SubscriberOption) (*Subscriber, error) {
	s := &Subscriber{cfg: defaultConfig(), filter: filter, h: h}
	for _, o := range opts {
		if o != nil {
			o.applySubscriber(&s.cfg)
		}
	}
	if err := s.cfg.validate(false); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrConfig)
	}
	if filter == "" {
		return nil, fmt.Errorf("%w: empty topic filter", ErrConfig)
	}
	u, err := parseBroker(brokerURL, &s.cfg)
	if err != nil {
		return nil, err
	}
	s.url = u
	s.broker = u.Host
	s.ctx, s.cancel = context.WithCancel(context.Background()) //nolint:contextcheck // handlers run until Shutdown, not until a caller's ctx ends
	if s.cfg.concurrency > 1 {
		s.pipe = newPipeline(s, s.cfg.concurrency)
	}
	return s, nil
}

// Start connects to the broker and subscribes; it returns once the broker
// has granted the subscription, and from then on events are delivered to
// the handler until [Subscriber.Shutdown]. ctx bounds the connection and
// the subscription only. Errors are a [*ReasonError] for a refused CONNACK
// or SUBACK, or a connection error; after one, Start may be called again.
// Start after Shutdown returns [ErrClosed], and a second Start
// while running returns an [ErrConfig].
//
// Start is the MQTT form of the Serve of the HTTP and gRPC servers: the
// broker is the server, so the subscriber's job is to connect and
// subscribe, which Start does and Serve could not return from.
func (s *Subscriber) Start(ctx context.Context) error {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	switch {
	case s.ctx.Err() != nil:
		return ErrClosed
	case s.started:
		return fmt.Errorf("%w: Start called twice", ErrConfig)
	}
	s.firstSub = make(chan error, 1)
	s.signaled.Store(false)
	s.d = newDialer(&s.cfg, s.report)
	var err error
	if s.cfg.version == Version311 {
		err = s.startV311(ctx, s.url)
	} else {
		err = s.startV5(ctx, s.url)
	}
	if err != nil {
		s.cm, s.c3 = nil, nil
		return explainTLS(ctx, err, s.url, &s.cfg)
	}
	s.started = true
	return nil
}

func (s *Subscriber) startV5(ctx context.Context, u *url.URL) error {
	onUp := func(cm *autopaho.ConnectionManager, ca *paho.Connack) {
		if ca != nil && ca.SessionPresent {
			// The broker kept the session, and the session holds the
			// subscription; its messages are already flowing. (Sending
			// SUBSCRIBE again would be allowed, but mochi-mqtt refuses
			// one whose packet id equals a message it is redelivering.)
			s.signalSub(nil)
			return
		}
		s.subs.Add(1)
		go func() {
			defer s.subs.Done()
			sctx, cancel := context.WithTimeout(s.ctx, s.cfg.connectWait)
			defer cancel()
			sa, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: s.filter, QoS: s.cfg.qos}}})
			switch {
			case sa != nil && len(sa.Reasons) > 0 && sa.Reasons[0] >= 0x80:
				re := &ReasonError{Packet: "SUBACK", Code: sa.Reasons[0]}
				if sa.Properties != nil {
					re.Reason = sa.Properties.ReasonString
				}
				err = re
			case err != nil:
				err = fmt.Errorf("%w: subscribe: %w", errConnection, err)
			}
			s.signalSub(err)
		}()
	}
	cm, err := connectV5(ctx, u, &s.cfg, s.d, s.cfg.cleanStart, onUp, s.receiveV5)
	if err != nil {
		return err
	}
	s.cm = cm
	if err := s.awaitFirstSub(ctx); err != nil {
		_ = s.closeClients(context.Background()) //nolint:contextcheck // cleanup must run even when ctx is done
		return err
	}
	return nil
}

// signalSub passes the result of a subscription to NewSubscriber the
// first time, and later failures to the error hook.
func (s *Subscriber) signalSub(err error) {
	if s.signaled.CompareAndSwap(false, true) {
		s.firstSub <- err // buffered for this one value
		return
	}
	if err != nil && s.ctx.Err() == nil {
		s.report(err)
	}
}

func (s *Subscriber) awaitFirstSub(ctx context.Context) error {
	select {
	case err := <-s.firstSub:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for SUBACK: %w", errConnection, ctx.Err())
	}
}

// receiveV5 is called by paho, on one goroutine, for every PUBLISH.
func (s *Subscriber) receiveV5(pr paho.PublishReceived) (bool, error) {
	p := pr.Packet
	if s.draining.Load() {
		return true, nil // left for the session's next subscriber
	}
	if s.dropped == pr.Client {
		// This connection is being dropped after a failure: leave the
		// message unacknowledged; the broker sends it again.
		return true, nil
	}
	if s.pipe != nil {
		s.pipe.receiveV5(pr)
		return true, nil
	}
	var ct string
	var props []paho.UserProperty
	s.respTopic = ""
	if p.Properties != nil {
		ct, props = p.Properties.ContentType, p.Properties.User
		s.respTopic = p.Properties.ResponseTopic
	}
	s.busy.Add(1)
	ok := s.settle(&s.ev, s.respTopic, Version5, p.Topic, p.QoS, ct, props, p.Payload)
	if ok {
		_ = pr.Client.Ack(p) // fails only when the connection is gone; the broker then resends
	}
	s.busy.Add(-1)
	if !ok && p.QoS > 0 {
		s.dropped = pr.Client
		s.dropAfterBackoff()
	}
	return true, nil
}

// settle decodes a received message into ev, runs the handler and reports
// whether the message is to be acknowledged. respTopic is the message's
// MQTT 5.0 Response Topic, if any.
func (s *Subscriber) settle(ev *event.Event, respTopic string, v Version, topic string, qos byte, ct string, props []paho.UserProperty, payload []byte) bool {
	if packet, data, ok := parseStub(s.d.mark, payload); ok {
		// limitConn discarded it; this is the stub it left.
		s.tooLarge.Add(1)
		s.report(&MessageError{Topic: topic, Broker: s.broker, Size: data,
			Err: fmt.Errorf("%w: PUBLISH of %d bytes is over the limit of %d bytes (WithMaxMessageBytes); it was discarded unread", ErrMessageTooLarge, packet, s.cfg.maxMessage)})
		return true
	}
	if err := receive(v, ct, props, payload, ev, s.cfg.maxAttrs); err != nil {
		s.invalid.Add(1)
		s.report(&MessageError{Topic: topic, Broker: s.broker, Size: len(payload), Err: err})
		return true
	}
	ctx := s.ctx
	if respTopic != "" {
		ctx = context.WithValue(ctx, responseTopicKey{}, respTopic)
	}
	err := binding.Call(ctx, s.h, ev)
	switch {
	case err == nil:
		s.delivered.Add(1)
		if s.pipe == nil {
			s.failures = 0
		}
		return true
	case errors.Is(err, binding.ErrRejected): // a *binding.PanicError never is
		s.rejected.Add(1)
		s.report(&MessageError{Topic: topic, Broker: s.broker, Size: len(payload), Err: err})
		return true
	}
	s.failed.Add(1)
	s.report(&HandlerError{Topic: topic, Err: err})
	return qos == 0 // nothing to redeliver at QoS 0
}

// Stats counts what a [Subscriber] did with the messages it received
// since it started. Redelivered messages count again.
type Stats struct {
	Delivered uint64 // handled (the handler returned nil) and acknowledged
	Invalid   uint64 // not a CloudEvent: acknowledged, dropped and reported
	TooLarge  uint64 // over [WithMaxMessageBytes]: discarded, acknowledged and reported
	Rejected  uint64 // refused by the handler with [binding.ErrRejected]
	Failed    uint64 // transient handler failures, left for redelivery
	// Draining is true once Shutdown began: messages that arrive are
	// left unacknowledged.
	Draining bool
}

// Stats returns the subscriber's counts. It is safe to call from any
// goroutine, also after Close; the counts are read one by one, not as one
// snapshot.
func (s *Subscriber) Stats() Stats {
	return Stats{
		Delivered: s.delivered.Load(),
		Invalid:   s.invalid.Load(),
		TooLarge:  s.tooLarge.Load(),
		Rejected:  s.rejected.Load(),
		Failed:    s.failed.Load(),
		Draining:  s.draining.Load(),
	}
}

// dropAfterBackoff waits the reconnect backoff for the current run of
// failures, then drops the connection so the broker redelivers.
func (s *Subscriber) dropAfterBackoff() {
	s.failures++
	t := time.NewTimer(s.cfg.backoff(s.failures))
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
		return
	}
	s.d.drop()
}

func (s *Subscriber) report(err error) {
	if s.cfg.onError != nil {
		s.cfg.onError(s.broker, err)
	}
}

func (s *Subscriber) startV311(ctx context.Context, u *url.URL) error {
	o := optionsV311(u, &s.cfg, s.d, s.cfg.cleanStart)
	o.SetAutoAckDisabled(true)
	o.SetResumeSubs(false)
	// A persistent session delivers before any SUBSCRIBE of this
	// connection, so the default handler must be ours too.
	o.SetDefaultPublishHandler(s.receiveV311)
	o.SetOnConnectHandler(func(c mqtt3.Client) {
		// paho.mqtt.golang runs this on its own goroutine.
		t := c.Subscribe(s.filter, s.cfg.qos, s.receiveV311)
		sctx, cancel := context.WithTimeout(s.ctx, s.cfg.connectWait)
		defer cancel()
		err := wait(sctx, t)
		if err == nil {
			if st, ok := t.(*mqtt3.SubscribeToken); ok {
				for _, code := range st.Result() {
					if code >= 0x80 {
						err = &ReasonError{Packet: "SUBACK", Code: code}
					}
				}
			}
		} else {
			err = fmt.Errorf("%w: subscribe: %w", errConnection, err)
		}
		s.signalSub(err)
	})
	s.c3 = mqtt3.NewClient(o)
	if err := connectV311(ctx, s.c3, &s.cfg); err != nil {
		return err
	}
	if err := s.awaitFirstSub(ctx); err != nil {
		s.c3.Disconnect(0)
		return err
	}
	return nil
}

// receiveV311 is called by paho.mqtt.golang, in order, for every PUBLISH.
func (s *Subscriber) receiveV311(c mqtt3.Client, m mqtt3.Message) {
	if s.draining.Load() {
		return // left for the session's next subscriber
	}
	if s.dropped != nil && s.dropped == s.d.current() {
		return // see receiveV5
	}
	s.dropped = nil
	if s.pipe != nil {
		s.pipe.receiveV311(m)
		return
	}
	// MQTT-V311-1, MQTT-STRUCTURED-2: the payload is a JSON-format event.
	s.busy.Add(1)
	ok := s.settle(&s.ev, "", Version311, m.Topic(), m.Qos(), "", nil, m.Payload())
	if ok {
		m.Ack()
	}
	s.busy.Add(-1)
	if ok {
		return
	}
	if m.Qos() > 0 {
		s.dropped = s.d.current()
		s.dropAfterBackoff()
	}
}

// Shutdown drains and disconnects: messages that arrive from now on are
// left unacknowledged, the handlers already running finish (and their
// messages are acknowledged) unless ctx ends first, then the handler
// context ends and the client disconnects, waiting for its goroutines or
// for ctx. It unsubscribes nothing: a persistent session and its subscription stay
// with the broker until the session expires, and messages in flight and
// not yet acknowledged are redelivered to the next subscriber of the
// session. Shutdown is safe to call more than once, from any goroutine,
// and before Start.
func (s *Subscriber) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.draining.Store(true)
		for s.busy.Load() > 0 && ctx.Err() == nil {
			select { // a poll: Shutdown is rare and the handlers' ends are not signalled
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
		if s.cm != nil { // MQTT 5.0: paho sends the acknowledgements given on its next flush
			select {
			case <-ctx.Done():
			case <-time.After(5 * ackFlushInterval):
			}
		}
		s.cancel()
		s.startMu.Lock()
		defer s.startMu.Unlock()
		s.closeErr = s.closeClients(ctx)
		if s.pipe != nil {
			s.pipe.stop()
		}
	})
	return s.closeErr
}

// Close is Shutdown.
//
// Deprecated: use [Subscriber.Shutdown], the name every transport's
// receiver uses.
func (s *Subscriber) Close(ctx context.Context) error { return s.Shutdown(ctx) }

func (s *Subscriber) closeClients(ctx context.Context) error {
	var err error
	if s.c3 != nil {
		s.c3.Disconnect(100)
	} else if s.cm != nil {
		err = s.cm.Disconnect(ctx)
	}
	s.subs.Wait()
	return err
}

type responseTopicKey struct{}

// ResponseTopic returns the MQTT 5.0 Response Topic of the message whose
// event a [Subscriber]'s handler was given ctx for, and whether it had
// one (MQTT 5.0 section 4.10: request/response). A handler that answers
// publishes its reply there.
func ResponseTopic(ctx context.Context) (string, bool) {
	t, ok := ctx.Value(responseTopicKey{}).(string)
	return t, ok
}
