package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/cron"
)

// builder decodes a document the schema accepted into a Config, fills in
// the defaults and checks the rules the schema cannot state. Problems are
// placed through JSON pointers, as the schema's are.
type builder struct {
	root     *yaml.Node
	problems []Problem
	hasGRPC  bool // the configuration has a grpc trigger
}

// problem records a problem at the node ptr names.
func (b *builder) problem(ptr, msg, rule string) {
	n, _, path := locate(b.root, ptr)
	b.problems = append(b.problems, Problem{Line: n.Line, Column: n.Column, Path: formatPath(path), Message: msg, Rule: rule})
}

// has reports whether the document has a value at ptr.
func (b *builder) has(ptr string) bool {
	_, ok := find(b.root, ptr)
	return ok
}

// pathOf is the path of ptr, which must be in the document.
func (b *builder) pathOf(ptr string) string {
	_, _, path := locate(b.root, ptr)
	return formatPath(path)
}

// durationRule is the range a duration field must be in.
type durationRule struct {
	ptr string
	max time.Duration
}

var durationRules = []durationRule{
	{"/timeout", 24 * time.Hour},
	{"/drainTimeout", time.Hour},
	{"/retry/backoff", time.Hour},
	{"/retry/maxBackoff", 24 * time.Hour},
	{"/dedupe/window", 24 * time.Hour},
	{"/telemetry/otlp/timeout", time.Hour},
	{"/telemetry/otlp/batchTimeout", time.Hour},
}

// checkDurations parses each duration the file gives before the decoder
// does, so that one out of range is reported with its place. It returns
// false if one cannot be parsed at all, so the decoder must not run; one
// out of range is a problem like the others the checks find.
func (b *builder) checkDurations() bool {
	decodable := true
	for _, r := range durationRules {
		n, ok := find(b.root, r.ptr)
		if !ok {
			continue // absent
		}
		d, err := time.ParseDuration(n.Value)
		switch {
		case err != nil:
			b.problem(r.ptr, strconv.Quote(n.Value)+" is not a duration Go can hold: "+err.Error(), "duration")
			decodable = false
		case d <= 0:
			b.problem(r.ptr, strconv.Quote(n.Value)+" must be more than 0", "duration range")
		case d > r.max:
			b.problem(r.ptr, strconv.Quote(n.Value)+" is more than the maximum, "+r.max.String(), "duration range")
		}
	}
	return decodable
}

// decode reads the document into a Config that holds the defaults of
// every field the file leaves out.
func (b *builder) decode() (*Config, error) {
	c := &Config{
		Concurrency:  DefaultConcurrency,
		Queue:        DefaultQueue,
		Timeout:      DefaultTimeout,
		DrainTimeout: DefaultDrainTimeout,
		Retry: Retry{
			Attempts:   DefaultRetryAttempts,
			Backoff:    DefaultRetryBackoff,
			MaxBackoff: DefaultRetryMaxBackoff,
		},
	}
	if err := b.root.Decode(c); err != nil {
		// The schema and the duration check let through only what
		// decodes; a failure here is a bug, not the file's fault.
		return nil, fmt.Errorf("config: decoding a checked document: %w", err)
	}
	f := &c.Function
	if f.Name == "" {
		f.Name = DefaultFunctionName
		if f.Builtin != "" {
			f.Name = f.Builtin
		}
	}
	if f.Exec != nil && f.Exec.Processes == 0 {
		f.Exec.Processes = DefaultExecProcesses
	}
	if c.Dedupe != nil && c.Dedupe.Max == 0 {
		c.Dedupe.Max = DefaultDedupeMax
	}
	for i := range c.Triggers {
		t := &c.Triggers[i]
		ptr := "/triggers/" + strconv.Itoa(i)
		switch {
		case t.HTTP != nil && t.HTTP.Addr == "":
			t.HTTP.Addr = DefaultHTTPAddr
		case t.GRPC != nil && t.GRPC.Addr == "":
			t.GRPC.Addr = DefaultGRPCAddr
		case t.MQTT != nil:
			t.MQTT.Version = DefaultMQTTVersion
			if n, ok := find(b.root, ptr+"/mqtt/version"); ok && n.Value == "3.1.1" {
				t.MQTT.Version = MQTT311
			}
			if !b.has(ptr + "/mqtt/qos") {
				t.MQTT.QoS = DefaultMQTTQoS
			}
		case t.Cron != nil:
			if t.Cron.Type == "" {
				t.Cron.Type = DefaultCronType
			}
			if t.Cron.Source == "" {
				t.Cron.Source = DefaultCronSource
			}
		}
	}
	if c.Telemetry != nil && c.Telemetry.OTLP != nil {
		o, d := c.Telemetry.OTLP, NewOTLP("", f.Name)
		if o.Timeout == 0 {
			o.Timeout = d.Timeout
		}
		if o.Queue == 0 {
			o.Queue = d.Queue
		}
		if o.Batch == 0 {
			o.Batch = min(d.Batch, o.Queue)
		}
		if o.BatchTimeout == 0 {
			o.BatchTimeout = d.BatchTimeout
		}
		if o.ServiceName == "" {
			o.ServiceName = d.ServiceName
		}
	}
	if c.Admin == "" {
		c.Admin = DefaultAdminAddr
		for _, t := range c.Triggers {
			if t.HTTP != nil {
				c.Admin, c.AdminShared = t.HTTP.Addr, true
				break
			}
		}
	}
	return c, nil
}

