package fasthttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	cehttp "github.com/openevents/openevents/transports/http"
	"github.com/openevents/openevents/transports/http/internal/receive"
)

// Server receives CloudEvents like [cehttp.Handler] does, on
// valyala/fasthttp: the runtime's HTTP trigger. It reads request bodies as
// they arrive and applies every limit of the receiver options
// ([cehttp.Option]), connection caps and TLS handshake timeout included. A
// binary-mode event costs one allocation (its attribute strings); the
// event's data points into the request buffer, valid until the handler
// returns. The context the handler gets is the request's
// *fasthttp.RequestCtx, which is done when the server shuts down. It is
// safe for concurrent use.
type Server struct {
	r   *receive.Receiver
	srv *fasthttp.Server

	routes map[string]fasthttp.RequestHandler // cehttp.WithRoute

	mu       sync.Mutex
	shutdown bool           // Shutdown was called
	lns      []net.Listener // listeners Serve was given, closed by Shutdown
}

// NewServer returns a Server passing events to h, with the options of
// [cehttp.NewServer]. If h also implements [cehttp.Replier], single events
// may be answered with a reply event. It returns an error for a nil h or
// an invalid option.
func NewServer(h binding.Handler, opts ...cehttp.Option) (*Server, error) {
	r, err := receive.New(h, opts)
	if err != nil {
		return nil, err
	}
	c := &r.Config
	s := &Server{r: r}
	for path, h := range c.Routes {
		if s.routes == nil {
			s.routes = make(map[string]fasthttp.RequestHandler, len(c.Routes))
		}
		s.routes[path] = fasthttpadaptor.NewFastHTTPHandler(h)
	}
	s.srv = &fasthttp.Server{
		Handler:            s.serve,
		ErrorHandler:       s.fail,
		Name:               "openevents",
		MaxRequestBodySize: int(c.MaxBody),
		ReadBufferSize:     c.MaxHeader,
		// The body is streamed: fasthttp reads ahead at most 8 KiB of it
		// and serve reads the rest as it arrives, so a declared length
		// reserves nothing. ReadTimeout runs from a request's first byte
		// through its headers; HeaderReceived then gives the body its own
		// deadline, within WithReadTimeout.
		StreamRequestBody: true,
		ReadTimeout:       c.ReadHeaderTimeout,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: c.BodyBudget()}
		},
		IdleTimeout:           c.IdleTimeout,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		TLSConfig:             c.TLS,
		// Library code never logs (STYLE.md): fasthttp's request errors
		// reach the refuse hook through ErrorHandler, and what it would
		// log goes to the WithConnErrorHook hook, or nowhere.
		Logger: connErrorLogger(c.OnConnError),
	}
	return s, nil
}

// Serve accepts connections on ln until [Server.Shutdown] is called,
// and then returns nil, at once if Shutdown came first. With
// [cehttp.WithTLS] it speaks HTTPS. It takes ownership of ln.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	g := receive.NewGuardListener(ln, &s.r.Config)
	s.lns = append(s.lns, g)
	s.mu.Unlock()
	err := s.srv.Serve(g)
	s.mu.Lock()
	stopped := s.shutdown
	s.mu.Unlock()
	if stopped {
		return nil // the listener was closed by Shutdown, not broken
	}
	return err
}

// Shutdown stops accepting connections and waits for the requests in
// flight to finish or for ctx to end. fasthttp's idle-worker sweeper, a
// goroutine of its own, notices the stop within ten seconds.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	lns := s.lns
	s.mu.Unlock()
	err := s.srv.ShutdownWithContext(ctx)
	// fasthttp closes only the listeners its Serve has reached; closing
	// them all ends a Serve that started just before Shutdown (the others
	// are closed already, hence the ignored errors).
	for _, ln := range lns {
		_ = ln.Close()
	}
	return err
}

func (s *Server) serve(ctx *fasthttp.RequestCtx) {
	if s.routes != nil {
		if rh, ok := s.routes[string(ctx.Path())]; ok {
			rh(ctx)
			return
		}
	}
	switch {
	case ctx.IsPost():
	case ctx.IsOptions():
		s.options(ctx)
		return
	default:
		ctx.Response.Header.Set("Allow", receive.AllowMethods)
		s.refuse(ctx, nil, cehttp.ErrMethod)
		return
	}
	r := s.r
	cfg := &r.Config
	if !r.Enter() {
		s.refuse(ctx, nil, cehttp.ErrOverloaded)
		return
	}
	defer r.Leave()
	st := r.Get()
	defer r.Put(st)

	hdr := &ctx.Request.Header
	if err := receive.CheckFraming(hdr.Peek("Content-Encoding"), hdr.IsHTTP11() || rawHasContentLength(hdr.RawHeaders())); err != nil {
		s.refuse(ctx, st, err)
		return
	}
	if int64(hdr.ContentLength()) > cfg.MaxBody {
		s.refuse(ctx, st, cehttp.ErrTooLarge)
		return
	}
	var body []byte
	if stream := ctx.RequestBodyStream(); stream != nil {
		var err error
		st.Body, err = receive.ReadBody(st.Body[:0], stream, cfg.MaxBody)
		if err != nil {
			s.refuse(ctx, st, receive.TimeoutCause(err, cfg))
			return
		}
		body = st.Body
	} else {
		body = ctx.Request.Body() // not streamed: a request built in memory
	}
	ct := hdr.ContentType()
	var out receive.Outcome
	switch mode := receive.DetectMode(ct); mode {
	case binding.ModeBinary:
		for k, v := range hdr.All() {
			if len(k) > 3 && receive.HasPrefixFold(k, "ce-") { // HTTP-HEADER-NAME-2
				receive.AddHeader(st, k[3:], v)
			}
		}
		if err := receive.BinaryEvent(st, ct, body, cfg.MaxAttrs); err != nil {
			out.Err = err
		} else {
			out = r.Deliver(ctx, st)
		}
	default:
		if !receive.FormatSupported(ct, mode) {
			out.Err = cehttp.ErrUnsupportedMediaType
		} else {
			out = r.Structured(ctx, st, mode, body)
		}
	}
	switch {
	case out.Err != nil:
		s.refuse(ctx, st, out.Err)
	case out.Reply:
		s.writeReply(ctx, st)
	default:
		ctx.SetStatusCode(http.StatusNoContent) // WEBHOOK-RESPONSE-6
	}
}

