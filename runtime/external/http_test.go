package external_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/runtime/external"
	"github.com/openevents/openevents/runtime/function"
	cehttp "github.com/openevents/openevents/transports/http"
)

var _ function.Function = (*external.HTTPFunction)(nil)

// replier answers by the event's type, as a user's HTTP function would.
type replier struct{}

func (replier) Handle(ctx context.Context, e *event.Event) error {
	_, err := replier{}.HandleReply(ctx, e, new(event.Event))
	return err
}

func (replier) HandleReply(_ context.Context, e, reply *event.Event) (bool, error) {
	switch e.Type() {
	case "reply":
		*reply = e.Clone()
		reply.SetType("reply.done")
		return true, nil
	case "none":
		return false, nil
	case "reject":
		return false, binding.ErrRejected // 400
	case "busy":
		return false, binding.ErrOverloaded // 429
	case "unavailable":
		return false, binding.ErrUnavailable // 503
	}
	return false, errors.New("the database is down") // 500
}

// serve runs s on a loopback listener until the test ends and returns
// its URL.
func serve(t *testing.T, serveFn func(net.Listener) error, shutdown func(context.Context) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serveFn(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func newHTTP(t *testing.T, url string, opts ...cehttp.SenderOption) *external.HTTPFunction {
	t.Helper()
	f, err := external.HTTP(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close(context.Background()) })
	return f
}

func TestHTTPAgainstCehttpServer(t *testing.T) {
	srv, err := cehttp.NewServer(replier{})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, srv.Serve, srv.Shutdown)
	// One try each, so that 429 and 503 come back from the sender as
	// they are (its retries are tested in cehttp).
	f := newHTTP(t, url, cehttp.WithRetry(1, time.Millisecond))

	e := newEvent("h1", "reply", "hello")
	e.SetExtension("partition", event.String("7"))
	reply, err := f.Call(callCtx(t), e)
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	want := e.Clone()
	want.SetType("reply.done")
	if reply == nil || !reply.Equal(&want) {
		t.Fatalf("reply %+v, want %+v", reply, want)
	}
	if reply, err := f.Call(callCtx(t), newEvent("h2", "none", "")); reply != nil || err != nil {
		t.Fatalf("no reply: %+v, %v", reply, err)
	}
	for typ, permanent := range map[string]bool{"reject": true, "busy": false, "unavailable": false, "fail": false} {
		_, err := f.Call(callCtx(t), newEvent("h-"+typ, typ, ""))
		if err == nil || errors.Is(err, binding.ErrRejected) != permanent {
			t.Errorf("%s: %v, want permanent = %v", typ, err, permanent)
		}
		if _, ok := errors.AsType[*cehttp.StatusError](err); !ok {
			t.Errorf("%s: %v, want a *cehttp.StatusError inside", typ, err)
		}
	}
	var invalid event.Event
	if _, err := f.Call(callCtx(t), &invalid); !errors.Is(err, binding.ErrRejected) {
		t.Errorf("an invalid event: %v, want binding.ErrRejected", err)
	}
}

func TestHTTPStatuses(t *testing.T) {
	// A plain net/http server answers each status its path names.
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if code == http.StatusOK { // 2xx with a body that is not an event: no reply
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("thanks"))
			return
		}
		if code == 299 { // 2xx with a broken structured event
			w.Header().Set("Content-Type", "application/cloudevents+json")
			_, _ = w.Write([]byte(`{"specversion":"1.0","id":""}`))
			return
		}
		w.WriteHeader(code)
	})}
	base := serve(t, hs.Serve, hs.Shutdown)
	for _, tc := range []struct {
		code      int
		permanent bool
	}{
		{400, true}, {401, true}, {403, true}, {404, true}, {409, true}, {413, true}, {415, true},
		{408, false}, {429, false}, {500, false}, {501, false}, {502, false}, {503, false}, {504, false},
		{302, false},
	} {
		f := newHTTP(t, base+"/"+strconv.Itoa(tc.code), cehttp.WithRetry(1, time.Millisecond))
		_, err := f.Call(callCtx(t), newEvent("s", "t", ""))
		if err == nil || errors.Is(err, binding.ErrRejected) != tc.permanent {
			t.Errorf("%d: %v, want permanent = %v", tc.code, err, tc.permanent)
		}
	}
	f := newHTTP(t, base+"/200")
	if reply, err := f.Call(callCtx(t), newEvent("s", "t", "")); reply != nil || err != nil {
		t.Errorf("2xx without an event: %+v, %v; want no reply", reply, err)
	}
	f = newHTTP(t, base+"/299")
	_, err := f.Call(callCtx(t), newEvent("s", "t", ""))
	if _, ok := errors.AsType[*cehttp.ReplyError](err); !ok || errors.Is(err, binding.ErrRejected) || errors.Is(err, event.ErrInvalid) {
		t.Errorf("2xx with an invalid event: %v, want a transient *cehttp.ReplyError", err)
	}
}

func TestHTTPUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	f := newHTTP(t, url, cehttp.WithRetry(1, time.Millisecond))
	_, err = f.Call(callCtx(t), newEvent("u", "t", ""))
	if _, ok := errors.AsType[*cehttp.UnreachableError](err); !ok || errors.Is(err, binding.ErrRejected) {
		t.Fatalf("got %v, want a transient *cehttp.UnreachableError", err)
	}
	if _, err := external.HTTP("ftp://example.com"); !errors.Is(err, external.ErrConfig) {
		t.Fatalf("HTTP with an ftp URL: %v, want ErrConfig", err)
	}
}
