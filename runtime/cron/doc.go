// Package cron is the cron trigger of the function runtime: a parser for
// standard five-field cron expressions ([Parse], [Schedule]) and a
// [Trigger] that makes a CloudEvent at each scheduled time and hands it to
// the host's dispatch function.
//
// # Expressions
//
// An expression has five fields, minute hour day-of-month month
// day-of-week, each a list of values, ranges and steps; see [Parse] for the
// grammar. Schedules are read in UTC: "0 2 * * *" is 02:00 UTC every day,
// and there is no daylight saving time to skip or repeat an hour.
//
// # Events
//
// The event made for a scheduled time has a new random id, the configured
// source and type, specversion 1.0, the scheduled time as its time
// attribute (RFC 3339, UTC, whole minutes) and no data. The time is the
// schedule's, not the moment the event was made, so a receiver can tell
// which tick an event stands for even when it was made late.
//
// # Overruns
//
// A trigger dispatches one event at a time. Times that pass while a
// dispatch is still running are not queued and not made up later: they are
// counted ([Stats].Missed) and reported to the error hook ([WithErrorHook],
// through which the host logs them), and the schedule resumes at its first
// time after the dispatch returned. The package itself never logs.
//
// # Testing
//
// A [Trigger] reads time only through a [Clock] ([WithClock]), so tests can
// drive it without waiting; under testing/synctest the default
// [SystemClock] works as well.
package cron
