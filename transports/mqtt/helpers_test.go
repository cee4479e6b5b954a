package mqtt_test

import (
	"context"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

func jsonOf(e *event.Event) (string, error) {
	b, err := jsonformat.Append(nil, e)
	return string(b), err
}

// startSubscriber makes a subscriber and starts it, as most tests want.
func startSubscriber(ctx context.Context, url, filter string, h binding.Handler, opts ...cemqtt.SubscriberOption) (*cemqtt.Subscriber, error) {
	s, err := cemqtt.NewSubscriber(url, filter, h, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Start(ctx); err != nil {
		_ = s.Shutdown(ctx)
		return nil, err
	}
	return s, nil
}
