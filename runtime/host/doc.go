// Package host runs a function (runtime/function) for the function
// runtime's triggers: it sits between a trigger, which calls
// [Trigger.Dispatch] on its own I/O goroutine for each event, and the
// function, and decides what the trigger answers.
//
// # Slots and the queue
//
// At most Concurrency functions run at once ([WithConcurrency]). A
// Dispatch call takes a slot and keeps it until its outcome (retries,
// backoff and reply or dead-letter sends included). When none is free it
// waits in a FIFO queue of QueueSize places ([WithQueueSize]); when the
// queue is full it fails at once with [ErrOverloaded], which wraps
// binding.ErrOverloaded: HTTP answers 429, gRPC RESOURCE_EXHAUSTED, a
// message trigger stops taking messages. Nothing is dropped in silence.
//
// # Inline or on a worker
//
// Without a timeout ([WithTimeout](0)) the function runs inline, on the
// trigger's goroutine: no hand-off, and no allocation per event. With a
// timeout (the default, [DefaultTimeout]) each attempt runs on a pooled
// worker goroutine and the caller waits for it, for the deadline or for
// its context, whichever comes first. At the deadline the function's
// context ends and Dispatch fails the attempt with [ErrTimeout] at once,
// even if the function ignores its context. Such a late function keeps
// its slot until it really returns, so the host never runs more than
// Concurrency functions; it is counted ([MetricLate]) and, once it has
// run StuckAfter past its deadline ([WithStuckAfter]), [Host.Ready]
// fails so that an orchestrator stops sending and can restart the
// process. A worker gets its own copy of the event in reused buffers
// (the trigger may reuse the original once Dispatch returns); a reply
// from a worker is cloned for the caller.
//
// [WithCooperativeTimeout] keeps a timed function inline: its context
// ends at the deadline (within one tick of a watcher), and an attempt
// whose context ended fails with [ErrTimeout], but the caller waits for
// the function to return. It costs about 0.12 µs an event more than no
// timeout (the context's allocation, below), against the worker's 1 µs;
// it suits functions that honour their context, which is why ce run uses
// it.
//
// With a timeout, every attempt gets a context of its own (the one
// allocation per event): goroutines a function starts may keep it after
// it returned (net/http's dialer does), so it is never reused, and it
// ends with context.Canceled once the function returned, as a context of
// context.WithTimeout does after its cancel. A [function.Contained]
// function promises that nothing reads its context once it returned, so
// its slot reuses one and a call allocates nothing.
//
// # Outcomes and acknowledgement
//
//   - nil: acknowledge. The function succeeded; or the event was a
//     duplicate ([WithDedupe]); or every attempt failed and the
//     dead-letter sink ([WithDeadLetter]) took it: the event is safe.
//   - [ErrOverloaded] (binding.ErrOverloaded), [ErrDraining]
//     (binding.ErrUnavailable): the function did not run; the sender
//     should try later (429 or 503, RESOURCE_EXHAUSTED or UNAVAILABLE).
//   - an error wrapping binding.ErrRejected, returned by the function: the
//     event will never be accepted. It is neither retried nor
//     dead-lettered; the trigger refuses it (400, INVALID_ARGUMENT).
//   - a [*FailedError]: every attempt failed (an error, a recovered panic
//     as a *binding.PanicError, a timeout) and no dead-letter sink took
//     it. The trigger must not acknowledge, so that the sender delivers
//     it again (at least once).
//
// A failed attempt is retried up to [WithAttempts] with exponential
// backoff and full jitter ([WithBackoff]). The dead-letter sink gets the
// event as Dispatch got it plus [DeadLetterAttempts], [DeadLetterError]
// and [DeadLetterTrigger]. A function running inline that changes its
// event in place changes what a retry and the dead-letter sink see.
//
// Replies go back to the trigger (a request/reply protocol answers with
// them) and to every reply sink ([WithReplies]); a reply sink's failure
// is logged and counted ([MetricSinkErrors]) but does not fail the event,
// which was handled.
//
// # Order, duplicates, traces
//
// With [WithPartitionOrder], events with the same partitionkey run one
// at a time in arrival order, late functions included; others run in
// parallel. With [WithDedupe], an event whose (source, id) was
// acknowledged within the window is acknowledged again without a call.
// The event's traceparent extension goes into the function's context
// (package runtime/trace) unless the trigger put one there from its
// protocol's headers.
//
// # Stopping
//
// [Host.Drain] refuses new events with [ErrDraining], ends queued calls,
// stops retries and waits for what runs; [Host.Close] then ends the idle
// workers. Metrics (see the Metric constants) are labelled by trigger and
// function and resolved once per [Trigger], so counting an event costs a
// few atomic adds.
package host
