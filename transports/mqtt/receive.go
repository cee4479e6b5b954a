package mqtt

import (
	"fmt"
	"unicode/utf8"

	"github.com/eclipse/paho.golang/paho"

	"github.com/openevents/openevents/event"
)

// receive turns one received PUBLISH into e: what a [Subscriber] does with
// every message before its handler sees it. With MQTT 5.0 it first checks
// the strings the binding reads, which paho passes on unchecked, then
// decodes as the binding says, with at most maxAttrs attributes (see
// decodeLimited). It does not retain props; e retains payload.
func receive(v Version, contentType string, props []paho.UserProperty, payload []byte, e *event.Event, maxAttrs int) error {
	if v == Version5 {
		if err := checkStrings(contentType, props); err != nil {
			return err
		}
	}
	return decodeLimited(v, contentType, props, payload, e, maxAttrs)
}

// checkStrings refuses a PUBLISH whose Content Type or user properties
// are not well-formed UTF-8 or hold U+0000, which makes the packet
// malformed (MQTT 5.0 section 1.5.4, [MQTT-1.5.4-1], [MQTT-1.5.4-2]), and
// a Content Type with a control character or noncharacter, which section
// 1.5.4 lets a receiver treat as malformed and which no media type
// contains. Refusing them here also keeps such bytes out of the error
// messages that quote the Content Type.
func checkStrings(contentType string, props []paho.UserProperty) error {
	if i := badString(contentType, true); i >= 0 {
		return fmt.Errorf("%w: the Content Type has a malformed or disallowed character at byte %d (MQTT 5.0 section 1.5.4, [MQTT-1.5.4-1])", ErrMalformed, i)
	}
	for n, p := range props {
		if i := badString(p.Key, false); i >= 0 {
			return fmt.Errorf("%w: the name of user property %d is not well-formed UTF-8 or holds U+0000 at byte %d ([MQTT-1.5.4-1], [MQTT-1.5.4-2])", ErrMalformed, n+1, i)
		}
		if i := badString(p.Value, false); i >= 0 {
			return fmt.Errorf("%w: the value of user property %d is not well-formed UTF-8 or holds U+0000 at byte %d ([MQTT-1.5.4-1], [MQTT-1.5.4-2])", ErrMalformed, n+1, i)
		}
	}
	return nil
}

// badString returns the byte offset of the first character of s that is
// ill-formed UTF-8 or U+0000, or, when strict, also a control character
// (U+0001–U+001F, U+007F–U+009F) or noncharacter; -1 when there is none.
func badString(s string, strict bool) int {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && len(s[i:]) > 0:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		case r == 0:
			return i
		case strict && (r < 0x20 || (r >= 0x7f && r <= 0x9f) || isNoncharacter(r)):
			return i
		}
	}
	return -1
}

func isNoncharacter(r rune) bool {
	return (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}