// check applies the rules the schema cannot state to a decoded Config.
func (b *builder) check(c *Config) {
	if c.Retry.MaxBackoff < c.Retry.Backoff {
		ptr := "/retry/maxBackoff"
		if !b.has(ptr) {
			ptr = "/retry/backoff"
		}
		b.problem(ptr, "maxBackoff "+c.Retry.MaxBackoff.String()+" is less than backoff "+c.Retry.Backoff.String(), "backoff order")
	}
	switch {
	case c.Function.Builtin == BuiltinForward && len(c.Forward) == 0:
		b.problem("/function/builtin", "the forward builtin needs forward sinks: add a forward list at the top level", "forward sinks")
	case c.Function.Builtin != BuiltinForward && len(c.Forward) > 0:
		b.problem("/forward", "only the forward builtin sends to forward sinks; this function is "+describe(&c.Function), "forward sinks")
	}
	for _, t := range c.Triggers {
		b.hasGRPC = b.hasGRPC || t.GRPC != nil
	}
	b.checkSinks("/forward", c.Forward)
	b.checkSinks("/replies", c.Replies)
	if c.DeadLetter != nil {
		b.checkSink("/deadLetter", c.DeadLetter)
	}
	if f := c.Function.HTTP; f != nil {
		b.checkURL("/function/http/url", f.URL)
	}
	if f := c.Function.GRPC; f != nil {
		b.checkTarget("/function/grpc/target", f.Target)
	}

	if c.Telemetry != nil && c.Telemetry.OTLP != nil {
		b.checkOTLP("/telemetry/otlp", c.Telemetry.OTLP)
	}

	// Listen addresses: each in range, and no two listeners on one
	// address, except the admin endpoints on an http trigger's server.
	type listener struct{ ptr, kind string }
	seen := map[string]listener{}
	listen := func(ptr, kind, addr string) {
		if !b.checkAddr(ptr, addr) {
			return
		}
		if _, port, _ := net.SplitHostPort(addr); port == "0" {
			return // a free port each time
		}
		if prev, dup := seen[addr]; dup {
			switch {
			case kind == "admin" && prev.kind == "http":
			case ptr == "":
				b.problem(ptr, "the default admin address "+addr+" is already the address of "+b.pathOf(prev.ptr)+"; set admin to another", "distinct addresses")
			default:
				b.problem(ptr, addr+" is already the address of "+b.pathOf(prev.ptr), "distinct addresses")
			}
			return
		}
		seen[addr] = listener{ptr, kind}
	}
	for i, t := range c.Triggers {
		ptr := "/triggers/" + strconv.Itoa(i)
		switch {
		case t.HTTP != nil:
			listen(b.placed(ptr+"/http/addr", ptr+"/http"), "http", t.HTTP.Addr)
		case t.GRPC != nil:
			listen(b.placed(ptr+"/grpc/addr", ptr+"/grpc"), "grpc", t.GRPC.Addr)
		case t.MQTT != nil:
			b.checkMQTT(ptr+"/mqtt", t.MQTT.URL, t.MQTT.TLS != nil)
		case t.Cron != nil:
			b.checkCron(ptr+"/cron", t.Cron)
		}
	}
	switch {
	case b.has("/admin"):
		listen("/admin", "admin", c.Admin)
	case c.Admin == DefaultAdminAddr:
		listen("", "admin", c.Admin)
	}
	// Otherwise Admin is an http trigger's address, checked above.
}

// placed returns ptr if the document has it, else the pointer of the
// nearest thing that stands for it (a default is reported where its
// trigger is).
func (b *builder) placed(ptr, instead string) string {
	if b.has(ptr) {
		return ptr
	}
	return instead
}

func describe(f *Function) string {
	if f.Builtin != "" {
		return "the " + f.Builtin + " builtin"
	}
	return "an " + f.Kind() + " function"
}

