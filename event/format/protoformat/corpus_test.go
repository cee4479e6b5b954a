package protoformat_test

import (
	"strings"
	"time"

	"github.com/openevents/openevents/event/eventtest"
)

func corpusCases() ([]eventtest.Case, error) { return eventtest.Corpus() }

// utc rewrites an RFC 3339 timestamp in UTC with time.RFC3339Nano's form.
// google.protobuf.Timestamp has no leap seconds: 23:59:60 becomes the
// next second.
func utc(s string) string {
	s = strings.ToUpper(s)
	leap := len(s) > 19 && s[17:19] == "60"
	if leap {
		s = s[:17] + "59" + s[19:]
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	if leap {
		t = t.Add(time.Second)
	}
	return t.UTC().Format(time.RFC3339Nano)
}
