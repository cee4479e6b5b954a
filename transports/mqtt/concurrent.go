package mqtt

import (
	"sync"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt3 "github.com/eclipse/paho.mqtt.golang"

	"github.com/openevents/openevents/event"
)

// A pipeline runs the handler for up to n messages at once
// ([WithConcurrency]) and acknowledges them in the order they arrived.
// The delivery goroutine (paho's) takes an idle job, blocking while all n
// are busy, and queues it; a worker settles it; whoever completes the
// job at the head of the queue acknowledges every settled job from there
// on, in order, until one still runs.
//
// A transient failure at QoS 1 or 2 marks its connection as dropped:
// neither that message nor any after it is acknowledged on it, and after
// the reconnect backoff the connection is closed so the broker sends
// them again.
type pipeline struct {
	s    *Subscriber
	idle chan *job // n jobs; empty while all are busy
	work chan *job
	wg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool   // stop was called: work is closed
	queue    []*job // received and not yet acknowledged, in arrival order
	dropped  any    // the connection being dropped after a failure
	failures int    // transient failures in a row, for the backoff
}

// A job is one message in the pipeline, with its own event.
type job struct {
	ev        event.Event
	conn      any // the connection it came on
	v         Version
	topic     string
	qos       byte
	ct        string
	props     []paho.UserProperty
	payload   []byte
	respTopic string

	pb *paho.Publish // MQTT 5.0: what to acknowledge
	c5 *paho.Client  // MQTT 5.0: through which client
	m3 mqtt3.Message // MQTT 3.1.1

	settled, ok bool
}

func newPipeline(s *Subscriber, n int) *pipeline {
	p := &pipeline{s: s, idle: make(chan *job, n), work: make(chan *job, n)}
	for range n {
		p.idle <- new(job)
	}
	for range n {
		p.wg.Go(p.worker)
	}
	return p
}

// take returns an idle job, or nil once the subscriber is shutting down.
func (p *pipeline) take() *job {
	select {
	case j := <-p.idle:
		return j
	case <-p.s.ctx.Done():
		return nil
	}
}

// skip reports whether conn is being dropped: its messages are left
// unacknowledged for the broker to send again.
func (p *pipeline) skip(conn any) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return conn == p.dropped
}

func (p *pipeline) receiveV5(pr paho.PublishReceived) {
	if p.s.draining.Load() || p.skip(pr.Client) {
		return
	}
	j := p.take()
	if j == nil {
		return
	}
	pk := pr.Packet
	*j = job{ev: j.ev, conn: pr.Client, v: Version5, topic: pk.Topic, qos: pk.QoS, payload: pk.Payload, pb: pk, c5: pr.Client}
	if pk.Properties != nil {
		j.ct, j.props, j.respTopic = pk.Properties.ContentType, pk.Properties.User, pk.Properties.ResponseTopic
	}
	p.enqueue(j)
}

func (p *pipeline) receiveV311(m mqtt3.Message) {
	conn := p.s.d.current()
	if p.s.draining.Load() || p.skip(conn) {
		return
	}
	j := p.take()
	if j == nil {
		return
	}
	// MQTT-V311-1, MQTT-STRUCTURED-2: the payload is a JSON-format event.
	*j = job{ev: j.ev, conn: conn, v: Version311, topic: m.Topic(), qos: m.Qos(), payload: m.Payload(), m3: m}
	p.enqueue(j)
}

func (p *pipeline) enqueue(j *job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.release(j)
		return
	}
	p.queue = append(p.queue, j)
	p.s.busy.Add(1)
	p.work <- j // never blocks: there are n places for n jobs
}

func (p *pipeline) worker() {
	for j := range p.work {
		j.ev.Reset()
		ok := p.s.settle(&j.ev, j.respTopic, j.v, j.topic, j.qos, j.ct, j.props, j.payload)
		p.complete(j, ok)
	}
}

// complete records j's outcome and acknowledges, in arrival order, every
// settled job at the head of the queue.
func (p *pipeline) complete(j *job, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	j.settled, j.ok = true, ok
	n := 0
	for _, h := range p.queue {
		if !h.settled {
			break
		}
		n++
		switch {
		case h.conn == p.dropped:
			// Left for redelivery with the failed message before it.
		case h.ok:
			p.failures = 0
			h.ack()
		case h.qos > 0:
			p.dropped = h.conn
			p.failures++
			d := p.s.cfg.backoff(p.failures)
			p.wg.Go(func() { p.dropAfter(d) }) // a worker runs this: the group is not empty
		}
		p.release(h)
		p.s.busy.Add(-1)
	}
	clear(p.queue[:n])
	p.queue = p.queue[n:]
	if len(p.queue) == 0 {
		p.queue = p.queue[:0:0] // let the backing array go once drained
	}
}

func (j *job) ack() {
	if j.c5 != nil {
		_ = j.c5.Ack(j.pb) // fails only when the connection is gone; the broker then resends
		return
	}
	j.m3.Ack()
}

// release readies h for reuse, keeping its event's buffers.
func (p *pipeline) release(h *job) {
	*h = job{ev: h.ev}
	p.idle <- h // never blocks: there are n places for n jobs
}

// dropAfter closes the current connection after d, unless the subscriber
// shuts down first, so that the broker redelivers what was not
// acknowledged.
func (p *pipeline) dropAfter(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		p.s.d.drop()
	case <-p.s.ctx.Done():
	}
}

// stop ends the workers once the client no longer delivers; the
// handler context has ended, so running handlers return soon.
func (p *pipeline) stop() {
	p.mu.Lock()
	p.closed = true
	close(p.work)
	p.mu.Unlock()
	p.wg.Wait()
}
