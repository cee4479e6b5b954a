package cron_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/cron"
)

func ExampleParse() {
	s, err := cron.Parse("0 9 * * MON-FRI")
	if err != nil {
		fmt.Println(err)
		return
	}
	t := time.Date(2026, time.January, 2, 10, 0, 0, 0, time.UTC) // a Friday
	for range 3 {
		t = s.Next(t)
		fmt.Println(t.Format("Mon 2006-01-02 15:04"))
	}

	_, err = cron.Parse("*/5 * * * FUNDAY")
	fmt.Println(err)
	// Output:
	// Mon 2026-01-05 09:00
	// Tue 2026-01-06 09:00
	// Wed 2026-01-07 09:00
	// cron: "*/5 * * * FUNDAY": day-of-week field: bad token "FUNDAY": "FUNDAY" is not a number or a name (want 0-7 (0 and 7 are Sunday) or SUN-SAT)
}

// stepClock is a Clock for the example: waiting takes no time, it just
// moves the clock forward.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func ExampleNewTrigger() {
	sched, err := cron.Parse("*/15 * * * *")
	if err != nil {
		fmt.Println(err)
		return
	}
	var n atomic.Int32
	done := make(chan struct{})
	dispatch := func(ctx context.Context, e *event.Event) error {
		// The host's dispatch: here, print the first three events.
		switch n.Add(1) {
		case 1, 2:
			fmt.Println(e.Type(), e.Source(), e.Time())
		case 3:
			fmt.Println(e.Type(), e.Source(), e.Time())
			close(done)
		}
		return nil
	}
	clock := &stepClock{now: time.Date(2026, time.March, 1, 9, 50, 0, 0, time.UTC)}
	t, err := cron.NewTrigger(sched, "/cron/report", "com.example.report", dispatch,
		cron.WithClock(clock),
		cron.WithErrorHook(func(err error) { fmt.Println("hook:", err) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := t.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	<-done
	if err := t.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// com.example.report /cron/report 2026-03-01T10:00:00Z
	// com.example.report /cron/report 2026-03-01T10:15:00Z
	// com.example.report /cron/report 2026-03-01T10:30:00Z
}
