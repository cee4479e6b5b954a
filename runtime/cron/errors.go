package cron

import (
	"errors"
	"strconv"
	"time"
)

// ParseError is what [Parse] returns for an expression it cannot read.
type ParseError struct {
	// Expr is the expression as given (cut short if it was over
	// [MaxExprLen]).
	Expr string
	// Field is "minute", "hour", "day-of-month", "month" or "day-of-week",
	// or empty when the expression as a whole is wrong (the number of
	// fields, an unknown @ shorthand, its length).
	Field string
	// Token is the list item or shorthand at fault, as written.
	Token string
	// Reason says what is wrong with it.
	Reason string
}

func (e *ParseError) Error() string {
	s := "cron: " + strconv.Quote(e.Expr) + ": "
	if e.Field != "" {
		s += e.Field + " field: "
	}
	if e.Token != "" || e.Field != "" {
		s += "bad token " + strconv.Quote(e.Token) + ": "
	}
	return s + e.Reason
}

// Errors of [Trigger]'s lifecycle methods.
var (
	// ErrClosed is returned by [Trigger.Start] after [Trigger.Shutdown].
	ErrClosed = errors.New("cron: trigger shut down")
	// ErrRunning is returned by a second [Trigger.Start].
	ErrRunning = errors.New("cron: trigger already started")
	// ErrScheduleEnded is reported to the error hook when the schedule
	// has no time in the next years, and the trigger stops. No schedule
	// from [Parse] does that.
	ErrScheduleEnded = errors.New("cron: schedule has no further time; trigger stopped")
)

// DispatchError reports, to the hook of [WithErrorHook], that the
// dispatch of an event returned an error or panicked (Err is then a
// *binding.PanicError).
type DispatchError struct {
	ID     string    // the event's id
	Time   time.Time // the scheduled time, the event's time attribute
	Source string    // the event's source
	Type   string    // the event's type
	Err    error     // what the dispatch returned
}

func (e *DispatchError) Error() string {
	return "cron: dispatch of event " + e.ID + " (type " + strconv.Quote(e.Type) + ", scheduled " +
		e.Time.Format(time.RFC3339) + ") failed: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *DispatchError) Unwrap() error { return e.Err }

// MissedError reports, to the hook of [WithErrorHook], scheduled times
// that passed while a dispatch was running; no event is made for them.
type MissedError struct {
	Count       uint64    // how many times passed
	First, Last time.Time // the first and last of them, UTC
	Source      string    // the source of the trigger's events
	Type        string    // the type of the trigger's events
}

func (e *MissedError) Error() string {
	return "cron: " + strconv.FormatUint(e.Count, 10) + " scheduled times of type " + strconv.Quote(e.Type) +
		" missed while a dispatch ran (" + e.First.Format(time.RFC3339) + " to " + e.Last.Format(time.RFC3339) + ")"
}
