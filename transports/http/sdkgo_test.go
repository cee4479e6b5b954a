package http_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdkbinding "github.com/cloudevents/sdk-go/v2/binding"
	sdkhttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// TestInteropSDKGoSender: sdk-go's HTTP client sends, our receivers
// receive, in binary and structured mode.
func TestInteropSDKGoSender(t *testing.T) {
	for _, srv := range servers {
		for _, structured := range []bool{false, true} {
			name := srv.name + "/binary"
			if structured {
				name = srv.name + "/structured"
			}
			t.Run(name, func(t *testing.T) {
				var c collector
				url := srv.start(t, &c)
				p, err := cloudevents.NewHTTP(cloudevents.WithTarget(url))
				if err != nil {
					t.Fatal(err)
				}
				cl, err := cloudevents.NewClient(p)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(p.Client.CloseIdleConnections)
				e := cloudevents.NewEvent()
				e.SetID("sdk-1")
				e.SetSource("/sdk")
				e.SetType("com.example.sdk")
				e.SetSubject("a b/é")
				e.SetTime(time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC))
				e.SetExtension("myext", "value with space")
				if err := e.SetData(cloudevents.ApplicationJSON, map[string]int{"n": 1}); err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				if structured {
					ctx = sdkbinding.WithForceStructured(ctx)
				}
				if res := cl.Send(ctx, e); !cloudevents.IsACK(res) {
					t.Fatalf("sdk-go Send: %v", res)
				}
				got := c.got()
				if len(got) != 1 {
					t.Fatalf("received %d events", len(got))
				}
				r := &got[0]
				ext, _ := r.Extension("myext")
				if r.ID() != "sdk-1" || r.Source() != "/sdk" || r.Type() != "com.example.sdk" ||
					r.Subject() != "a b/é" || r.Time() != "2026-11-26T01:02:03Z" ||
					ext.Text() != "value with space" || r.DataContentType() != "application/json" ||
					string(r.Data()) != `{"n":1}` {
					t.Errorf("received %s", dump(r))
				}
			})
		}
	}
}

// TestInteropSDKGoReceiver: our Sender sends in binary and structured
// mode, sdk-go's StartReceiver receives.
func TestInteropSDKGoReceiver(t *testing.T) {
	for _, mode := range []binding.Mode{binding.ModeBinary, binding.ModeStructured} {
		t.Run(mode.String(), func(t *testing.T) {
			ln := listen(t)
			p, err := cloudevents.NewHTTP(cloudevents.WithListener(ln))
			if err != nil {
				t.Fatal(err)
			}
			cl, err := cloudevents.NewClient(p)
			if err != nil {
				t.Fatal(err)
			}
			var (
				mu  sync.Mutex
				got []cloudevents.Event
			)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- cl.StartReceiver(ctx, func(e cloudevents.Event) {
					mu.Lock()
					got = append(got, e)
					mu.Unlock()
				})
			}()
			defer func() {
				cancel()
				if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("StartReceiver: %v", err)
				}
			}()
			e := sample()
			// sdk-go v2.16.2 does not percent-decode header values (see
			// TestSDKGoDeviations); in binary mode send only values that
			// need no encoding.
			if mode == binding.ModeBinary {
				e.SetSubject("Euro-sign")
				e.SetExtension("comexampleext", event.String("say-hi"))
			}
			e.SetExtension("num", event.Integer(7))
			s := newSender(t, "http://"+ln.Addr().String()+"/", cehttp.WithMode(mode))
			if _, err := s.Send(context.Background(), e); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("sdk-go received %d events", len(got))
			}
			r := got[0]
			if r.ID() != e.ID() || r.Source() != e.Source() || r.Type() != e.Type() ||
				r.Subject() != e.Subject() || r.DataSchema() != e.DataSchema() ||
				r.DataContentType() != e.DataContentType() || string(r.Data()) != string(e.Data()) ||
				r.Time().UTC().Format(time.RFC3339) != e.Time() {
				t.Errorf("sdk-go received %v", r)
			}
			want, _ := e.Extension("comexampleext")
			if v := r.Extensions()["comexampleext"]; v != want.Text() {
				t.Errorf("comexampleext %#v, want %q", v, want.Text())
			}
		})
	}
}

// TestSDKGoDeviations pins what sdk-go v2.16.2 does against the header
// percent-encoding rules, so a change in either side shows up: it writes
// header values raw, so a '%' reaches us unencoded (its side of
// HTTP-HEADER-VALUE-10) and is refused as a broken escape
// (HTTP-HEADER-VALUE-6). It does not decode what we encode either (its
// handler would see "say%20%22hi%22", its side of HTTP-HEADER-VALUE-6).
func TestSDKGoDeviations(t *testing.T) {
	var c collector
	url := startServer(t, &c)
	p, err := cloudevents.NewHTTP(cloudevents.WithTarget(url))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Client.CloseIdleConnections)
	cl, err := cloudevents.NewClient(p)
	if err != nil {
		t.Fatal(err)
	}
	e := cloudevents.NewEvent()
	e.SetID("sdk-1")
	e.SetSource("/sdk")
	e.SetType("com.example.sdk")
	e.SetSubject("100%")
	res := cl.Send(context.Background(), e)
	var hr *sdkhttp.Result
	if !cloudevents.ResultAs(res, &hr) || hr.StatusCode != 400 {
		t.Errorf("sdk-go sending subject 100%%: %v, want a 400 (sdk-go does not encode '%%')", res)
	}
}
