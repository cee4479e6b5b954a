package mqtt_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// The crash test re-executes the test binary as a subscriber process
// (the child), kills it with SIGKILL while it holds a QoS 1 message it
// has received but not acknowledged, and restarts the subscriber with the
// same client id and persistent session.
const (
	crashChildEnv  = "OPENEVENTS_MQTT_CRASH_CHILD" // broker URL; set only in the child
	crashTopicEnv  = "OPENEVENTS_MQTT_CRASH_TOPIC"
	crashClientEnv = "OPENEVENTS_MQTT_CRASH_CLIENT"
	crashHoldEnv   = "OPENEVENTS_MQTT_CRASH_HOLD" // id of the event the child never finishes
	crashVerEnv    = "OPENEVENTS_MQTT_CRASH_VERSION"
)

// crashChild is the child's main: it subscribes, prints "ready", then
// "handled ID" for each event it finished (and so acknowledges), and
// blocks forever in the handler of the event to hold after printing
// "holding ID". The parent kills it.
func crashChild() int {
	var mu sync.Mutex
	say := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = fmt.Fprintln(os.Stdout, s)
	}
	hold := os.Getenv(crashHoldEnv)
	h := binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		if e.ID() == hold {
			say("holding " + e.ID())
			<-ctx.Done() // until SIGKILL: the message is never acknowledged
			return ctx.Err()
		}
		say("handled " + e.ID())
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ver := cemqtt.Version5
	if os.Getenv(crashVerEnv) == "3.1.1" {
		ver = cemqtt.Version311
	}
	sub, err := startSubscriber(ctx, os.Getenv(crashChildEnv), os.Getenv(crashTopicEnv), h, cemqtt.WithVersion(ver),
		cemqtt.WithClientID(os.Getenv(crashClientEnv)), cemqtt.WithSessionExpiry(time.Minute))
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, err)
		return 1
	}
	say("ready")
	<-ctx.Done() // the parent kills us long before this
	_ = sub.Shutdown(context.Background())
	return 2
}

func TestCrashRedelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess; skipped with -short")
	}
	for _, v := range []cemqtt.Version{cemqtt.Version5, cemqtt.Version311} {
		t.Run(v.String(), func(t *testing.T) {
			forEachBroker(t, func(t *testing.T, tg target) {
				// Three kills, so the SIGKILL lands at different points of
				// the acknowledgement flow.
				for range 3 {
					testCrashRedelivery(t, tg, v)
				}
			})
		})
	}
}

func testCrashRedelivery(t *testing.T, tg target, v cemqtt.Version) {
	const (
		before = 100 // published while the child runs
		hold   = 60  // the child holds this one
		after  = 20  // published while no subscriber is connected
	)
	ctx := testContext(t)
	tp := topic(t)
	clientID := fmt.Sprintf("crash-%d", time.Now().UnixNano())

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		crashChildEnv+"="+tg.url, crashTopicEnv+"="+tp, crashVerEnv+"="+v.String(), crashClientEnv+"="+clientID, crashHoldEnv+"="+strconv.Itoa(hold))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 2*before)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	childHandled := map[string]int{}
	waitFor := func(want string) {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child exited before %q", want)
				}
				if id, ok := strings.CutPrefix(l, "handled "); ok {
					childHandled[id]++
				}
				if l == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("child did not say %q", want)
			}
		}
	}
	waitFor("ready")

	pub, err := cemqtt.NewPublisher(ctx, tg.url, cemqtt.WithVersion(v))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pub.Close(context.Background()) }()
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			e := sampleEvents()["json"]
			e.SetID(strconv.Itoa(i))
			if err := pub.Publish(ctx, tp, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(0, before)
	waitFor("holding " + strconv.Itoa(hold))

	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	for l := range lines { // drain what the child wrote before it died
		if id, ok := strings.CutPrefix(l, "handled "); ok {
			childHandled[id]++
		}
	}
	_ = cmd.Wait()
	if _, ok := childHandled[strconv.Itoa(hold)]; ok {
		t.Fatal("the held event was reported handled")
	}
	publish(before, before+after)
	// mochi-mqtt acknowledges a PUBLISH before it routes it: one more
	// round trip on the publisher's connection makes sure the last event
	// is in the session before the restarted subscriber takes it over.
	if err := pub.Publish(ctx, tp+"/barrier", sampleEvents()["minimal"]); err != nil {
		t.Fatal(err)
	}

	// Restart with the same client id and session.
	var mu sync.Mutex
	restarted := map[string]int{}
	complete := make(chan struct{})
	total := before + after
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		restarted[e.ID()]++
		covered := 0
		for i := range total {
			id := strconv.Itoa(i)
			if childHandled[id] > 0 || restarted[id] > 0 {
				covered++
			}
		}
		if covered == total {
			select {
			case <-complete:
			default:
				close(complete)
			}
		}
		return nil
	})
	sub, err := startSubscriber(ctx, tg.url, tp, h, cemqtt.WithVersion(v), cemqtt.WithClientID(clientID), cemqtt.WithSessionExpiry(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-complete:
	case <-ctx.Done():
	}
	if err := sub.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	// Delete the session so a shared Mosquitto does not keep it.
	if cleanup, err := startSubscriber(ctx, tg.url, tp, h, cemqtt.WithVersion(v), cemqtt.WithClientID(clientID), cemqtt.WithCleanStart(true), cemqtt.WithSessionExpiry(0)); err == nil {
		_ = cleanup.Shutdown(context.Background())
	}

	mu.Lock()
	defer mu.Unlock()
	lost, dups := 0, 0
	for i := range total {
		id := strconv.Itoa(i)
		n := childHandled[id] + restarted[id]
		switch {
		case n == 0:
			lost++
			t.Errorf("event %s lost", id)
		case n > 1:
			dups += n - 1
		}
	}
	if restarted[strconv.Itoa(hold)] == 0 {
		t.Errorf("the held event %d was not redelivered after the restart", hold)
	}
	t.Logf("crash test (MQTT %s, %s): %d messages, child finished %d before SIGKILL, restarted subscriber got %d; lost %d, duplicates %d",
		v, tg.name, total, len(childHandled), len(restarted), lost, dups)
}
