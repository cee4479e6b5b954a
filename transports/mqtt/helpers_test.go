package mqtt_test

import (
	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
)

func jsonOf(e *event.Event) (string, error) {
	b, err := jsonformat.Append(nil, e)
	return string(b), err
}
