package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// listenMQTT subscribes to --topic on the --mqtt broker until ctx ends
// (interrupt, or --count events).
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
	onError := func(_ string, err error) {
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
	// WithTLS(nil) leaves TLS off, as without the option.
	sub, err := cemqtt.NewSubscriber(o.mqttURL, o.topic, h, cemqtt.WithVersion(ver), cemqtt.WithQoS(byte(o.qos)),
		cemqtt.WithCleanStart(true), cemqtt.WithSessionExpiry(0),
		cemqtt.WithErrorHook(onError), cemqtt.WithTLS(tc))
	if err != nil {
		return usageError(err)
	}
	defer func() { _ = sub.Shutdown(context.WithoutCancel(ctx)) }()
	if err := sub.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while connecting
		}
		return mqttError(err)
	}
	p.Listening(fmt.Sprintf("MQTT %s messages on topic %s", ver, o.topic), strings.TrimSpace(o.mqttURL))
	<-ctx.Done()
	return sub.Shutdown(context.WithoutCancel(ctx))
}
