package mqtt_test

import (
	"errors"
	"testing"

	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// TestNeutralOutcomes: cemqtt's message sentinels and the broker's reason
// codes match the protocol-neutral outcomes of event/binding they stand
// for, and no other.
func TestNeutralOutcomes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     error
		outcome error
	}{
		{"ErrMessageTooLarge", cemqtt.ErrMessageTooLarge, binding.ErrTooLarge},
		{"ErrMalformed", cemqtt.ErrMalformed, binding.ErrMalformed},
		{"ErrUnsupportedFormat", cemqtt.ErrUnsupportedFormat, binding.ErrUnsupportedMediaType},
		{"0x88 server unavailable", &cemqtt.ReasonError{Packet: "CONNACK", Code: 0x88}, binding.ErrUnavailable},
		{"0x89 server busy", &cemqtt.ReasonError{Packet: "CONNACK", Code: 0x89}, binding.ErrOverloaded},
		{"0x95 packet too large", &cemqtt.ReasonError{Packet: "PUBACK", Code: 0x95}, binding.ErrTooLarge},
		{"0x97 quota exceeded", &cemqtt.ReasonError{Packet: "PUBACK", Code: 0x97}, binding.ErrOverloaded},
		{"0x99 payload format invalid", &cemqtt.ReasonError{Packet: "PUBACK", Code: 0x99}, binding.ErrRejected},
	} {
		if !errors.Is(tt.err, tt.outcome) {
			t.Errorf("%s does not match %v", tt.name, tt.outcome)
		}
		for _, other := range []error{binding.ErrTooLarge, binding.ErrMalformed, binding.ErrUnsupportedMediaType, binding.ErrUnavailable, binding.ErrOverloaded, binding.ErrRejected} {
			if other != tt.outcome && errors.Is(tt.err, other) { //nolint:errorlint // the sentinels are compared by identity, to skip the expected one
				t.Errorf("%s also matches %v", tt.name, other)
			}
		}
	}
}
