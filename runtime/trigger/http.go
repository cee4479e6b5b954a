package trigger

import (
	"context"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/trace"
	cehttp "github.com/openevents/openevents/transports/http"
	cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
)

// HTTP receives events on the fast HTTP server in every content mode:
// a binary or structured request gets the function's reply as its
// response (204 without one), and a batch is dispatched event by event
// and answered once, with the first failure's status.
type HTTP struct {
	server
	srv *cefasthttp.Server
}

// NewHTTP returns a trigger that will listen on addr (host:port) and hand
// events to d. option names the setting that chooses addr, for the error
// when it is taken ("--http", "triggers[0].http.addr"). opts are the
// transport's receiver options (limits, TLS, routes, hooks).
func NewHTTP(addr, option string, d Dispatcher, opts ...cehttp.Option) (*HTTP, error) {
	srv, err := cefasthttp.NewServer(httpHandler{d}, opts...)
	if err != nil {
		return nil, fmt.Errorf("http trigger: %w", err)
	}
	return &HTTP{server: server{kind: "http", addr: addr, option: option}, srv: srv}, nil
}

// Start binds the address and serves in the background.
func (t *HTTP) Start(context.Context) error {
	return t.start(t.srv.Serve)
}

// Shutdown stops accepting, waits for the requests in flight or ctx,
// then returns Serve's error if it failed.
func (t *HTTP) Shutdown(ctx context.Context) error {
	return t.stop(ctx, t.srv.Shutdown)
}

// httpHandler hands events to the dispatcher; as a cehttp.Replier it
// returns the function's reply as the response.
type httpHandler struct{ d Dispatcher }

func (h httpHandler) Handle(ctx context.Context, e *event.Event) error {
	_, err := h.d.Dispatch(headerTrace(ctx), e)
	return err
}

func (h httpHandler) HandleReply(ctx context.Context, e, reply *event.Event) (bool, error) {
	r, err := h.d.Dispatch(headerTrace(ctx), e)
	if err != nil || r == nil {
		return false, err
	}
	copyEvent(reply, r)
	return true, nil
}

// headerTrace returns the context the event is dispatched with: the
// request's W3C traceparent header, where the host and functions find it
// before the event's own traceparent extension (see package trace), on a
// context of its own. The fast server's context is the request itself,
// which is not passed on: it ends when the server shuts down, which is
// when ce run drains, and an event in flight then must finish, not be
// cancelled; and fasthttp reuses it for the next request, while a
// function's HTTP client may still read it from a goroutine of its own.
// The server knows of no other end (a client that went away is not
// noticed), so the function's context ends at its timeout alone. A
// missing or invalid header adds nothing; only a valid one allocates.
func headerTrace(ctx context.Context) context.Context {
	rc, ok := ctx.(*fasthttp.RequestCtx)
	if !ok {
		return ctx
	}
	if b := rc.Request.Header.Peek(trace.Header); len(b) > 0 {
		return trace.NewContext(context.Background(), string(b)) // unchanged if invalid
	}
	return context.Background()
}

// copyEvent makes dst a copy of src that shares strings and data with it
// (both stay valid until the response is written) but not the extension
// slice: dst keeps its own, so that reusing one event never writes into
// the other's. src may be the request's event itself (an echo).
func copyEvent(dst, src *event.Event) {
	own := dst.Extensions()[:0]
	*dst = *src
	dst.SetSortedExtensions(append(own, src.Extensions()...))
}
