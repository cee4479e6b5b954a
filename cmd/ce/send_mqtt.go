package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// sendMQTT publishes e to --topic on the --mqtt broker and prints what it sent.
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
	// WithTLS(nil) leaves TLS off, as without the option.
	pub, err := cemqtt.NewPublisher(ctx, o.mqttURL, cemqtt.WithVersion(ver), cemqtt.WithMode(mode), cemqtt.WithQoS(byte(o.qos)), cemqtt.WithTLS(tc))
	if err != nil {
		return mqttError(err)
	}
	defer func() { _ = pub.Close(context.WithoutCancel(ctx)) }()
	if err := pub.Publish(ctx, o.topic, e); err != nil {
		return mqttError(fmt.Errorf("publish to %s on %s: %w", o.topic, o.mqttURL, err))
	}
	_, err = fmt.Fprintf(stdout, "sent event %s to topic %s on %s (MQTT %s, %s mode, QoS %d)\n", e.ID(), o.topic, o.mqttURL, ver, mode, o.qos)
	return err
}
