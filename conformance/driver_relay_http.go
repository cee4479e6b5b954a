package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// relaySinkBodyLimit bounds one request to the suite's relay sink; a
// larger one is answered 413 and its events are lost to the cases, which
// then report that nothing came out.
const relaySinkBodyLimit = 4 << 20

// HTTPRelayTarget is a provider in the relay role over HTTP: a broker, a
// channel or a forwarding function (`ce run` with the forward built-in
// and an http sink) that takes events at its HTTP URL and passes them on
// over HTTP to a receiver the suite hosts, the sink. The suite sends each
// relay case's request in, and the event that comes out must be the one
// that went in: every attribute, extension and the data, in whichever
// content mode the relay chose, written by the rules of that mode.
//
// The provider must be configured to forward to the sink before the run,
// so the sink's address is fixed by the caller: Sink (an address the
// suite listens on, such as 127.0.0.1:9100) or Listener (one the caller
// opened, which the suite closes when the run ends). The contract is in
// spec/conformance-contract.md.
type HTTPRelayTarget struct {
	// HTTPTarget is where events go in: the relay's URL, extra headers,
	// TLS, client.
	HTTPTarget
	// Sink is the address the suite's receiver listens on; the relay must
	// forward there (http://Sink/, any path). Ignored when Listener is
	// set.
	Sink string
	// Listener, instead of Sink, is a listener the caller opened for the
	// suite's receiver. The run closes it.
	Listener net.Listener
}

func (t *HTTPRelayTarget) validate() error {
	if err := t.HTTPTarget.validate(); err != nil {
		return err
	}
	if t.Listener == nil {
		if _, _, err := net.SplitHostPort(t.Sink); err != nil || t.Sink == "" {
			return fmt.Errorf("conformance: HTTP relay sink %q: want the host:port the suite listens on and the relay forwards to", t.Sink)
		}
	}
	return nil
}

func (t *HTTPRelayTarget) describe() string {
	sink := t.Sink
	if t.Listener != nil {
		sink = t.Listener.Addr().String()
	}
	return fmt.Sprintf("HTTP relay %s to the suite's sink http://%s/", t.URL, sink)
}

// httpRelayDriver is the HTTP binding's driver when an HTTP relay is
// tested: relay cases go in through in and are awaited on the sink; the
// other roles go to direct, the HTTP target's driver, when there is one.
type httpRelayDriver struct {
	direct *httpDriver // nil: no HTTP target besides the relay
	in     *httpDriver
	srv    *http.Server
	ln     net.Listener
	served chan struct{}

	mu      sync.Mutex
	waiting map[string]chan *response // by event id
}

// newHTTPRelayDriver starts the suite's sink and returns the driver; close
// stops the sink.
func newHTTPRelayDriver(direct *httpDriver, t *HTTPRelayTarget, timeout time.Duration) (*httpRelayDriver, error) {
	ln := t.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", t.Sink); err != nil {
			return nil, fmt.Errorf("conformance: the HTTP relay's sink: %w", err)
		}
	}
	d := &httpRelayDriver{direct: direct, in: newHTTPDriver(&t.HTTPTarget), ln: ln, served: make(chan struct{}), waiting: map[string]chan *response{}}
	d.srv = &http.Server{Handler: http.HandlerFunc(d.receive), ReadHeaderTimeout: timeout, ReadTimeout: timeout}
	go func() { _ = d.srv.Serve(ln); close(d.served) }()
	return d, nil
}

// close stops the sink.
func (d *httpRelayDriver) close() {
	_ = d.srv.Close()
	<-d.served
}

func (d *httpRelayDriver) reachable(ctx context.Context, timeout time.Duration) error {
	if d.direct != nil {
		if err := d.direct.reachable(ctx, timeout); err != nil {
			return err
		}
	}
	return d.in.reachable(ctx, timeout)
}

func (d *httpRelayDriver) replies(ctx context.Context) (string, []string) {
	if d.direct == nil {
		return "", nil
	}
	return d.direct.replies(ctx)
}

