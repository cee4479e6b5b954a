package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/transports/http/internal/receive"
)

// Handler receives CloudEvents in binary, structured and batched mode as
// an [http.Handler], for embedding in a user's own net/http server; see the
// package documentation for what it accepts and answers. It is safe for
// concurrent use.
type Handler struct {
	r *receive.Receiver
}

// NewHandler returns a Handler that passes each received, valid event to
// h. If h also implements [Replier], single events may be answered with a
// reply event. It returns an error for a nil h or an invalid option.
func NewHandler(h binding.Handler, opts ...Option) (*Handler, error) {
	r, err := receive.New(h, opts)
	if err != nil {
		return nil, err
	}
	return &Handler{r: r}, nil
}

// ServeHTTP answers POST deliveries and OPTIONS handshakes; any other
// method gets 405 (WEBHOOK-DELIVERY-2).
func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if routes := h.r.Config.Routes; routes != nil {
		if rh, ok := routes[req.URL.Path]; ok {
			rh.ServeHTTP(w, req)
			return
		}
	}
	switch req.Method {
	case http.MethodPost:
	case http.MethodOptions:
		h.options(w, req)
		return
	default:
		w.Header().Set("Allow", receive.AllowMethods)
		h.refuse(w, req, nil, ErrMethod)
		return
	}
	r := h.r
	cfg := &r.Config
	if !r.Enter() {
		h.refuse(w, req, nil, ErrOverloaded)
		return
	}
	defer r.Leave()
	st := r.Get()
	defer r.Put(st)

	if err := receive.CheckFraming(req.Header.Get("Content-Encoding"), req.ProtoAtLeast(1, 1) || req.ContentLength > 0 || req.Header.Get("Content-Length") != ""); err != nil {
		h.refuse(w, req, st, err)
		return
	}
	if req.ContentLength > cfg.MaxBody {
		h.refuse(w, req, st, ErrTooLarge)
		return
	}
	// The body gets its own deadline once the headers are in. A Handler in
	// someone else's server may have no way to set one; that server's own
	// timeouts then apply.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(cfg.BodyBudget()))
	var err error
	st.Body, err = receive.ReadBody(st.Body[:0], req.Body, cfg.MaxBody)
	if err != nil {
		h.refuse(w, req, st, receive.TimeoutCause(err, cfg))
		return
	}
	ct := req.Header.Get("Content-Type")
	var out receive.Outcome
	switch mode := receive.DetectMode(ct); mode {
	case binding.ModeBinary:
		for k, vs := range req.Header {
			if len(k) > 3 && receive.HasPrefixFold(k, "ce-") { // HTTP-HEADER-NAME-2
				if len(vs) != 1 {
					st.Err = &MessageError{Header: k, Rule: "HTTP-BINARY-4", Msg: "an attribute maps to one header, given once"}
					break
				}
				receive.AddHeader(st, k[3:], vs[0])
			}
		}
		if err := receive.BinaryEvent(st, ct, st.Body, cfg.MaxAttrs); err != nil {
			out.Err = err
		} else {
			out = r.Deliver(req.Context(), st)
		}
	default:
		if !receive.FormatSupported(ct, mode) {
			out.Err = ErrUnsupportedMediaType
		} else {
			out = r.Structured(req.Context(), st, mode, st.Body)
		}
	}
	if out.Err != nil {
		h.refuse(w, req, st, out.Err)
		return
	}
	if out.Reply {
		h.writeReply(w, st)
		return
	}
	w.WriteHeader(http.StatusNoContent) // WEBHOOK-RESPONSE-6
}

func (h *Handler) refuse(w http.ResponseWriter, req *http.Request, st *receive.State, err error) {
	code := StatusOf(err)
	if f := h.r.Config.OnRefuse; f != nil {
		f(req.RemoteAddr, err)
	}
	hdr := w.Header()
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		hdr.Set("Retry-After", h.r.Config.RetryAfterHeader()) // WEBHOOK-RESPONSE-11
	}
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	var body []byte
	if st != nil {
		st.Out = receive.AppendErrorBody(st.Out[:0], err)
		body = st.Out
	} else {
		body = receive.AppendErrorBody(nil, err)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body) // the client may be gone; nothing left to tell it
}

func (h *Handler) writeReply(w http.ResponseWriter, st *receive.State) {
	hdr := w.Header()
	var body []byte
	if h.r.Config.ReplyMode == binding.ModeStructured {
		hdr.Set("Content-Type", jsonformat.MediaType)
		body = st.Out
	} else {
		e := &st.Reply
		st.Out, st.Spans = receive.AppendBinaryHeaders(st.Out[:0], st.Spans[:0], e)
		for _, sp := range st.Spans {
			hdr[string(st.Out[sp.Name[0]:sp.Name[1]])] = []string{string(st.Out[sp.Value[0]:sp.Value[1]])}
		}
		if e.Has("datacontenttype") {
			hdr.Set("Content-Type", e.DataContentType())
		} else {
			// No datacontenttype means no Content-Type (HTTP-BINARY-1,
			// JSON-DATA-18); a nil entry stops net/http from sniffing one
			// from the body, as the fasthttp server never does.
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
	hdr.Set("Allow", receive.AllowMethods) // WEBHOOK-VALIDATION-7
	code, origin, rate, err := h.r.Config.Handshake(req.Header.Get(receive.HdrRequestOrigin), req.Header.Get(receive.HdrRequestRate))
	if err != nil {
		h.refuse(w, req, nil, err)
		return
	}
	if origin != "" {
		hdr.Set(receive.HdrAllowedOrigin, origin)
		hdr.Set(receive.HdrAllowedRate, rate)
	}
	w.WriteHeader(code)
}
