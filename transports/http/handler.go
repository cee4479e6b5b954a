package http

import (
	"errors"
	"io"
	"net/http"
	"strconv"

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

	if req.ContentLength > r.cfg.maxBody {
		h.refuse(w, req, st, ErrTooLarge)
		return
	}
	var err error
	st.body, err = readBody(st.body[:0], req.Body, req.ContentLength, r.cfg.maxBody)
	if err != nil {
		h.refuse(w, req, st, err)
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
		if err := binaryEvent(st, ct, st.body); err != nil {
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

// readBody reads at most limit bytes of body into dst; a longer body is
// ErrTooLarge.
func readBody(dst []byte, body io.Reader, length, limit int64) ([]byte, error) {
	if length > 0 && int64(cap(dst)) < length {
		dst = make([]byte, 0, length)
	}
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
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
			return dst, &UnreadableError{Err: err}
		}
	}
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