func (b *builder) checkSinks(ptr string, sinks []Sink) {
	for i := range sinks {
		b.checkSink(ptr+"/"+strconv.Itoa(i), &sinks[i])
	}
}

func (b *builder) checkSink(ptr string, s *Sink) {
	switch {
	case s.HTTP != "":
		b.checkURL(ptr+"/http", s.HTTP)
	case s.GRPC != "":
		b.checkTarget(ptr+"/grpc", s.GRPC)
	case s.MQTT != nil:
		b.checkMQTT(ptr+"/mqtt", s.MQTT.URL, s.MQTT.TLS != nil)
	case s.Subscribers && !b.hasGRPC:
		b.problem(ptr+"/subscribers", "there is no grpc trigger whose Subscribe streams could take the events: add one to triggers", "subscribers sink")
	}
}

// checkAddr checks what the address pattern cannot: the port's range.
func (b *builder) checkAddr(ptr, addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		b.problem(ptr, strconv.Quote(addr)+" is not host:port: "+err.Error(), "address")
		return false
	}
	return b.checkPort(ptr, port)
}

func (b *builder) checkPort(ptr, port string) bool {
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p > 65535 {
		b.problem(ptr, "port "+port+" is more than 65535", "port range")
		return false
	}
	return true
}

func (b *builder) checkURL(ptr, s string) {
	u, err := url.Parse(s)
	if err != nil {
		b.problem(ptr, strconv.Quote(s)+" is not a URL: "+errors.Unwrap(err).Error(), "url")
		return
	}
	if p := u.Port(); p != "" {
		b.checkPort(ptr, p)
	}
}

func (b *builder) checkTarget(ptr, target string) {
	if _, port, err := net.SplitHostPort(target); err == nil {
		b.checkPort(ptr, port)
	}
}

// checkMQTT checks a broker URL's port, and that TLS settings come with
// a TLS scheme (cemqtt refuses them with a plaintext one rather than
// ignore them).
func (b *builder) checkMQTT(ptr, s string, hasTLS bool) {
	u, err := url.Parse(s)
	if err != nil {
		b.problem(ptr+"/url", strconv.Quote(s)+" is not a URL: "+errors.Unwrap(err).Error(), "url")
		return
	}
	if !b.checkPort(ptr+"/url", u.Port()) {
		return
	}
	if hasTLS {
		switch u.Scheme {
		case "tls", "ssl", "mqtts":
		default:
			b.problem(ptr+"/tls", "tls is set but the broker URL "+strconv.Quote(s)+" is plaintext; use tls://, ssl:// or mqtts://", "tls scheme")
		}
	}
}

// checkCron parses the schedule and checks that the source and type make
// a valid event.
func (b *builder) checkCron(ptr string, t *CronTrigger) {
	s, err := cron.Parse(t.Schedule)
	var pe *cron.ParseError
	switch {
	case errors.As(err, &pe):
		msg := pe.Reason
		if pe.Field != "" {
			msg = pe.Field + " field: bad token " + strconv.Quote(pe.Token) + ": " + msg
		} else if pe.Token != "" {
			msg = "bad token " + strconv.Quote(pe.Token) + ": " + msg
		}
		b.problem(ptr+"/schedule", msg, "cron")
	case err != nil:
		b.problem(ptr+"/schedule", err.Error(), "cron")
	default:
		t.Parsed = s
	}
	probe := event.New(event.NewID(), t.Source, DefaultCronType)
	if err := probe.Validate(); err != nil {
		b.problem(b.placed(ptr+"/source", ptr), "source "+strconv.Quote(t.Source)+" cannot be an event's source: "+err.Error(), "event source")
	}
	probe = event.New(event.NewID(), DefaultCronSource, t.Type)
	if err := probe.Validate(); err != nil {
		b.problem(b.placed(ptr+"/type", ptr), "type "+strconv.Quote(t.Type)+" cannot be an event's type: "+err.Error(), "event type")
	}
}

// checkOTLP checks the endpoint's port, TLS settings only with https,
// and a batch that fits the queue.
func (b *builder) checkOTLP(ptr string, o *OTLP) {
	b.checkURL(ptr+"/endpoint", o.Endpoint)
	if o.TLS != nil && !strings.HasPrefix(o.Endpoint, "https://") {
		b.problem(ptr+"/tls", "tls is set but the endpoint "+strconv.Quote(o.Endpoint)+" is plaintext; use https://", "tls scheme")
	}
	if o.Batch > o.Queue {
		b.problem(b.placed(ptr+"/batch", ptr), "batch "+strconv.Itoa(o.Batch)+" is more than queue "+strconv.Itoa(o.Queue), "batch size")
	}
}
