package http

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

var errNilHandler = errors.New("cehttp: the binding.Handler is nil")

// Handler receives CloudEvents in binary, structured and batched mode as
// an [http.Handler], for embedding in a user's own net/http server; see the
// package documentation for what it accepts and answers. It is safe for
// concurrent use.
type Handler struct {
	r *receiver
}

// NewHandler returns a Handler that passes each received, valid event to
// h. If h also implements [Replier], single events may be answered with a
// reply event. It returns an error for a nil h or an invalid option.
func NewHandler(h binding.Handler, opts ...Option) (*Handler, error) {
	r, err := newReceiver(h, opts)
	if err != nil {
		return nil, err
	}
	return &Handler{r: r}, nil
}

// ServeHTTP answers POST deliveries and OPTIONS handshakes; any other
// method gets 405 (WEBHOOK-DELIVERY-2).
func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch req.Method {
	case http.MethodPost:
	case http.MethodOptions:
		h.options(w, req)
		return
	default:
		w.Header().Set("Allow", allowMethods)
		h.refuse(w, req, nil, ErrMethod)
		return
	}
	r := h.r
	if !r.enter() {
		h.refuse(w, req, nil, ErrOverloaded)
		return
	}
	defer r.leave()
	st := r.get()
	defer r.put(st)

	if err := checkFraming(req.Header.Get("Content-Encoding"), req.ProtoAtLeast(1, 1) || req.ContentLength > 0 || req.Header.Get("Content-Length") != ""); err != nil {
		h.refuse(w, req, st, err)
		return
	}
	if req.ContentLength > r.cfg.maxBody {
		h.refuse(w, req, st, ErrTooLarge)
		return
	}
	// The body gets its own deadline once the headers are in. A Handler in
	// someone else's server may have no way to set one; that server's own
	// timeouts then apply.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(r.cfg.bodyBudget()))
	var err error
	st.body, err = readBody(st.body[:0], req.Body, r.cfg.maxBody)
	if err != nil {
		h.refuse(w, req, st, timeoutCause(err, &r.cfg))
		return
	}
	ct := req.Header.Get("Content-Type")
	var out outcome
	switch mode := DetectMode(ct); mode {
	case binding.ModeBinary:
		for k, vs := range req.Header {
			if len(k) > 3 && hasPrefixFold(k, "ce-") { // HTTP-HEADER-NAME-2
				if len(vs) != 1 {
					st.err = &MessageError{Header: k, Rule: "HTTP-BINARY-4", Msg: "an attribute maps to one header, given once"}
					break
				}
				addHeader(st, k[3:], vs[0])
			}
		}
		if err := binaryEvent(st, ct, st.body, r.cfg.maxAttrs); err != nil {
			out.err = err
		} else {
			out = r.deliver(req.Context(), st)
		}
	default:
		if !formatSupported(ct, mode) {
			out.err = ErrUnsupportedMediaType
		} else {
			out = r.structured(req.Context(), st, mode, st.body)
		}
	}
	if out.err != nil {
		h.refuse(w, req, st, out.err)
		return
	}
	if out.reply {
		h.writeReply(w, st)
		return
	}
	w.WriteHeader(http.StatusNoContent) // WEBHOOK-RESPONSE-6
}

// readBody appends body to dst, up to limit bytes; a longer body is
// ErrTooLarge. The buffer grows with the bytes that arrive, never ahead of
// them: a declared Content-Length reserves nothing, so a client that
// declares 4 MiB and sends a few bytes costs a few kilobytes.
func readBody(dst []byte, body io.Reader, limit int64) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			// Double what has arrived (4 KiB to start), never past the
			// limit and one byte to see that a body exceeds it.
			nd := make([]byte, len(dst), min(max(4<<10, 2*cap(dst)), int(limit)+1))
			copy(nd, dst)
			dst = nd
		}
		n, err := body.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if int64(len(dst)) > limit {
			return dst, ErrTooLarge
		}
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return dst, ErrTooLarge
			}
			return dst, &UnreadableError{Err: err}
		}
	}
}

