// Package mqtt is the CloudEvents MQTT protocol binding: a [Publisher]
// and a [Subscriber] for MQTT 5.0 (binary and structured content modes,
// on eclipse/paho.golang) and MQTT 3.1.1 (structured mode only, on
// eclipse/paho.mqtt.golang). Import it as cemqtt.
//
// # Binary mode (MQTT 5.0)
//
// Every attribute except datacontenttype travels as its own PUBLISH User
// Property, named exactly as the attribute (no "ce-" prefix,
// MQTT-BINARY-6) with its canonical string value (MQTT-BINARY-7);
// datacontenttype is the PUBLISH Content Type property (MQTT-BINARY-1);
// the payload is the data (MQTT-BINARY-2). On receipt, user property
// values have no type, so extensions come back as String values; user
// properties whose names are not legal attribute names are other
// metadata and are ignored.
//
// # Structured mode
//
// The payload is the event in the JSON format, and with MQTT 5.0 the
// Content Type is application/cloudevents+json (MQTT-STRUCTURED-1,
// MQTT-STRUCTURED-3). A 3.1.1 payload is always read as a JSON-format
// event (MQTT-V311-1). A 5.0 message is read as structured when its
// Content Type starts with application/cloudevents, as binary otherwise
// (MQTT-MODE-3); a 5.0 message with no properties at all cannot be a
// binary-mode event and is read as a JSON-format event, which is how a
// 3.1.1 publisher's message reaches a 5.0 subscriber (MQTT-STRUCTURED-2).
// MQTT has no batch mode.
//
// # Delivery guarantees
//
// Publishers use QoS 1 by default and wait for the broker's
// acknowledgement. Subscribers acknowledge a message only after the
// handler succeeded and keep a persistent session, so a QoS 1 message
// received but not acknowledged when the subscriber crashed is delivered
// again when it restarts with the same client id: at least once, with
// possible duplicates (see [Subscriber]).
//
// # Errors
//
// Broker reason codes map through one table to [ReasonError], which
// matches [ErrNotAuthorized], [ErrTopicInvalid] and binding.ErrRejected;
// [IsRetryable] tells transient failures from permanent ones. Messages
// that are not CloudEvents reach the [WithErrorHook] hook, every one of
// them, as a [MessageError] with the topic and broker, wrapping the
// decoder's error, which names the broken requirement; [Subscriber.Stats]
// counts them.
//
// # Limits
//
// A client refuses to receive MQTT packets larger than
// [WithMaxMessageBytes] (default [DefaultMaxMessageBytes], 4 MiB). With
// MQTT 5.0 the limit is the CONNECT Maximum Packet Size, so the broker
// withholds larger messages; with 3.1.1, or from a broker that ignores
// it, a larger PUBLISH is read and discarded in pieces, never held
// whole, then acknowledged, counted and reported (see the option). A
// subscriber therefore holds at most one message of at most the limit at
// a time, plus the decoded event.
//
// Neither paho client has a receive limit of its own: both read a
// packet's Remaining Length and allocate that much at once (up to 256
// MiB), paho.golang whatever Maximum Packet Size it sent. The limit is
// therefore enforced on the connection, under paho, for both versions.
// What it does not bound:
//   - with MQTT 3.1.1 the broker is never told, so a larger message still
//     crosses the network and is read off the socket to be discarded:
//     bandwidth and time, not memory (an 8 KiB buffer and the topic);
//   - a message within the limit costs paho up to about twice its size
//     while it is read (packet buffer and payload);
//   - the stub that stands for a discarded PUBLISH holds its topic, up to
//     64 KiB, even under a smaller limit;
//   - a broker that sends a larger packet of another kind (a SUBACK, say)
//     has the connection dropped each time, and the client reconnects.
//
// The package never logs; package broker (transports/mqtt/broker) is an
// embedded broker for tests and examples.
package mqtt
