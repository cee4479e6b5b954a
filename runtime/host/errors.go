package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/openevents/openevents/event/binding"
)

// Errors of the host. Dispatch's outcomes wrap the protocol-neutral
// outcomes of event/binding, so every trigger answers them through its
// own table (HTTP status, gRPC code, MQTT reason code).
var (
	// ErrConfig is wrapped by every error of [New] about a bad option.
	ErrConfig = errors.New("invalid host configuration")

	// ErrOverloaded is wrapped by Dispatch when every slot is busy and
	// the queue is full. It matches binding.ErrOverloaded (HTTP 429,
	// gRPC RESOURCE_EXHAUSTED): the event was not accepted, the sender
	// should try again later.
	ErrOverloaded = binding.Sentinel("host: overloaded", binding.ErrOverloaded)

	// ErrDraining is wrapped by Dispatch after [Host.Drain] or
	// [Host.Close] began, and by [Host.Ready] then. It matches
	// binding.ErrUnavailable (HTTP 503, gRPC UNAVAILABLE).
	ErrDraining = binding.Sentinel("host: draining", binding.ErrUnavailable)

	// ErrTimeout is wrapped by the failure of an attempt whose function
	// did not return within the timeout. It also matches
	// context.DeadlineExceeded. It is transient: the attempt is retried.
	ErrTimeout = errors.New("host: the function did not return in time")

	// ErrStuck is wrapped by [Host.Ready] while a function has run longer
	// than the stuck-after limit.
	ErrStuck = errors.New("host: function stuck")
)

// FailedError is what Dispatch returns when every attempt of an event
// failed and no dead-letter sink took it: the trigger must not
// acknowledge the event. Err is the last attempt's error (a
// *binding.PanicError for a panic, an error wrapping [ErrTimeout] for a
// timeout); DeadLetterErr is the dead-letter sink's error, if it failed.
type FailedError struct {
	Attempts      int   // attempts made
	Err           error // the last attempt's error
	DeadLetterErr error // the dead-letter sink's error, or nil
}

func (e *FailedError) Error() string {
	s := fmt.Sprintf("host: the function failed %d time(s): %v", e.Attempts, e.Err)
	if e.DeadLetterErr != nil {
		s += fmt.Sprintf("; the dead-letter sink failed too: %v", e.DeadLetterErr)
	}
	return s
}

// Unwrap returns the last attempt's error and the dead-letter error.
func (e *FailedError) Unwrap() []error {
	if e.DeadLetterErr != nil {
		return []error{e.Err, e.DeadLetterErr}
	}
	return []error{e.Err}
}

// timeoutError is built once per host so that a timeout allocates
// nothing.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return e.msg }

func (e *timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}
