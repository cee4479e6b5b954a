// Package external runs functions outside the host process, as
// [function.Function] values for the function runtime (ce run):
//
//   - [Exec]: long-lived child processes, in any language, that read one
//     JSON event per line on their standard input and answer each with
//     one line on their standard output (the exec protocol,
//     docs/exec-protocol.md).
//   - [HTTP]: an HTTP endpoint, sent each event in binary mode by the
//     project's HTTP sender (transports/http); a CloudEvent in a 2xx
//     response is the reply.
//   - [GRPC]: the user's openevents.v1.EventService, sent each event with
//     Publish (transports/grpc); it never replies.
//
// # Outcomes
//
// All three follow the Function contract: a nil error means the event was
// handled; an error matching binding.ErrRejected is permanent (the event
// itself is refused: an event that does not encode, a child's
// {"permanent": true} error, an HTTP 4xx other than 408 and 429, a gRPC
// INVALID_ARGUMENT and the other refusals listed at [GRPCFunction.Call]);
// every other error is transient and the host may retry the event. A
// failure of the function's machinery (a child that crashed, broke the
// protocol or was killed because the call's context ended; a server that
// is down) is always transient, so a retrying host has every event handled
// at least once and never drops one in silence.
//
// # Processes
//
// An [ExecFunction] keeps its children running between events. Each child
// handles one event at a time; [WithProcesses] runs several. A child that
// fails is started again, after a backoff that doubles with each failure
// in a row ([WithRestartBackoff]), by the next call that needs it. The
// children's standard error and exits are logged to a *slog.Logger
// ([WithLogger]); nothing else is logged.
//
// [function.Function]: github.com/openevents/openevents/runtime/function.Function
package external
