package main

import (
	"errors"
	"fmt"

	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// The flags and errors ce send --mqtt and ce listen --mqtt share.

// mqttVersion maps --mqtt-version to a protocol version.
func mqttVersion(v int) (cemqtt.Version, error) {
	switch v {
	case 5:
		return cemqtt.Version5, nil
	case 3, 4, 311:
		return cemqtt.Version311, nil
	}
	return 0, fmt.Errorf("--mqtt-version %d: want 5 or 3 (3.1.1)", v)
}

// mqttArgs checks the flags every MQTT command shares.
func mqttArgs(topic string, ver, qos int) (cemqtt.Version, error) {
	if topic == "" {
		return 0, errors.New("--mqtt needs --topic")
	}
	if qos < 0 || qos > 2 {
		return 0, fmt.Errorf("--qos %d: want 0, 1 or 2", qos)
	}
	return mqttVersion(ver)
}

// mqttError maps an error of the MQTT binding to ce's exit status.
func mqttError(err error) error {
	if errors.Is(err, cemqtt.ErrConfig) {
		return usageError(err)
	}
	return failure(err)
}
