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
// This package links the generated io.cloudevents.v1 types, which register
// the same protobuf names as sdk-go's binding/format/protobuf/v2. The
// protobuf runtime refuses a binary that registers a name twice and panics
// at start-up; a program that needs both must run with
// GOLANG_PROTOBUF_REGISTRATION_CONFLICT=warn (or build with
// -ldflags=-X=google.golang.org/protobuf/reflect/protoregistry.conflictPolicy=warn).
// sdk-go's JSON and HTTP packages do not conflict.
package grpc
