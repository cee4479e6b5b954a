package sdkgo

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestToURL(t *testing.T) {
	for _, s := range []string{"HTTPS://Example.com/x", "Urn:x", "/rel", "//host/p?q#f", "mailto:a@b", "a/b:c", "?q", "#f", "http://x?"} {
		u, err := toURL("source", s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if u.String() != s {
			t.Errorf("%q printed back as %q", s, u.String())
		}
	}
	for _, s := range []string{"/a#", "http://ex%41mple.com/", "http://u:a!b@h/", "http://[v1.x]/"} {
		if _, err := toURL("source", s); !errors.Is(err, ErrUnrepresentable) {
			t.Errorf("%q: got %v, want ErrUnrepresentable", s, err)
		}
	}
}

func TestTimestampText(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC), "2024-03-01T09:30:00Z"},
		{time.Date(2024, 3, 1, 9, 30, 0, 500, time.FixedZone("", -90*60)), "2024-03-01T09:30:00.0000005-01:30"},
		// An offset with seconds has no RFC 3339 form; UTC keeps the instant.
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", -75)), "1900-01-01T00:01:15Z"},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "0000-01-01T00:00:00Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "9999-12-31T23:59:59.999999999Z"},
	}
	for _, tt := range tests {
		got, err := timestampText("time", tt.t)
		if err != nil || got != tt.want {
			t.Errorf("%v: got %q, %v; want %q", tt.t, got, err, tt.want)
		}
	}
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)} {
		if _, err := timestampText("time", tm); !errors.Is(err, ErrUnrepresentable) {
			t.Errorf("%v: got %v, want ErrUnrepresentable", tm, err)
		}
	}
}

func TestToTime(t *testing.T) {
	got, err := toTime("time", "2024-03-01t09:30:00.25z")
	if err != nil || !got.Equal(time.Date(2024, 3, 1, 9, 30, 0, 25e7, time.UTC)) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := toTime("time", "2016-12-31T23:59:60Z"); !errors.Is(err, ErrUnrepresentable) {
		t.Errorf("leap second: got %v, want ErrUnrepresentable", err)
	}
}

func TestQuote(t *testing.T) {
	if got := quote(strings.Repeat("a", 100)); len(got) > 80 || !strings.HasSuffix(got, `…"`) {
		t.Errorf("got %s", got)
	}
}
