// Package sink holds the [function.Sink] implementations of the function
// runtime: where it sends the events a function emits, and the events that
// failed every attempt (the dead-letter sink).
//
//   - [HTTP] posts each event to a URL in binary content mode (cehttp).
//   - [GRPC] calls Publish of an openevents.v1.EventService (cegrpc).
//   - [MQTT] publishes each event to one topic of a broker (cemqtt).
//   - [File] appends each event to a file as one line in the JSON format.
//
// Every sink is safe for concurrent use, does not retain the event after
// Send returns, and after Close refuses Send with [ErrClosed]. Send returns
// once the destination has taken the event (a 2xx answer, a gRPC OK, the
// broker's acknowledgement, the write call), so an error means it may not
// have: the host treats it as a transient failure and tries again, which
// makes delivery at-least-once.
//
// The network sinks are thin adapters over the transports; their options
// are the transports' own sender options, passed through unchanged. Errors
// wrap the transport's error (errors.Is binding.ErrRejected, the
// transport's IsRetryable and errors.As work on them) and name the sink and
// its destination, with any password in a URL redacted.
//
// [function.Sink]: github.com/openevents/openevents/runtime/function.Sink
package sink
