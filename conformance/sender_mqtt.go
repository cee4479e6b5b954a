package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The MQTT sender contract's environment variables, beside
// EnvSenderTarget (the broker's URL), EnvSenderEvents and EnvSenderMode
// (spec/conformance-contract.md).
const (
	EnvSenderTopic       = "CE_CONFORMANCE_TOPIC"        // the topic to publish on
	EnvSenderMQTTVersion = "CE_CONFORMANCE_MQTT_VERSION" // 5.0 or 3.1.1
)

// MQTTSend is where and how an in-process MQTT sender
// (SenderTarget.SendMQTT) publishes.
type MQTTSend struct {
	// Broker is the broker's tcp:// URL, Topic the topic to publish on.
	Broker string
	Topic  string
	// Version is 5 (MQTT 5.0) or 3 (MQTT 3.1.1).
	Version int
	// Mode is binary or structured; with MQTT 3.1.1 always structured.
	Mode Mode
}

// senderBinding is the binding the sender of cfg is tested over: MQTT
// with an MQTT target in the sender role, HTTP otherwise, "" without a
// sender.
func (cfg *Config) senderBinding() string {
	switch {
	case cfg.Sender == nil:
		return ""
	case cfg.MQTT != nil && cfg.MQTT.Role == RoleSender:
		return BindingMQTT
	}
	return BindingHTTP
}

// validateSenderBinding checks that the sender and the MQTT target agree
// on the binding the sender uses.
func (cfg *Config) validateSenderBinding() error {
	mqttSender := cfg.MQTT != nil && cfg.MQTT.Role == RoleSender
	switch {
	case mqttSender && cfg.Sender == nil:
		return errors.New("conformance: an MQTT target in the sender role needs a sender (Config.Sender) to run")
	case mqttSender && cfg.Sender.Send != nil:
		return errors.New("conformance: an MQTT sender runs in-process with SenderTarget.SendMQTT, not Send")
	case !mqttSender && cfg.Sender != nil && cfg.Sender.SendMQTT != nil:
		return errors.New("conformance: SenderTarget.SendMQTT needs an MQTT target in the sender role")
	}
	return nil
}

// mqttSenderRun is one run of the sender: a protocol version and a mode.
type mqttSenderRun struct {
	version int
	mode    Mode
}

// runMQTTSenderCases asks the sender for the events of the MQTT sender
// cases idx, once per protocol version and content mode, and judges the
// messages that arrive on the topic. A sender that fails as a whole is an
// error, as over HTTP.
func runMQTTSenderCases(ctx context.Context, cfg Config, dr driver, cases []Case, idx []int, outcomes []outcome) error {
	d, ok := dr.(*mqttDriver)
	if !ok {
		return errors.New("conformance: the MQTT sender cases need an MQTT target in the sender role")
	}
	if err := d.connect(ctx, 5); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	groups := map[mqttSenderRun][]int{}
	var order []mqttSenderRun
	for _, i := range idx {
		if !d.t.claims(cases[i].MQTT.Version) {
			outcomes[i].err = d.unclaimed(cases[i].MQTT.Version)
			continue
		}
		r := mqttSenderRun{cases[i].MQTT.Version, cases[i].Mode}
		if groups[r] == nil {
			order = append(order, r)
		}
		groups[r] = append(groups[r], i)
	}
	for _, r := range order {
		start := time.Now()
		msgs, err := d.senderRun(ctx, cfg, r, cases, groups[r])
		if err != nil {
			return fmt.Errorf("conformance: the sender failed (MQTT %s, %s mode): %w", mqttVersion(r.version), r.mode, err)
		}
		per := time.Since(start).Seconds() / float64(len(groups[r]))
		for j, i := range groups[r] {
			outcomes[i].err = judgeSentMQTT(&cases[i], msgs[j])
			outcomes[i].seconds = per
		}
	}
	return nil
}

