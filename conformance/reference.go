package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/runtime/app"
	"github.com/openevents/openevents/runtime/config"
	cehttp "github.com/openevents/openevents/transports/http"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// Reference is the embedded reference provider: ce run's echo function
// (runtime/app, with the configuration ce run builds from its flags) on
// HTTP, gRPC and MQTT, all on 127.0.0.1 and free ports, with an embedded
// MQTT broker of its own. It answers each single event with itself: over
// HTTP in the response, over MQTT 5.0 on the Response Topic, and over
// gRPC on the Subscribe streams of its own EventService and
// CloudEventService (the replies sink {subscribers: true}); batches are
// accepted without a reply. The broker alone is also a relay: what is
// published on a topic comes out to its subscribers.
type Reference struct {
	// URL is the HTTP trigger, http://127.0.0.1:PORT/.
	URL string
	// GRPCAddr is the gRPC trigger, 127.0.0.1:PORT.
	GRPCAddr string
	// MQTTBroker is the embedded broker, tcp://127.0.0.1:PORT, and
	// MQTTTopic the topic the echo subscribes to (a filter of it: any
	// topic under it works too).
	MQTTBroker string
	MQTTTopic  string

	app    *app.App
	broker *broker.Broker
}

// referenceTopic is the topic of the reference's MQTT echo.
const referenceTopic = "conformance/echo"

// StartReference starts the reference provider. Call Close to stop it.
func StartReference() (*Reference, error) {
	b, err := broker.New("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("conformance: reference broker: %w", err)
	}
	cfg := &config.Config{
		Function:     config.Function{Name: config.BuiltinEcho, Builtin: config.BuiltinEcho},
		Concurrency:  config.DefaultConcurrency,
		Queue:        config.DefaultQueue,
		Timeout:      config.DefaultTimeout,
		Retry:        config.Retry{Attempts: 1, Backoff: config.DefaultRetryBackoff, MaxBackoff: config.DefaultRetryMaxBackoff},
		DrainTimeout: config.DefaultDrainTimeout,
		Replies:      []config.Sink{{Subscribers: true}},
		Triggers: []config.Trigger{
			{HTTP: &config.HTTPTrigger{Addr: "127.0.0.1:0"}},
			{GRPC: &config.GRPCTrigger{Addr: "127.0.0.1:0"}},
			{MQTT: &config.MQTTTrigger{URL: b.URL(), Topic: referenceTopic + "/#", Version: config.MQTT5, QoS: 1,
				ClientID: fmt.Sprintf("openevents-reference-%d", time.Now().UnixNano())}},
		},
	}
	cfg.Admin, cfg.AdminShared = "127.0.0.1:0", true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.New(ctx, cfg, app.Options{Stdout: io.Discard})
	if err == nil {
		err = a.Start(ctx)
	}
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("conformance: starting the reference (ce run's echo): %w", err)
	}
	return &Reference{
		URL: "http://" + a.HTTPAddr() + "/", GRPCAddr: a.GRPCAddr(),
		MQTTBroker: b.URL(), MQTTTopic: referenceTopic,
		app: a, broker: b,
	}, nil
}

// Close stops the provider, waiting up to five seconds for the events in
// flight, then its broker, and returns what went wrong, if anything.
func (r *Reference) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(r.app.Stop(ctx), r.broker.Close())
}

// ReferenceOrigin is the WebHook-Request-Origin of the reference sender.
const ReferenceOrigin = "reference.openevents.example"

// ReferenceSend is the embedded reference sender, for
// SenderTarget.Send: OpenEvents' HTTP Sender as a web-hook sender. It
// asks target for permission first (the abuse-protection handshake,
// cehttp's RequestPermission, with the origin ReferenceOrigin), then
// sends each event of the JSON array events to target in mode, one
// request each, with WebHook-Request-Origin and, when the run has one
// ([SenderToken]), the access token as a Bearer Authorization header.
func ReferenceSend(ctx context.Context, target string, mode Mode, events []byte) error {
	hs, err := cehttp.NewSender(target)
	if err != nil {
		return err
	}
	_, err = hs.RequestPermission(ctx, ReferenceOrigin, 0)
	hs.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("the web-hook handshake: %w", err)
	}
	opts := []cehttp.SenderOption{cehttp.WithRequestOrigin(ReferenceOrigin)}
	if token := SenderToken(ctx); token != "" {
		opts = append(opts, cehttp.WithHeader("Authorization", "Bearer "+token))
	}
	return referenceSend(ctx, target, mode, events, opts...)
}

// referenceSend is ReferenceSend with extra sender options (the faulty
// senders of the tests rewrite requests with a Doer).
func referenceSend(ctx context.Context, target string, mode Mode, events []byte, opts ...cehttp.SenderOption) error {
	es, err := jsonformat.DecodeBatch(events, nil)
	if err != nil {
		return fmt.Errorf("the events to send: %w", err)
	}
	m := binding.ModeBinary
	if mode == ModeStructured {
		m = binding.ModeStructured
	}
	s, err := cehttp.NewSender(target, append([]cehttp.SenderOption{cehttp.WithMode(m)}, opts...)...)
	if err != nil {
		return err
	}
	defer s.CloseIdleConnections()
	for i := range es {
		if _, err := s.Send(ctx, &es[i]); err != nil {
			return fmt.Errorf("event %s: %w", es[i].ID(), err)
		}
	}
	return nil
}
