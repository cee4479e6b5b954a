package benchhttp

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestDriveEachServer runs every receiver briefly (bounded: 200 ms or 2000
// requests) and checks the generator counts answers and no errors.
func TestDriveEachServer(t *testing.T) {
	for _, kind := range Servers {
		t.Run(kind, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- Serve(ctx, kind, ln) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Serve: %v", err)
				}
			}()
			r, err := Drive(context.Background(), kind, "http://"+ln.Addr().String()+"/",
				Load{Connections: 4, Duration: 200 * time.Millisecond, Warmup: 20 * time.Millisecond, MaxRequests: 2000})
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests == 0 || r.Errors != 0 || r.EventsPerSec <= 0 || r.P99Micros < r.P50Micros {
				t.Errorf("result %+v", r)
			}
		})
	}
}

func TestDriveBatch(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, OpenEventsFast, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	r, err := Drive(context.Background(), OpenEventsFast, "http://"+ln.Addr().String()+"/",
		Load{Connections: 2, Duration: 100 * time.Millisecond, MaxRequests: 100, Batch: 100})
	if err != nil {
		t.Fatal(err)
	}
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
