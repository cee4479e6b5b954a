package bench

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// childEnv makes the test binary a child: "serve" speaks the protocol
// with countConns, "silent" exits at once without a word.
const childEnv = "OPENEVENTS_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "serve":
		if err := ServeChild(context.Background(), os.Stdin, os.Stdout, countConns); err != nil {
			_, _ = os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	case "silent":
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// countConns is a Serve that accepts connections until ctx ends and
// counts each as one event.
func countConns(ctx context.Context, ln net.Listener, served *atomic.Int64) error {
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		served.Add(1)
		_ = c.Close()
	}
}

func dialN(t *testing.T, addr string, n int) {
	t.Helper()
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// Wait for the server to close it, so that it has counted it.
		_, _ = c.Read(make([]byte, 1))
		_ = c.Close()
	}
}

func TestStartServer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inProcess bool
	}{{"child", false}, {"in-process", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(childEnv, "serve") // inherited by the child
			srv, err := StartServer(context.Background(), tc.inProcess, countConns)
			if err != nil {
				t.Fatal(err)
			}
			if host, _, err := net.SplitHostPort(srv.Addr); err != nil || host != "127.0.0.1" {
				t.Fatalf("Addr %q: %v", srv.Addr, err)
			}
			dialN(t, srv.Addr, 3)
			served, err := srv.Stop()
			if err != nil || served != 3 {
				t.Errorf("Stop() = %d, %v; want 3, nil", served, err)
			}
		})
	}
}

func TestStartChildWithoutAddress(t *testing.T) {
	t.Setenv(childEnv, "silent")
	if _, err := Start(context.Background()); err == nil || !strings.Contains(err.Error(), "did not report its address") {
		t.Errorf("Start = %v, want an error about the address", err)
	}
}

func TestServeChild(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- ServeChild(context.Background(), stdinR, stdoutW, countConns)
		_ = stdoutW.Close()
	}()
	buf := make([]byte, 64)
	n, err := stdoutR.Read(buf)
	addr, ok := strings.CutPrefix(strings.TrimSpace(string(buf[:n])), "listening on ")
	if err != nil || !ok {
		t.Fatalf("first line %q: %v", buf[:n], err)
	}
	dialN(t, addr, 2)
	_ = stdinW.Close()
	rest, _ := io.ReadAll(stdoutR)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, err := parseServed(string(rest)); err != nil || got != 2 {
		t.Errorf("after stop the child wrote %q (%d, %v); want served 2", rest, got, err)
	}
}

func TestServeChildError(t *testing.T) {
	want := errors.New("boom")
	err := ServeChild(context.Background(), strings.NewReader(""), io.Discard, func(context.Context, net.Listener, *atomic.Int64) error { return want })
	if !errors.Is(err, want) {
		t.Errorf("ServeChild = %v, want %v", err, want)
	}
}

func TestParseServed(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      int64
		ok        bool
	}{
		{"alone", "served 42\n", 42, true},
		{"after other lines", "note\nserved 7\n", 7, true},
		{"missing", "", 0, false},
		{"not a number", "served x\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseServed(tc.out)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("parseServed(%q) = %d, %v", tc.out, got, err)
			}
		})
	}
}

func TestRun(t *testing.T) {
	a := Run{Events: 100, Elapsed: time.Second}
	b := Run{Events: 300, Elapsed: 2 * time.Second}
	if a.Rate() != 100 || b.Rate() != 150 || (Run{}).Rate() != 0 {
		t.Errorf("rates %v %v %v", a.Rate(), b.Rate(), Run{}.Rate())
	}
	if a.Best(b) != b || b.Best(a) != b || (Run{}).Best(a) != a {
		t.Error("Best does not keep the higher rate")
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []float64
		want float64
	}{
		{"none", nil, 0},
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.in...)
			if got := Ratios(in).Median(); got != tc.want {
				t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Fatal("Median reordered its input")
				}
			}
		})
	}
}
