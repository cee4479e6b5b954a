// Package telemetry records the events a function runtime handles as
// OpenTelemetry spans and exports them over OTLP/HTTP (protobuf) to a
// collector. Its [Tracer] is a runtime/host Tracer: give it to the host
// with host.WithTracer. Without it (the default) nothing is traced and
// the host pays one nil check per event.
//
// # Spans
//
// The host asks for one span per dispatch of an event, not one per
// attempt: the span covers the wait for a slot, every attempt with the
// backoff between them, and the reply and dead-letter sinks, so that one
// delivered event is one span in its trace. Its name is "process"
// followed by the function's name, its kind is consumer, and it carries
// the attributes of the OpenTelemetry semantic conventions for
// CloudEvents (cloudevents.event_id, cloudevents.event_source,
// cloudevents.event_spec_version, cloudevents.event_type and, when the
// event has one, cloudevents.event_subject) and of OpenEvents
// (openevents.trigger, openevents.function, openevents.outcome and, for
// an event whose every attempt failed, openevents.attempts). Its status
// is Ok when the event was acknowledged and Error, with the error's
// text, otherwise.
//
// The parent is the W3C traceparent the context carries (package
// runtime/trace: the trigger's protocol header, or else the event's
// traceparent extension); without one the span starts a new trace. The
// context the function gets carries the span's own traceparent, so an
// event the function forwards names this span as its parent. Sampling
// follows the parent: a traceparent whose sampled flag is clear gives an
// unsampled span, which is passed on but not exported; a new trace is
// always sampled.
//
// # Bounds
//
// Ended spans wait in a queue of [WithQueueSize] spans
// ([DefaultQueueSize]) and are sent in batches of up to [WithBatchSize]
// ([DefaultBatchSize]) once a batch is full or [WithBatchTimeout]
// ([DefaultBatchTimeout]) after the first span of one; each export,
// its retries included, ends after [WithExportTimeout]
// ([DefaultExportTimeout]). A span that finds the queue full is dropped
// rather than holding up the event: [Tracer.Stats] counts it, and
// [Tracer.Shutdown] reports through the error hook ([WithErrorHook]) how
// many spans were not exported. A failed export is reported through the
// same hook, never logged. Attribute values are cut to
// [MaxAttributeLength] characters.
//
// # The environment
//
// The exporter, the batcher, the sampler and the span limits are all set
// from the options, so the OTEL_EXPORTER_OTLP_*, OTEL_BSP_*,
// OTEL_TRACES_SAMPLER* and OTEL_SPAN_*_LIMIT variables have no effect.
// The resource is the exception: OTEL_RESOURCE_ATTRIBUTES adds its
// attributes to every span's resource, as the OpenTelemetry SDK always
// does, and the service name of [WithServiceName] wins over
// OTEL_SERVICE_NAME.
package telemetry