// plays says why a role is not run: the relay role always is; the others
// need the HTTP target.
func (d *httpRelayDriver) plays(r Role) string {
	switch {
	case r == RoleRelay:
		return ""
	case d.direct == nil:
		return fmt.Sprintf("not run: no HTTP target for the %s role was given, only an HTTP relay", r)
	}
	return d.direct.plays(r)
}

// plays says why the HTTP target alone does not run a role: the relay
// role needs a sink.
func (d *httpDriver) plays(r Role) string {
	if r == RoleRelay {
		return "not run: no HTTP relay to test (Config.HTTPRelay; ce conformance run --relay-sink ADDR with the relay forwarding there)"
	}
	return ""
}

func (d *httpRelayDriver) check(ctx context.Context, c *Case) error {
	if c.Role != RoleRelay {
		return d.direct.check(ctx, c)
	}
	id := relayID(c)
	ch := make(chan *response, 1)
	d.mu.Lock()
	d.waiting[id] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.waiting, id)
		d.mu.Unlock()
	}()

	resp, err := d.in.do(ctx, &c.Request)
	if err != nil {
		return err
	}
	status := c.Expect.Status
	if status == "" {
		status = "2xx"
	}
	if rule, _ := parseStatus(status); !rule.match(resp.status) {
		return fmt.Errorf("the relay answered the event %q with status %d, want %s%s", id, resp.status, status, bodyHint(resp))
	}
	select {
	case out := <-ch:
		// The event first: a check the relay's output mode leaves
		// unjudgeable must not be failed on the headers of that mode.
		err := judgeEvent(c, out, "relayed event", nil)
		if errors.Is(err, errNotApplicable) {
			return err
		}
		return errors.Join(append(judgeHeaders(c, out, "relayed message"), err)...)
	case <-ctx.Done():
		return fmt.Errorf("the event %q the relay took (status %d) did not come out on the suite's sink %s within the request timeout", id, resp.status, d.ln.Addr())
	}
}

// receive is the suite's sink: every event of a request (one, or each of
// a batch) goes to the case waiting for its id; others are ignored.
func (d *httpRelayDriver) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, relaySinkBodyLimit))
	if err != nil {
		http.Error(w, "conformance: message too large for the sink", http.StatusRequestEntityTooLarge)
		return
	}
	for _, m := range splitRelayed(r.Header, body) {
		id := messageID(&sent{header: m.header, body: m.body})
		d.mu.Lock()
		ch := d.waiting[id]
		delete(d.waiting, id) // a second copy (at-least-once) is not judged
		d.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// splitRelayed returns the messages of one request as the suite judges
// them: itself, or one structured message per event of a batch.
func splitRelayed(h http.Header, body []byte) []*response {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if !strings.EqualFold(mt, "application/cloudevents-batch+json") {
		return []*response{{status: http.StatusOK, header: h.Clone(), body: body}}
	}
	var events []json.RawMessage
	if json.Unmarshal(body, &events) != nil {
		return nil
	}
	out := make([]*response, len(events))
	for i, e := range events {
		out[i] = &response{status: http.StatusOK, header: http.Header{"Content-Type": {"application/cloudevents+json"}}, body: e}
	}
	return out
}

// relayID is the id of the event a relay case sends: its ce-id header, or
// the id member of a structured body.
func relayID(c *Case) string {
	for _, h := range c.Request.Headers {
		if strings.EqualFold(h[0], "ce-id") {
			return h[1]
		}
	}
	b, _ := c.Request.body() // checked when the case was loaded
	var e struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &e)
	return e.ID
}

// validateHTTPRelay checks an HTTP relay case: it sends one event with an
// id, so that what comes out can be told apart.
func (c *Case) validateHTTPRelay() []error {
	if c.Binding != BindingHTTP || c.Role != RoleRelay {
		return nil
	}
	if c.Mode != ModeBinary && c.Mode != ModeStructured {
		return []error{fmt.Errorf("an HTTP relay case sends one event in binary or structured mode, not %q", c.Mode)}
	}
	if relayID(c) == "" {
		return []error{errors.New("an HTTP relay case's event needs an id (ce-id, or id in a structured body)")}
	}
	return nil
}
