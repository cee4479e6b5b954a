// Package grpc is the gRPC binding of OpenEvents (spec/grpc-binding.md):
// the openevents.v1.EventService and, for existing clients, the de-facto
// io.cloudevents.v1.CloudEventService. Import it as cegrpc.
//
// Events travel in the protobuf event format (package protoformat),
// structured mode only: a CloudEvent message per event, no attributes in
// gRPC metadata.
//
// # Server
//
// [NewServer] wraps a [binding.Handler]; [Server.Register] adds both
// services to a *grpc.Server, which the caller owns and creates with
// [Server.GRPCOptions]. Every received event is acknowledged only after
// the handler returned for it: a unary Publish answers OK, a Stream batch
// is acknowledged with the status of each event. [Server.Publish] fans
// events out to subscribers, and [Server.Drain] ends calls gracefully
// before grpc.Server.GracefulStop.
//
// # Client
//
// [NewClient] connects to an EventService. [Client.Publish] sends one
// event; [Client.Stream] opens a [Stream] that sends batches with a window
// of unacknowledged events and returns an [Ack] per batch;
// [Client.Subscribe] receives the events that match a [Filter].
//
// # Limits
//
// A Server bounds what one client can make it spend, with these defaults
// (each has an option): 100 calls open per connection
// ([DefaultMaxConcurrentStreams]; gRPC clients queue above it, other peers
// get REFUSED_STREAM), 4 MiB per message ([DefaultMaxMessageBytes]), a
// Stream call ended with DEADLINE_EXCEEDED after 2 minutes without a
// complete batch and a Subscribe call after 2 minutes without its request
// ([DefaultStreamIdleTimeout]; a batch must arrive whole within it, so it
// also sets the slowest transfer accepted), connections without calls
// closed after 5 minutes ([DefaultMaxConnectionIdle]), clients that ping
// more often than every 10 seconds sent GOAWAY ENHANCE_YOUR_CALM
// ([DefaultMinPingInterval]), and silent connections pinged after 2
// minutes and closed when the ping goes unanswered for 20 seconds.
//
// A message is held only while it is handled: received bytes go into a
// pooled buffer and the events decoded from a batch into a pooled slice,
// both given back once the batch is acknowledged. An idle Stream call
// holds about 23 KB (measured: 6 KB of heap objects, of gRPC's stream
// state and ours, and 17 KB of stacks of its two goroutines;
// TestHostileIdleStreams keeps it under 48 KiB), so 100 calls that each
// sent a 4 MiB batch and went quiet hold about 2 MiB, not 400. While
// batches are in transit a connection can hold up to its stream limit
// times the message limit, twice over (gRPC's buffers and ours): bound the
// number of connections at the listener.
//
// Not bounded yet: a unary Publish whose request never arrives waits
// inside gRPC, before this package sees the call, until the connection
// closes (keepalive, or the client); it still counts against the stream
// limit.
//
// # Errors
//
// code.go holds the one table between handler and decoder errors and gRPC
// status codes. Statuses for invalid events carry the requirement IDs of
// the rules they break. Callers branch with errors.Is(err,
// binding.ErrRejected) and [IsRetryable].
//
// # Hot path
//
// Messages pass through gRPC's standard codec as raw bytes (see frame.go),
// and package protoformat encodes and decodes them by hand, so no codec
// has to be registered and the generated types stay off the hot path.
//
// # Living beside sdk-go
//
// This package links none of the generated code under proto/gen: the
// service descriptions, method paths and the small request and response
// messages of both services are written by hand (message.go) and checked
// against the generated ones in tests. The generated io.cloudevents.v1
// types register the official protobuf names (io.cloudevents.v1.CloudEvent
// and its siblings), as sdk-go's binding/format/protobuf/v2 does, and the
// protobuf runtime panics at start-up in a binary that registers a name
// twice; a program can therefore import this package and sdk-go's protobuf
// format together (internal/coexist is one, run by the tests). A program
// that imports proto/gen/io/cloudevents/v1 or proto/gen/openevents/v1
// itself still cannot also import sdk-go's protobuf format. gRPC server
// reflection describes the two services only in a binary that imports
// those generated packages.
package grpc