// senderRun runs the sender once and returns, per case, the message that
// carried its event (nil: none arrived). The messages are matched by
// event id, or, for a message that carries no event, by a payload equal
// to the data of the case's event (what binary mode over MQTT 3.1.1
// would leave).
func (d *mqttDriver) senderRun(ctx context.Context, cfg Config, r mqttSenderRun, cases []Case, idx []int) ([]*mqttArrival, error) {
	events := make([]json.RawMessage, len(idx))
	for j, i := range idx {
		events[j] = cases[i].Send
	}
	file, err := json.Marshal(events)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var got []*mqttArrival
	arrived := make(chan struct{}, 1)
	limit := len(idx) + senderExtra
	d.mu.Lock()
	d.sink = func(a *mqttArrival) {
		mu.Lock()
		if len(got) < limit {
			got = append(got, a)
		}
		mu.Unlock()
		select {
		case arrived <- struct{}{}:
		default:
		}
	}
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.sink = nil
		d.mu.Unlock()
	}()

	to := MQTTSend{Broker: d.t.Broker, Topic: d.t.Topic, Version: r.version, Mode: r.mode}
	sctx, cancel := context.WithTimeout(ctx, time.Duration(len(idx)+2)*d.timeout)
	defer cancel()
	if s := cfg.Sender; s.SendMQTT != nil {
		err = s.SendMQTT(sctx, to, file)
	} else {
		err = runSenderCommand(sctx, s, r.mode, file, EnvSenderTarget+"="+d.t.Broker, EnvSenderTopic+"="+d.t.Topic, EnvSenderMQTTVersion+"="+mqttVersion(r.version))
	}
	if err != nil {
		return nil, err
	}
	out := make([]*mqttArrival, len(idx))
	match := func() bool {
		mu.Lock()
		defer mu.Unlock()
		all := true
		for j, i := range idx {
			if out[j] == nil {
				out[j] = findSent(&cases[i], got)
			}
			all = all && out[j] != nil
		}
		return all
	}
	// The broker took each message before the sender went on (QoS 1),
	// but may hand it on a little later: wait for those still missing,
	// at most one request timeout.
	wait := time.NewTimer(d.timeout)
	defer wait.Stop()
	for !match() {
		select {
		case <-arrived:
		case <-wait.C:
			return out, nil
		case <-ctx.Done():
			return out, nil
		}
	}
	return out, nil
}

// findSent returns the message among got that carries the event of
// sender case c.
func findSent(c *Case, got []*mqttArrival) *mqttArrival {
	id := sendID(c)
	for _, a := range got {
		if mqttEventID(a) == id {
			return a
		}
	}
	var e struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(c.Send, &e) != nil || len(e.Data) == 0 {
		return nil
	}
	data := []byte(e.Data)
	var s string
	if json.Unmarshal(e.Data, &s) == nil {
		data = []byte(s)
	}
	for _, a := range got {
		if len(a.props) == 0 && string(a.payload) == string(data) {
			return a
		}
	}
	return nil
}

// judgeSentMQTT checks the message an MQTT sender published for case c.
func judgeSentMQTT(c *Case, a *mqttArrival) error {
	if a == nil {
		return fmt.Errorf("%w: no message carried the event %q: the sender did not publish it (an SDK that refuses to build an event says so in the sender's output)", errNotApplicable, sendID(c))
	}
	bare := a.contentType == "" && len(a.props) == 0
	if c.MQTT.Version == 3 {
		if !bare {
			// Properties exist in MQTT 5.0 alone: the sender did not use
			// 3.1.1 as asked, so the 3.1.1 rules say nothing about it.
			return fmt.Errorf("%w: the sender was asked for MQTT 3.1.1 and published with MQTT 5.0 properties (Content Type %q, user properties %q)", errNotApplicable, a.contentType, a.props)
		}
		// MQTT-V311-1, MQTT-MODE-1: over 3.1.1 the payload is the event in
		// the JSON format, never the data alone.
		if _, err := readStructuredReply(a.payload); err != nil {
			return fmt.Errorf("the MQTT 3.1.1 message is not a JSON-format event (binary mode, which 3.1.1 cannot carry?): payload %s: %w", quoteData(a.payload), err)
		}
		var probe map[string]json.RawMessage
		if json.Unmarshal(a.payload, &probe) != nil || probe["specversion"] == nil {
			return fmt.Errorf("the MQTT 3.1.1 message is not a JSON-format event: payload %s has no specversion", quoteData(a.payload))
		}
	}
	got, err := readMQTT(a)
	if err != nil {
		return fmt.Errorf("the message carries no event: %w", err)
	}
	if c.MQTT.Version == 5 && got.mode() != c.Mode {
		return fmt.Errorf("%w: the sender was asked for %s mode and published %s mode", errNotApplicable, c.Mode, got.mode())
	}
	return judgeMQTT(c, a, "message", nil)
}
