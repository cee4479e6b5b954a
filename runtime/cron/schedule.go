package cron

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// field describes one of the five fields of an expression: its name in
// errors, its range and the names it accepts.
type field struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i; nil if the field has none
	hint     string   // what a value looks like, for errors
}

// The five fields, in the order they are written.
var fields = [5]field{
	{name: "minute", min: 0, max: 59, hint: "0-59"},
	{name: "hour", min: 0, max: 23, hint: "0-23"},
	{name: "day-of-month", min: 1, max: 31, hint: "1-31"},
	{name: "month", min: 1, max: 12, hint: "1-12 or JAN-DEC",
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	// 7 is Sunday too, as in most crons; it is folded onto 0 after parsing.
	{name: "day-of-week", min: 0, max: 7, hint: "0-7 (0 and 7 are Sunday) or SUN-SAT",
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// Field indexes.
const (
	fMinute = iota
	fHour
	fDOM
	fMonth
	fDOW
)

// macros are the @ shorthands of the usual crontab, each standing for a
// five-field expression. @reboot has no time and is refused.
var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// daysIn is the most days each month can have (February in a leap year).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// MaxExprLen is the longest expression [Parse] reads, in bytes. A real
// schedule is a few dozen bytes; the bound keeps a hostile one from costing
// more than a glance.
const MaxExprLen = 1024

// A Schedule is a parsed five-field cron expression. It is immutable and
// safe for concurrent use. The zero value matches nothing; build one with
// [Parse].
type Schedule struct {
	// bits[f] has bit v set when value v is allowed in field f.
	bits [5]uint64
	// domStar and dowStar record that day-of-month or day-of-week was
	// written as a bare "*", which decides how the two combine.
	domStar, dowStar bool
	expr             string
}

// Parse reads a standard five-field cron expression:
//
//	minute hour day-of-month month day-of-week
//
// Each field is a comma-separated list of items; an item is "*", a value
// or a range "a-b", optionally followed by a step "/n" ("*/15", "1-30/2",
// and "5/15", which means 5 to the end of the range in steps of 15).
// Values are numbers in the field's range (minute 0-59, hour 0-23,
// day-of-month 1-31, month 1-12, day-of-week 0-7 with both 0 and 7 for
// Sunday) or, for month and day-of-week, the English three-letter names
// JAN-DEC and SUN-SAT in any case. Fields are separated by spaces or tabs.
// The shorthands @yearly (@annually), @monthly, @weekly, @daily
// (@midnight) and @hourly are accepted too.
//
// When both day-of-month and day-of-week are restricted (neither is a bare
// "*"), a day matches if either matches, as in every Unix cron: "0 0 13 * FRI"
// runs on every 13th and on every Friday. When one of them is "*", only the
// other decides.
//
// Parse refuses an expression that can never match, such as "0 0 30 2 *".
// Errors are a *[ParseError] naming the field and the bad token.
func Parse(expr string) (*Schedule, error) {
	if len(expr) > MaxExprLen {
		return nil, &ParseError{Expr: expr[:64] + "...", Reason: "expression longer than " + strconv.Itoa(MaxExprLen) + " bytes"}
	}
	text := strings.TrimSpace(expr)
	if strings.HasPrefix(text, "@") {
		m, ok := macros[strings.ToLower(text)]
		if !ok {
			return nil, &ParseError{Expr: expr, Token: text,
				Reason: "unknown shorthand; want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly"}
		}
		text = m
	}
	parts := strings.Fields(text)
	if len(parts) != 5 {
		return nil, &ParseError{Expr: expr,
			Reason: "want 5 fields (minute hour day-of-month month day-of-week), got " + strconv.Itoa(len(parts))}
	}
	s := &Schedule{expr: expr}
	for i, p := range parts {
		b, err := parseField(&fields[i], p)
		if err != nil {
			err.Expr = expr
			return nil, err
		}
		s.bits[i] = b
	}
	// Sunday is both 0 and 7; keep it as 0, the value time.Weekday uses.
	if s.bits[fDOW]&(1<<7) != 0 {
		s.bits[fDOW] = s.bits[fDOW]&^(1<<7) | 1
	}
	s.domStar = parts[fDOM] == "*"
	s.dowStar = parts[fDOW] == "*"
	if err := s.checkReachable(parts); err != nil {
		err.Expr = expr
		return nil, err
	}
	return s, nil
}

// checkReachable refuses a day-of-month that no selected month has, when
// day-of-week cannot rescue it: with "*" for day-of-week only the
// day-of-month decides.
func (s *Schedule) checkReachable(parts []string) *ParseError {
	if s.domStar || !s.dowStar {
		return nil
	}
	first := bits.TrailingZeros64(s.bits[fDOM]) // the smallest day selected
	for m := 1; m <= 12; m++ {
		if s.bits[fMonth]&(1<<m) != 0 && first <= daysIn[m] {
			return nil
		}
	}
	return &ParseError{Field: fields[fDOM].name, Token: parts[fDOM],
		Reason: "no selected month has that day, so the schedule never fires"}
}

// parseField parses one field into its bit set.
func parseField(f *field, text string) (uint64, *ParseError) {
	var set uint64
	for item := range strings.SplitSeq(text, ",") {
		b, err := parseItem(f, item)
		if err != nil {
			return 0, err
		}
		set |= b
	}
	return set, nil
}

// parseItem parses "*", "v", "a-b", each optionally with "/step".
func parseItem(f *field, item string) (uint64, *ParseError) {
	bad := func(token, reason string) *ParseError {
		return &ParseError{Field: f.name, Token: token, Reason: reason}
	}
	if item == "" {
		return 0, bad(item, "empty list item")
	}
	rng, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		n, ok := number(stepText)
		if !ok || n < 1 || n > f.max {
			return 0, bad(item, "step "+strconv.Quote(stepText)+" is not a number from 1 to "+strconv.Itoa(f.max))
		}
		step = n
	}
	lo, hi := f.min, f.max
	if rng == "*" {
		if f.name == "day-of-week" {
			hi = 6 // 7 repeats Sunday; "*/2" must not select it twice
		}
	} else {
		a, b, isRange := strings.Cut(rng, "-")
		var err *ParseError
		if lo, err = value(f, a, item); err != nil {
			return 0, err
		}
		switch {
		case isRange:
			if hi, err = value(f, b, item); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, bad(item, "range start "+a+" is after its end "+b)
			}
		case !hasStep:
			hi = lo
		}
		// "5/15" runs from 5 to the end of the field's range.
	}
	var set uint64
	for v := lo; v <= hi; v += step {
		set |= 1 << v
	}
	return set, nil
}

// value reads one number or name of field f.
func value(f *field, s, item string) (int, *ParseError) {
	if n, ok := number(s); ok {
		if n < f.min || n > f.max {
			return 0, &ParseError{Field: f.name, Token: item,
				Reason: strconv.Quote(s) + " is out of range " + strconv.Itoa(f.min) + "-" + strconv.Itoa(f.max)}
		}
		return n, nil
	}
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	reason := strconv.Quote(s) + " is not a number"
	if f.names != nil {
		reason += " or a name"
	}
	return 0, &ParseError{Field: f.name, Token: item, Reason: reason + " (want " + f.hint + ")"}
}

// number parses a short unsigned decimal number.
func number(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// String returns the expression as it was given to [Parse].
func (s *Schedule) String() string { return s.expr }

// searchYears bounds how far [Schedule.Next] looks ahead. The rarest
// schedule Parse accepts is February 29, which can be eight years apart
// (2096, then 2104).
const searchYears = 9

// Next returns the first time the schedule matches strictly after t, as a
// whole minute in UTC. Schedules are read in UTC, so there is no daylight
// saving time: no hour is skipped or repeated. t may be in any location.
// It returns the zero time only for the zero Schedule, which matches
// nothing.
func (s *Schedule) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	end := t.Year() + searchYears
	for t.Year() <= end {
		y, mo, d := t.Date()
		switch {
		case !s.has(fMonth, int(mo)):
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, time.UTC)
		case !s.dayMatches(d, t.Weekday()):
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
		case !s.has(fHour, t.Hour()):
			t = t.Truncate(time.Hour).Add(time.Hour)
		case !s.has(fMinute, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (s *Schedule) has(f, v int) bool { return s.bits[f]&(1<<v) != 0 }

// dayMatches applies the day-of-month / day-of-week rule of [Parse].
func (s *Schedule) dayMatches(day int, wd time.Weekday) bool {
	dom, dow := s.has(fDOM, day), s.has(fDOW, int(wd))
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
