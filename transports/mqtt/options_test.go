package mqtt

import (
	"testing"
	"time"

	"github.com/openevents/openevents/event/binding"
)

func TestBackoff(t *testing.T) {
	c := defaultConfig()
	c.backoffMin, c.backoffMax = 100*time.Millisecond, time.Second
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for n, w := range want {
		if got := c.backoff(n); got != w {
			t.Errorf("backoff(%d) = %v, want %v", n, got, w)
		}
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		publisher  bool
		wantMode   binding.Mode
		wantExpiry time.Duration
	}{
		{name: "5.0 publisher", publisher: true, wantMode: binding.ModeBinary, wantExpiry: 5 * time.Minute},
		{name: "3.1.1 publisher", opts: []Option{WithVersion(Version311)}, publisher: true, wantMode: binding.ModeStructured, wantExpiry: 5 * time.Minute},
		{name: "named subscriber", opts: []Option{WithClientID("fn-1")}, wantMode: binding.ModeBinary, wantExpiry: time.Hour},
		{name: "explicit expiry", opts: []Option{WithSessionExpiry(0)}, wantMode: binding.ModeBinary, wantExpiry: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaultConfig()
			for _, o := range tt.opts {
				if tt.publisher {
					o.applyPublisher(&c)
				} else {
					o.applySubscriber(&c)
				}
			}
			if err := c.validate(tt.publisher); err != nil {
				t.Fatal(err)
			}
			if c.mode != tt.wantMode || c.sessionExpiry != tt.wantExpiry || c.qos != 1 || c.retain || c.clientID == "" {
				t.Errorf("mode %v expiry %v qos %d retain %v id %q", c.mode, c.sessionExpiry, c.qos, c.retain, c.clientID)
			}
		})
	}
}
