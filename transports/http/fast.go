package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// FastServer receives CloudEvents like [Handler] does, on valyala/fasthttp:
// the runtime's HTTP trigger. It reads request bodies as they arrive and
// applies every limit of the receiver options, connection caps and TLS
// handshake timeout included. A binary-mode event costs one allocation
// (its attribute strings); the event's data points into the request buffer,
// valid until the handler returns. The context the handler gets is the
// request's *fasthttp.RequestCtx, which is done when the server shuts down.
type FastServer struct {
	r   *receiver
	srv *fasthttp.Server

	mu       sync.Mutex
	shutdown bool           // Shutdown was called
	lns      []net.Listener // listeners Serve was given, closed by Shutdown
}

// NewFastServer returns a FastServer passing events to h. It returns an
// error for a nil h or an invalid option.
func NewFastServer(h binding.Handler, opts ...Option) (*FastServer, error) {
	r, err := newReceiver(h, opts)
	if err != nil {
		return nil, err
	}
	s := &FastServer{r: r}
	s.srv = &fasthttp.Server{
		Handler:            s.serve,
		ErrorHandler:       s.fail,
		Name:               "openevents",
		MaxRequestBodySize: int(r.cfg.maxBody),
		ReadBufferSize:     r.cfg.maxHeader,
		// The body is streamed: fasthttp reads ahead at most 8 KiB of it
		// and serve reads the rest as it arrives, so a declared length
		// reserves nothing. ReadTimeout runs from a request's first byte
		// through its headers; HeaderReceived then gives the body its own
		// deadline, within WithReadTimeout.
		StreamRequestBody: true,
		ReadTimeout:       r.cfg.readHeaderTimeout,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: r.cfg.bodyBudget()}
		},
		IdleTimeout:           r.cfg.idleTimeout,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		TLSConfig:             r.cfg.tls,
		// Library code never logs (STYLE.md): fasthttp's request errors
		// reach the refuse hook through ErrorHandler, and what it would
		// log goes to the WithConnErrorHook hook, or nowhere.
		Logger: connErrorLogger(r.cfg.onConnError),
	}
	return s, nil
}

// Serve accepts connections on ln until [FastServer.Shutdown] is called,
// and then returns nil, at once if Shutdown came first. With
// [WithTLSConfig] it speaks HTTPS. It takes ownership of ln.
func (s *FastServer) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ln.Close()
		return nil
	}
	g := newGuardListener(ln, &s.r.cfg)
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
func (s *FastServer) Shutdown(ctx context.Context) error {
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

func (s *FastServer) serve(ctx *fasthttp.RequestCtx) {
	switch {
	case ctx.IsPost():
	case ctx.IsOptions():
		s.options(ctx)
		return
	default:
		ctx.Response.Header.Set("Allow", allowMethods)
		s.refuse(ctx, nil, ErrMethod)
		return
	}
	r := s.r
	if !r.enter() {
		s.refuse(ctx, nil, ErrOverloaded)
		return
	}
	defer r.leave()
	st := r.get()
	defer r.put(st)

	hdr := &ctx.Request.Header
	if err := checkFraming(hdr.Peek("Content-Encoding"), hdr.IsHTTP11() || rawHasContentLength(hdr.RawHeaders())); err != nil {
		s.refuse(ctx, st, err)
		return
	}
	if int64(hdr.ContentLength()) > r.cfg.maxBody {
		s.refuse(ctx, st, ErrTooLarge)
		return
	}
	var body []byte
	if stream := ctx.RequestBodyStream(); stream != nil {
		var err error
		st.body, err = readBody(st.body[:0], stream, r.cfg.maxBody)
		if err != nil {
			s.refuse(ctx, st, timeoutCause(err, &r.cfg))
			return
		}
		body = st.body
	} else {
		body = ctx.Request.Body() // not streamed: a request built in memory
	}
	ct := hdr.ContentType()
	var out outcome
	switch mode := DetectMode(ct); mode {
	case binding.ModeBinary:
		for k, v := range hdr.All() {
			if len(k) > 3 && hasPrefixFold(k, "ce-") { // HTTP-HEADER-NAME-2
				addHeader(st, k[3:], v)
			}
		}
		if err := binaryEvent(st, ct, body, r.cfg.maxAttrs); err != nil {
			out.err = err
		} else {
			out = r.deliver(ctx, st)
		}
	default:
		if !formatSupported(ct, mode) {
			out.err = ErrUnsupportedMediaType
		} else {
			out = r.structured(ctx, st, mode, body)
		}
	}
	switch {
	case out.err != nil:
		s.refuse(ctx, st, out.err)
	case out.reply:
		s.writeReply(ctx, st)
	default:
		ctx.SetStatusCode(http.StatusNoContent) // WEBHOOK-RESPONSE-6
	}
}

// fail answers requests fasthttp could not read.
func (s *FastServer) fail(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		s.refuse(ctx, nil, ErrTooLarge)
		return
	}
	var small *fasthttp.ErrSmallBuffer
	if errors.As(err, &small) {
		s.refuse(ctx, nil, ErrHeaderTooLarge)
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// fasthttp reads the headers and the first 8 KiB of the body
		// before serve runs; which part ran out is not known here.
		s.refuse(ctx, nil, &TimeoutError{What: "the request", Err: err,
			Limit: "its deadline (WithReadHeaderTimeout for the headers, then WithReadBodyTimeout for the body)"})
		return
	}
	s.refuse(ctx, nil, &UnreadableError{Err: err})
}

func (s *FastServer) refuse(ctx *fasthttp.RequestCtx, st *state, err error) {
	code := StatusOf(err)
	if f := s.r.cfg.onRefuse; f != nil {
		f(ctx.RemoteAddr().String(), err)
	}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		ctx.Response.Header.Set("Retry-After", s.r.cfg.retryAfterHeader()) // WEBHOOK-RESPONSE-11
	}
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.SetStatusCode(code)
	if st != nil {
		st.out = appendErrorBody(st.out[:0], err)
		ctx.SetBody(st.out)
	} else {
		ctx.SetBody(appendErrorBody(nil, err))
	}
}

func (s *FastServer) writeReply(ctx *fasthttp.RequestCtx, st *state) {
	resp := &ctx.Response
	var body []byte
	if s.r.cfg.replyMode == binding.ModeStructured {
		resp.Header.SetContentType(jsonformat.MediaType)
		body = st.out
	} else {
		e := &st.reply
		st.out, st.spans = appendBinaryHeaders(st.out[:0], st.spans[:0], e)
		for _, sp := range st.spans {
			resp.Header.SetBytesKV(st.out[sp.name[0]:sp.name[1]], st.out[sp.value[0]:sp.value[1]])
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

func (s *FastServer) options(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("Allow", allowMethods) // WEBHOOK-VALIDATION-7
	h := &ctx.Request.Header
	code, origin, rate, err := s.r.cfg.handshake(string(h.Peek(hdrRequestOrigin)), string(h.Peek(hdrRequestRate)))
	if err != nil {
		s.refuse(ctx, nil, err)
		return
	}
	if origin != "" {
		ctx.Response.Header.Set(hdrAllowedOrigin, origin)
		ctx.Response.Header.Set(hdrAllowedRate, rate)
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
		if len(line) >= len(name) && hasPrefixFold(line, name) {
			return true
		}
	}
	return false
}

// connErrorLogger is a fasthttp.Logger that passes each message to f, or
// drops it when f is nil.
type connErrorLogger func(msg string)

func (f connErrorLogger) Printf(format string, args ...any) {
	if f != nil {
		f(fmt.Sprintf(format, args...))
	}
}
