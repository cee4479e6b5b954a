package strictpeer

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// Options configure the handler.
type Options struct {
	// Reply answers each single event, binary or structured, with the same
	// event in binary mode and status 200. Batches are never answered with
	// events.
	Reply bool
	// MaxBody is the largest request body accepted, in bytes; larger bodies
	// get 413. Zero or less means DefaultMaxBody.
	MaxBody int64
}

// DefaultMaxBody is the body limit used when Options.MaxBody is not set.
const DefaultMaxBody = 1 << 20

// allowed is the Allow header value: deliveries are POSTed (web hook 2.1) and
// OPTIONS is the abuse-protection handshake (web hook 4).
const allowed = "OPTIONS, POST"

// NewHandler returns a strict CloudEvents 1.0.2 HTTP receiver.
func NewHandler(o Options) http.Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	return &handler{opts: o}
}

type handler struct {
	opts Options
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.post(w, r)
	case http.MethodOptions:
		h.handshake(w, r)
	default:
		w.Header().Set("Allow", allowed)
		http.Error(w, "method "+r.Method+" not allowed", http.StatusMethodNotAllowed)
	}
}

// handshake grants every origin the right to deliver, at any rate.
func (h *handler) handshake(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", allowed)
	origins := r.Header.Values("WebHook-Request-Origin")
	switch {
	case len(origins) == 0:
		// A plain OPTIONS request, not a validation request.
		w.WriteHeader(http.StatusOK)
		return
	case len(origins) > 1:
		http.Error(w, "WebHook-Request-Origin sent more than once", http.StatusBadRequest)
		return
	case origins[0] == "":
		http.Error(w, "WebHook-Request-Origin is empty", http.StatusBadRequest)
		return
	}
	w.Header().Set("WebHook-Allowed-Origin", origins[0])
	// The rate MUST be answered when it was asked for and SHOULD be
	// otherwise; "*" is always true of a receiver that never throttles.
	w.Header().Set("WebHook-Allowed-Rate", "*")
	w.WriteHeader(http.StatusOK)
}

// mode is the content mode of a request (HTTP binding 1.3).
type mode int

const (
	binaryMode mode = iota
	structuredMode
	batchMode
	unknownFormat
)

// contentMode picks the mode from the one Content-Type value, if any.
func contentMode(contentType []string) mode {
	if len(contentType) == 0 {
		return binaryMode
	}
	mt, _, _ := strings.Cut(contentType[0], ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case mt == "application/cloudevents+json":
		return structuredMode
	case mt == "application/cloudevents-batch+json":
		return batchMode
	case strings.HasPrefix(mt, "application/cloudevents"):
		return unknownFormat
	}
	return binaryMode
}

func (h *handler) post(w http.ResponseWriter, r *http.Request) {
	contentType := r.Header["Content-Type"]
	if len(contentType) > 1 {
		// Two values would give the event two datacontenttypes, or the
		// request two modes.
		http.Error(w, "Content-Type sent more than once", http.StatusBadRequest)
		return
	}
	m := contentMode(contentType)
	if m == unknownFormat {
		http.Error(w, "unsupported event format "+contentType[0], http.StatusUnsupportedMediaType)
		return
	}
	body, status, err := h.readBody(w, r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	var ev *event
	switch m {
	case batchMode:
		if _, err := decodeBatch(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	case structuredMode:
		ev, err = decodeStructured(body)
	default:
		ev, err = decodeBinary(r.Header, body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !h.opts.Reply {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeBinary(w, ev)
}

// readBody reads the whole body, refusing more than MaxBody bytes.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	if r.ContentLength > h.opts.MaxBody {
		return nil, http.StatusRequestEntityTooLarge, errors.New("body too large")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge, errors.New("body too large")
		}
		return nil, http.StatusBadRequest, errors.New("reading body: " + err.Error())
	}
	return body, 0, nil
}