// fail answers requests fasthttp could not read.
func (s *Server) fail(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		s.refuse(ctx, nil, cehttp.ErrTooLarge)
		return
	}
	var small *fasthttp.ErrSmallBuffer
	if errors.As(err, &small) {
		s.refuse(ctx, nil, cehttp.ErrHeaderTooLarge)
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// fasthttp reads the headers and the first 8 KiB of the body
		// before serve runs; which part ran out is not known here.
		s.refuse(ctx, nil, &cehttp.TimeoutError{What: "the request", Err: err,
			Limit: "its deadline (WithReadHeaderTimeout for the headers, then WithReadBodyTimeout for the body)"})
		return
	}
	s.refuse(ctx, nil, &cehttp.UnreadableError{Err: err})
}

func (s *Server) refuse(ctx *fasthttp.RequestCtx, st *receive.State, err error) {
	code := cehttp.StatusOf(err)
	if f := s.r.Config.OnRefuse; f != nil {
		f(ctx.RemoteAddr().String(), err)
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		ctx.Response.Header.Set("Retry-After", s.r.Config.RetryAfterHeader()) // WEBHOOK-RESPONSE-11
	}
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.SetStatusCode(code)
	if st != nil {
		st.Out = receive.AppendErrorBody(st.Out[:0], err)
		ctx.SetBody(st.Out)
	} else {
		ctx.SetBody(receive.AppendErrorBody(nil, err))
	}
}

func (s *Server) writeReply(ctx *fasthttp.RequestCtx, st *receive.State) {
	resp := &ctx.Response
	var body []byte
	if s.r.Config.ReplyMode == binding.ModeStructured {
		resp.Header.SetContentType(jsonformat.MediaType)
		body = st.Out
	} else {
		e := &st.Reply
		st.Out, st.Spans = receive.AppendBinaryHeaders(st.Out[:0], st.Spans[:0], e)
		for _, sp := range st.Spans {
			resp.Header.SetBytesKV(st.Out[sp.Name[0]:sp.Name[1]], st.Out[sp.Value[0]:sp.Value[1]])
		}
		if e.Has("datacontenttype") {
			resp.Header.SetContentType(e.DataContentType())
		}
		body = e.Data()
	}
	if len(body) == 0 {
		ctx.SetStatusCode(http.StatusNoContent) // WEBHOOK-RESPONSE-6
		return
	}
	ctx.SetStatusCode(http.StatusOK) // WEBHOOK-RESPONSE-4
	ctx.SetBody(body)                // copied by fasthttp
}

func (s *Server) options(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("Allow", receive.AllowMethods) // WEBHOOK-VALIDATION-7
	h := &ctx.Request.Header
	code, origin, rate, err := s.r.Config.Handshake(string(h.Peek(receive.HdrRequestOrigin)), string(h.Peek(receive.HdrRequestRate)))
	if err != nil {
		s.refuse(ctx, nil, err)
		return
	}
	if origin != "" {
		ctx.Response.Header.Set(receive.HdrAllowedOrigin, origin)
		ctx.Response.Header.Set(receive.HdrAllowedRate, rate)
	}
	ctx.SetStatusCode(code)
}

// rawHasContentLength reports whether the raw header lines, as received,
// hold a Content-Length: fasthttp sets the length of an HTTP/1.0 request
// without one to 0, which hides that the client sent no body at all.
func rawHasContentLength(raw []byte) bool {
	const name = "content-length:"
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		if len(line) >= len(name) && receive.HasPrefixFold(line, name) {
			return true
		}
	}
	return false
}

// connErrorLogger is a fasthttp.Logger that passes each message to f, or
// drops it when f is nil.
type connErrorLogger func(peer, msg string)

func (f connErrorLogger) Printf(format string, args ...any) {
	if f != nil {
		msg := fmt.Sprintf(format, args...)
		f(receive.PeerIn(msg), msg)
	}
}
