package benchhttp

import (
	"context"
	"testing"
	"time"

	"github.com/openevents/openevents/internal/bench"
)

// drive serves kind in this process, drives it with l and checks that
// the receiver accepted at least the events the generator counted.
func drive(t *testing.T, kind string, l Load) Result {
	t.Helper()
	srv, err := bench.StartInProcess(context.Background(), Server(kind))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Drive(context.Background(), kind, "http://"+srv.Addr+"/", l)
	served, serr := srv.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if serr != nil || served < r.Events {
		t.Errorf("Stop() = %d, %v; want at least %d events", served, serr, r.Events)
	}
	return r
}

// TestDriveEachServer runs every receiver briefly (bounded: 200 ms or 2000
// requests) and checks the generator counts answers and no errors.
func TestDriveEachServer(t *testing.T) {
	for _, kind := range Servers {
		t.Run(kind, func(t *testing.T) {
			r := drive(t, kind, Load{Connections: 4, Duration: 200 * time.Millisecond, Warmup: 20 * time.Millisecond, MaxRequests: 2000})
			if r.Requests == 0 || r.Errors != 0 || r.EventsPerSec <= 0 || r.P99Micros < r.P50Micros {
				t.Errorf("result %+v", r)
			}
		})
	}
}

func TestDriveBatch(t *testing.T) {
	r := drive(t, OpenEventsFast, Load{Connections: 2, Duration: 100 * time.Millisecond, MaxRequests: 100, Batch: 100})
	if r.Errors != 0 || r.Events != r.Requests*100 {
		t.Errorf("result %+v", r)
	}
}

func TestDriveRefusesRemoteTargets(t *testing.T) {
	for _, u := range []string{"http://192.0.2.1:80/", "http://example.com:80/", "https://127.0.0.1:1/"} {
		if _, err := Drive(context.Background(), "x", u, Load{Connections: 1, Duration: time.Millisecond, MaxRequests: 1}); err == nil {
			t.Errorf("Drive(%s) accepted", u)
		}
	}
}
