package cron

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// values lists the values selected in field f.
func (s *Schedule) values(f int) []int {
	var v []int
	for i := range 64 {
		if s.has(f, i) {
			v = append(v, i)
		}
	}
	return v
}

func span(lo, hi, step int) []int {
	var v []int
	for i := lo; i <= hi; i += step {
		v = append(v, i)
	}
	return v
}

func TestParseValid(t *testing.T) {
	type want struct {
		minute, hour, dom, month, dow []int
		domStar, dowStar              bool
	}
	all := want{span(0, 59, 1), span(0, 23, 1), span(1, 31, 1), span(1, 12, 1), span(0, 6, 1), true, true}
	with := func(f func(w *want)) want { w := all; f(&w); return w }
	for _, tc := range []struct {
		name, expr string
		want       want
	}{
		{"every minute", "* * * * *", all},
		{"surrounding and inner blanks", " \t*  *\t* * *  ", all},
		{"step on star", "*/15 * * * *", with(func(w *want) { w.minute = []int{0, 15, 30, 45} })},
		{"list", "1,2,59 * * * *", with(func(w *want) { w.minute = []int{1, 2, 59} })},
		{"range", "* 9-17 * * *", with(func(w *want) { w.hour = span(9, 17, 1) })},
		{"range with step", "* 1-10/3 * * *", with(func(w *want) { w.hour = []int{1, 4, 7, 10} })},
		{"start with step runs to the end", "5/20 * * * *", with(func(w *want) { w.minute = []int{5, 25, 45} })},
		{"list of ranges and steps", "0-4,30-59/10,7 * * * *", with(func(w *want) { w.minute = []int{0, 1, 2, 3, 4, 7, 30, 40, 50} })},
		{"month names any case", "* * * jan,Mar,DEC *", with(func(w *want) { w.month = []int{1, 3, 12} })},
		{"month name range", "* * * FEB-APR *", with(func(w *want) { w.month = []int{2, 3, 4} })},
		{"day names", "* * * * MON-FRI", with(func(w *want) { w.dow = span(1, 5, 1); w.dowStar = false })},
		{"7 is Sunday", "* * * * 7", with(func(w *want) { w.dow = []int{0}; w.dowStar = false })},
		{"range to 7", "* * * * 5-7", with(func(w *want) { w.dow = []int{0, 5, 6}; w.dowStar = false })},
		{"0-7 is every day once", "* * * * 0-7", with(func(w *want) { w.dow = span(0, 6, 1); w.dowStar = false })},
		{"day-of-week step on star", "* * * * */2", with(func(w *want) { w.dow = []int{0, 2, 4, 6}; w.dowStar = false })},
		{"day-of-month restricted", "* * 1,15 * *", with(func(w *want) { w.dom = []int{1, 15}; w.domStar = false })},
		{"both days restricted", "0 0 13 * FRI", with(func(w *want) {
			w.minute, w.hour, w.dom, w.dow, w.domStar, w.dowStar = []int{0}, []int{0}, []int{13}, []int{5}, false, false
		})},
		{"star-step is not a bare star", "* * */2 * *", with(func(w *want) { w.dom = span(1, 31, 2); w.domStar = false })},
		{"31 in some months", "0 0 31 1-12 *", with(func(w *want) { w.minute, w.hour, w.dom, w.domStar = []int{0}, []int{0}, []int{31}, false })},
		{"30 February saved by weekday", "0 0 30 2 MON", with(func(w *want) {
			w.minute, w.hour, w.dom, w.month, w.dow, w.domStar, w.dowStar = []int{0}, []int{0}, []int{30}, []int{2}, []int{1}, false, false
		})},
		{"29 February", "0 0 29 2 *", with(func(w *want) {
			w.minute, w.hour, w.dom, w.month, w.domStar = []int{0}, []int{0}, []int{29}, []int{2}, false
		})},
		{"@hourly", "@hourly", with(func(w *want) { w.minute = []int{0} })},
		{"@daily upper case", "@DAILY", with(func(w *want) { w.minute, w.hour = []int{0}, []int{0} })},
		{"@weekly", "@weekly", with(func(w *want) { w.minute, w.hour, w.dow, w.dowStar = []int{0}, []int{0}, []int{0}, false })},
		{"@yearly", "@yearly", with(func(w *want) {
			w.minute, w.hour, w.dom, w.month, w.domStar = []int{0}, []int{0}, []int{1}, []int{1}, false
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := want{s.values(fMinute), s.values(fHour), s.values(fDOM), s.values(fMonth), s.values(fDOW), s.domStar, s.dowStar}
			for i, pair := range [][2][]int{{got.minute, tc.want.minute}, {got.hour, tc.want.hour}, {got.dom, tc.want.dom}, {got.month, tc.want.month}, {got.dow, tc.want.dow}} {
				if !slices.Equal(pair[0], pair[1]) {
					t.Errorf("%s field: got %v, want %v", fields[i].name, pair[0], pair[1])
				}
			}
			if got.domStar != tc.want.domStar || got.dowStar != tc.want.dowStar {
				t.Errorf("stars: got dom %v dow %v, want %v %v", got.domStar, got.dowStar, tc.want.domStar, tc.want.dowStar)
			}
			if s.String() != tc.expr {
				t.Errorf("String() = %q, want %q", s.String(), tc.expr)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, expr          string
		field, token, cause string // cause: a substring of the reason
	}{
		{"empty", "", "", "", "want 5 fields"},
		{"four fields", "* * * *", "", "", "got 4"},
		{"six fields", "0 * * * * *", "", "", "got 6"},
		{"minute too big", "60 * * * *", "minute", "60", "out of range 0-59"},
		{"hour too big", "0 24 * * *", "hour", "24", "out of range 0-23"},
		{"day 0", "0 0 0 * *", "day-of-month", "0", "out of range 1-31"},
		{"day 32", "0 0 32 * *", "day-of-month", "32", "out of range 1-31"},
		{"month 13", "0 0 * 13 *", "month", "13", "out of range 1-12"},
		{"month 0", "0 0 * 0 *", "month", "0", "out of range 1-12"},
		{"weekday 8", "0 0 * * 8", "day-of-week", "8", "out of range 0-7"},
		{"bad month name", "0 0 * FOO *", "month", "FOO", "not a number or a name"},
		{"bad day name", "0 0 * * FUNDAY", "day-of-week", "FUNDAY", "not a number or a name"},
		{"name in minute", "MON * * * *", "minute", "MON", "not a number (want 0-59)"},
		{"negative", "-1 * * * *", "minute", "-1", "not a number"},
		{"reversed range", "5-1 * * * *", "minute", "5-1", "range start 5 is after its end 1"},
		{"reversed named range", "0 0 * * FRI-MON", "day-of-week", "FRI-MON", "after its end"},
		{"zero step", "*/0 * * * *", "minute", "*/0", "step \"0\""},
		{"huge step", "*/60 * * * *", "minute", "*/60", "from 1 to 59"},
		{"empty step", "*/ * * * *", "minute", "*/", "step \"\""},
		{"empty list item", "1,,2 * * * *", "minute", "", "empty list item"},
		{"trailing comma", "0 1, * * *", "hour", "", "empty list item"},
		{"double range", "1-2-3 * * * *", "minute", "1-2-3", "\"2-3\" is not a number"},
		{"question mark", "0 0 ? * *", "day-of-month", "?", "not a number"},
		{"letters", "a * * * *", "minute", "a", "not a number"},
		{"long number", "00000 * * * *", "minute", "00000", "not a number"},
		{"unknown shorthand", "@every 5m", "", "@every 5m", "unknown shorthand"},
		{"reboot", "@reboot", "", "@reboot", "unknown shorthand"},
		{"30 February", "0 0 30 2 *", "day-of-month", "30", "never fires"},
		{"31 April and June", "0 0 31 4,6 *", "day-of-month", "31", "never fires"},
		{"too long", strings.Repeat("1,", MaxExprLen) + " * * * *", "", "", "longer than 1024 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, %v; want a *ParseError", tc.expr, s, err)
			}
			if pe.Field != tc.field || pe.Token != tc.token || !strings.Contains(pe.Reason, tc.cause) {
				t.Errorf("got field %q token %q reason %q; want field %q token %q reason containing %q",
					pe.Field, pe.Token, pe.Reason, tc.field, tc.token, tc.cause)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cron: ") || !strings.Contains(msg, tc.field) || !strings.Contains(msg, tc.cause) {
				t.Errorf("message %q does not name the field %q and the reason %q", msg, tc.field, tc.cause)
			}
			if len(msg) > 300 {
				t.Errorf("message is %d bytes long; a hostile expression must not be echoed whole", len(msg))
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := Parse("*/5 * * * FUNDAY")
	want := `cron: "*/5 * * * FUNDAY": day-of-week field: bad token "FUNDAY": "FUNDAY" is not a number or a name (want 0-7 (0 and 7 are Sunday) or SUN-SAT)`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		from, want string
	}{
		{"next minute", "* * * * *", "2026-01-01T10:07:30Z", "2026-01-01T10:08:00Z"},
		{"strictly after a matching time", "*/15 * * * *", "2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z"},
		{"just before a match", "*/15 * * * *", "2026-01-01T10:14:59.999Z", "2026-01-01T10:15:00Z"},
		{"next hour", "0 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"},
		{"across midnight", "30 0 * * *", "2026-01-01T23:59:00Z", "2026-01-02T00:30:00Z"},
		{"across the year", "0 0 1 1 *", "2025-12-31T23:59:00Z", "2026-01-01T00:00:00Z"},
		{"last minute of the year", "59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
		{"31st skips a 30-day month", "0 0 31 * *", "2026-04-15T00:00:00Z", "2026-05-31T00:00:00Z"},
		{"31st skips February", "0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z"},
		{"every third month", "0 0 1 */3 *", "2026-02-10T00:00:00Z", "2026-04-01T00:00:00Z"},
		{"29 February in a leap year", "0 0 29 2 *", "2025-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"no 29 February in 2100", "0 0 29 2 *", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z"},
		{"weekday", "0 12 * * MON", "2026-01-01T00:00:00Z", "2026-01-05T12:00:00Z"},
		{"Sunday as 7", "0 0 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"},
		{"weekdays only, from Friday evening", "0 9 * * MON-FRI", "2026-01-02T10:00:00Z", "2026-01-05T09:00:00Z"},
		{"either day rule: the weekday comes first", "0 0 13 * FRI", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"},
		{"either day rule: the date comes first", "0 0 13 * FRI", "2026-01-10T00:00:00Z", "2026-01-13T00:00:00Z"},
		{"both days: star day-of-month means the weekday alone", "0 0 * * FRI", "2026-01-10T00:00:00Z", "2026-01-16T00:00:00Z"},
		{"30 February or a Monday", "0 0 30 2 MON", "2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z"},
		{"input in another zone comes back in UTC", "0 3 * * *", "2026-06-01T01:30:00+02:00", "2026-06-01T03:00:00Z"},
		{"no daylight saving: 02:30 exists on the EU switch day", "30 2 * * *", "2026-03-29T00:00:00Z", "2026-03-29T02:30:00Z"},
		{"no daylight saving: 02:30 once on the US fall-back day", "30 2 * * *", "2026-11-01T02:30:00Z", "2026-11-02T02:30:00Z"},
		{"@monthly across the year", "@monthly", "2026-12-15T00:00:00Z", "2027-01-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got := s.Next(utc(tc.from))
			if want := utc(tc.want); !got.Equal(want) || got.Location() != time.UTC {
				t.Fatalf("Next(%s) = %s, want %s in UTC", tc.from, got.Format(time.RFC3339), tc.want)
			}
		})
	}
}

// TestNextIsNextMatch checks Next against a minute-by-minute scan over two
// years for schedules of every shape.
func TestNextIsNextMatch(t *testing.T) {
	exprs := []string{"*/7 3-5 * * *", "0 0 13 * FRI", "15 10 1,15 * *", "0 12 * JAN,JUL MON", "0 0 29 2 *", "0 0 * * */3"}
	from := utc("2027-06-01T00:00:00Z")
	for _, expr := range exprs {
		s, err := Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		matches := func(m time.Time) bool {
			return s.has(fMinute, m.Minute()) && s.has(fHour, m.Hour()) && s.has(fMonth, int(m.Month())) &&
				s.dayMatches(m.Day(), m.Weekday())
		}
		prev := from
		checked := 0
		for m := from.Add(time.Minute); m.Year() < 2030; m = m.Add(time.Minute) {
			if !matches(m) {
				continue
			}
			if got := s.Next(prev); !got.Equal(m) {
				t.Fatalf("%q: Next(%s) = %s, want %s", expr, prev, got, m)
			}
			prev = m
			checked++
		}
		if checked == 0 {
			t.Fatalf("%q: no match found in the scan", expr)
		}
	}
}

func TestNextZeroSchedule(t *testing.T) {
	var s Schedule
	if got := s.Next(utc("2026-01-01T00:00:00Z")); !got.IsZero() {
		t.Fatalf("the zero Schedule matched %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/15 1-5 1,15 JAN-MAR MON-FRI", "0 0 29 2 *", "@weekly", "5/20 * * * 7", "1-2-3 * * * *", "0 0 30 2 *"} {
		f.Add(s)
	}
	from := utc("2026-01-01T00:00:00Z")
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(expr)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		// A schedule Parse accepts fires, at a whole minute, after from.
		n := s.Next(from)
		if n.IsZero() || !n.After(from) || n.Second() != 0 || n.Nanosecond() != 0 {
			t.Fatalf("%q: Next(%s) = %s", expr, from, n)
		}
	})
}

func BenchmarkNext(b *testing.B) {
	for _, expr := range []string{"*/5 * * * *", "0 9 * * MON-FRI", "0 0 29 2 *"} {
		s, err := Parse(expr)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			t := utc("2026-03-01T10:00:30Z")
			for b.Loop() {
				_ = s.Next(t)
			}
		})
	}
}
