package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	cloudeventsv1 "github.com/openevents/openevents/proto/gen/io/cloudevents/v1"
)

// grpcOutput is a bytes.Buffer safe for a command writing while the test
// reads.
type grpcOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *grpcOutput) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *grpcOutput) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startListenGRPC runs ce listen --grpc in-process and returns the bound
// address and a channel with its exit status.
func startListenGRPC(t *testing.T, args ...string) (string, *grpcOutput, *grpcOutput, chan int) {
	t.Helper()
	stdout, stderr := &grpcOutput{}, &grpcOutput{}
	exit := make(chan int, 1)
	go func() {
		exit <- run(append([]string{"listen", "--grpc", "127.0.0.1:0"}, args...), strings.NewReader(""), stdout, stderr)
	}()
	for range 5000 {
		if s := stderr.String(); strings.Contains(s, "listening for gRPC on ") {
			line := s[strings.Index(s, "listening for gRPC on ")+len("listening for gRPC on "):]
			return strings.TrimSpace(strings.SplitN(line, "\n", 2)[0]), stdout, stderr, exit
		}
		select {
		case code := <-exit:
			t.Fatalf("ce listen exited %d: %s", code, stderr.String())
		default:
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("ce listen did not report its address")
	return "", nil, nil, nil
}

func TestSendListenGRPC(t *testing.T) {
	addr, stdout, stderr, exit := startListenGRPC(t, "--count", "2")
	for _, mode := range []string{"structured", "batch"} {
		code, out, errOut := runCE(t, "send", "--grpc", addr, "--mode", mode, "--id", "e-"+mode, "--type", "com.example.ping", "--source", "/cli", "--data", `{"n":1}`)
		if code != exitOK || out != "gRPC OK\n" {
			t.Fatalf("ce send --mode %s: exit %d, stdout %q, stderr %q; listen printed %q", mode, code, out, errOut, stdout.String())
		}
	}
	select {
	case code := <-exit:
		if code != exitOK {
			t.Fatalf("ce listen: exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ce listen did not stop after --count events")
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("ce listen printed %q", stdout.String())
	}
	for i, id := range []string{"e-structured", "e-batch"} {
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatal(err)
		}
		if got["id"] != id || got["type"] != "com.example.ping" {
			t.Errorf("line %d: %v", i, got)
		}
	}
}

func TestListenGRPCValidate(t *testing.T) {
	addr, _, stderr, exit := startListenGRPC(t, "--validate", "--count", "1")
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cc.Close() }()
	_, err = cloudeventsv1.NewCloudEventServiceClient(cc).Publish(context.Background(), &cloudeventsv1.PublishRequest{
		Event: &cloudeventsv1.CloudEvent{Source: "/s", SpecVersion: "1.0", Type: "t"},
	})
	if err == nil {
		t.Fatal("an event without id was accepted")
	}
	for range 2000 {
		if strings.Contains(stderr.String(), "CORE-ATTR-ID-2") {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "refused message from") || !strings.Contains(stderr.String(), "CORE-ATTR-ID-2") {
		t.Errorf("stderr %q", stderr.String())
	}
	// The refusal did not count; one valid event ends the listener.
	if code, _, errOut := runCE(t, "send", "--grpc", addr, "--type", "t", "--source", "/s"); code != exitOK {
		t.Fatalf("ce send: exit %d, %s", code, errOut)
	}
	select {
	case code := <-exit:
		if code != exitOK {
			t.Errorf("ce listen: exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ce listen did not stop")
	}
}

func TestSendGRPCUnreachable(t *testing.T) {
	code, _, _ := runCE(t, "send", "--grpc", "127.0.0.1:1", "--timeout", "2s", "--type", "t", "--source", "/s")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
}
