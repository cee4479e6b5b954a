package cron_test

import (
	"fmt"
	"time"

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
