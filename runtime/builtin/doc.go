// Package builtin holds the functions the runtime ships, each a
// [function.Function] that a configuration names instead of a program:
//
//   - [Echo] replies with the event it was given.
//   - [Noop] accepts every event and replies nothing.
//   - [Log] writes every event to an io.Writer as one JSON line.
//   - [Forward] sends every event on to one or more sinks.
//   - [Filter] calls another function only for the events that match a
//     Subscriptions API filter, and counts the others.
//
// All are safe for concurrent use. Echo, Noop and Filter (before the
// function it guards) do not allocate; Log encodes into pooled buffers.
//
// [function.Function]: github.com/openevents/openevents/runtime/function.Function
package builtin