// checkFraming refuses a request whose body cannot be taken as it comes:
// a compressed one, which a few bytes could inflate far past every limit,
// and an HTTP/1.0 one without Content-Length, which has no body at all.
func checkFraming[S string | []byte](contentEncoding S, hasLength bool) error {
	if len(contentEncoding) > 0 && !isIdentity(contentEncoding) {
		return &EncodingError{Encoding: string(contentEncoding)}
	}
	if !hasLength {
		return &MessageError{Rule: "WEBHOOK-DELIVERY-4", Msg: "the request has no body: an HTTP/1.0 request carries one only with a Content-Length header " +
			"(send Content-Length, 0 for an event without data, or use HTTP/1.1)"}
	}
	return nil
}

// isIdentity reports whether a Content-Encoding value names no coding.
func isIdentity[S string | []byte](v S) bool {
	i, j := 0, len(v)
	for i < j && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	for j > i && (v[j-1] == ' ' || v[j-1] == '\t') {
		j--
	}
	const id = "identity"
	if j-i != len(id) {
		return false
	}
	for k := 0; k < len(id); k++ {
		if c := v[i+k] | 0x20; c != id[k] {
			return false
		}
	}
	return true
}

// timeoutCause turns a read that hit the connection's deadline into a
// [*TimeoutError] naming the limit; other errors pass through.
func timeoutCause(err error, c *config) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &TimeoutError{What: "the request body", Err: err,
			Limit: c.bodyBudget().String() + " of its headers (WithReadBodyTimeout, within WithReadTimeout)"}
	}
	return err
}

// UnreadableError reports a request body that could not be read (the
// client went away, or the connection broke). It matches ErrMalformed.
type UnreadableError struct {
	Err error
}

func (e *UnreadableError) Error() string {
	return "cehttp: cannot read the request body: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *UnreadableError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrMalformed].
func (e *UnreadableError) Is(target error) bool { return target == ErrMalformed }

func (h *Handler) refuse(w http.ResponseWriter, req *http.Request, st *state, err error) {
	code := StatusOf(err)
	if f := h.r.cfg.onRefuse; f != nil {
		f(req.RemoteAddr, err)
	}
	hdr := w.Header()
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		hdr.Set("Retry-After", h.r.cfg.retryAfterHeader()) // WEBHOOK-RESPONSE-11
	}
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	var body []byte
	if st != nil {
		st.out = appendErrorBody(st.out[:0], err)
		body = st.out
	} else {
		body = appendErrorBody(nil, err)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body) // the client may be gone; nothing left to tell it
}

func (h *Handler) writeReply(w http.ResponseWriter, st *state) {
	hdr := w.Header()
	var body []byte
	if h.r.cfg.replyMode == binding.ModeStructured {
		hdr.Set("Content-Type", jsonformat.MediaType)
		body = st.out
	} else {
		e := &st.reply
		st.out, st.spans = appendBinaryHeaders(st.out[:0], st.spans[:0], e)
		for _, sp := range st.spans {
			hdr[string(st.out[sp.name[0]:sp.name[1]])] = []string{string(st.out[sp.value[0]:sp.value[1]])}
		}
		if e.Has("datacontenttype") {
			hdr.Set("Content-Type", e.DataContentType())
		} else {
			// No datacontenttype means no Content-Type (HTTP-BINARY-1,
			// JSON-DATA-18); a nil entry stops net/http from sniffing one
			// from the body, as FastServer never does.
			hdr["Content-Type"] = nil
		}
		body = e.Data()
	}
	if len(body) == 0 {
		w.WriteHeader(http.StatusNoContent) // WEBHOOK-RESPONSE-6
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK) // WEBHOOK-RESPONSE-4
	_, _ = w.Write(body)
}

func (h *Handler) options(w http.ResponseWriter, req *http.Request) {
	hdr := w.Header()
	hdr.Set("Allow", allowMethods) // WEBHOOK-VALIDATION-7
	code, origin, rate, err := h.r.cfg.handshake(req.Header.Get(hdrRequestOrigin), req.Header.Get(hdrRequestRate))
	if err != nil {
		h.refuse(w, req, nil, err)
		return
	}
	if origin != "" {
		hdr.Set(hdrAllowedOrigin, origin)
		hdr.Set(hdrAllowedRate, rate)
	}
	w.WriteHeader(code)
}
