package http

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/transports/http/internal/receive"
	"github.com/openevents/openevents/transports/internal/tlsdiag"
)

// Doer sends one HTTP request; *http.Client is one. A Doer must not follow
// redirects on the Sender's behalf (WEBHOOK-RESPONSE-3): a 3xx answer is
// returned to the caller as a [*StatusError].
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// SenderOption configures a [Sender].
type SenderOption interface {
	applySender(*senderConfig)
}

type senderOptionFunc func(*senderConfig)

func (f senderOptionFunc) applySender(c *senderConfig) { f(c) }

// Defaults of the sender options.
const (
	DefaultAttempts       = 3
	DefaultBackoff        = 100 * time.Millisecond
	DefaultMaxRetryWait   = 30 * time.Second
	DefaultRequestTimeout = 30 * time.Second
)

type senderConfig struct {
	doer     Doer
	mode     binding.Mode
	attempts int
	backoff  time.Duration
	maxWait  time.Duration
	timeout  time.Duration
	header   http.Header
	tls      *tls.Config // WithTLS
}

// WithDoer sends requests with d instead of the default client (an
// *http.Client with keep-alive connection reuse that never follows
// redirects).
func WithDoer(d Doer) SenderOption { return senderOptionFunc(func(c *senderConfig) { c.doer = d }) }

// WithMode sets the content mode of [Sender.Send]: [binding.ModeBinary]
// (the default), [binding.ModeStructured], or [binding.ModeBatch], which
// sends each event as a batch of one. Use batched mode only with a
// receiver that asked for it (HTTP-BATCH-1).
func WithMode(m binding.Mode) SenderOption {
	return senderOptionFunc(func(c *senderConfig) { c.mode = m })
}

// WithRetry makes a delivery answered 408, 429 or 503, or not answered at all,
// up to attempts tries in all (1: no retry), waiting backoff, doubled after
// each try and jittered, between them — or as long as Retry-After asks
// (WEBHOOK-RESPONSE-12). A Retry-After longer than [DefaultMaxRetryWait]
// ends the retries. The default is [DefaultAttempts] and [DefaultBackoff].
func WithRetry(attempts int, backoff time.Duration) SenderOption {
	return senderOptionFunc(func(c *senderConfig) { c.attempts, c.backoff = attempts, backoff })
}

// WithRequestTimeout bounds each attempt; the default is
// [DefaultRequestTimeout]. The context given to Send bounds them all.
func WithRequestTimeout(d time.Duration) SenderOption {
	return senderOptionFunc(func(c *senderConfig) { c.timeout = d })
}

// WithHeader adds a header to every request, for example Authorization
// (WEBHOOK-AUTH-1). ce- headers and Content-Type are the Sender's own and
// cannot be set this way.
func WithHeader(name, value string) SenderOption {
	return senderOptionFunc(func(c *senderConfig) { c.header.Add(name, value) })
}

// WithRequestOrigin adds WebHook-Request-Origin to every delivery, as a
// sender that passed the abuse-protection handshake must
// (WEBHOOK-DELIVERY-5, WEBHOOK-VALIDATION-3).
func WithRequestOrigin(origin string) SenderOption {
	return WithHeader(receive.HdrRequestOrigin, origin)
}

// Sender posts CloudEvents to one URL. It is safe for concurrent use.
type Sender struct {
	target string
	cfg    senderConfig
}

// NewSender returns a Sender posting to target, an absolute http or https
// URL. It returns an error for another URL or an invalid option.
func NewSender(target string, opts ...SenderOption) (*Sender, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, receive.ConfigError("target URL: " + err.Error())
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, receive.ConfigError("target must be an absolute http or https URL, not " + strconv.Quote(target))
	}
	c := senderConfig{
		mode:     binding.ModeBinary,
		attempts: DefaultAttempts,
		backoff:  DefaultBackoff,
		maxWait:  DefaultMaxRetryWait,
		timeout:  DefaultRequestTimeout,
		header:   http.Header{},
	}
	for _, o := range opts {
		if o != nil {
			o.applySender(&c)
		}
	}
	switch {
	case c.mode < binding.ModeBinary || c.mode > binding.ModeBatch:
		return nil, receive.ConfigError("unknown content mode " + c.mode.String())
	case c.attempts < 1:
		return nil, receive.ConfigError("WithRetry needs at least one attempt")
	case c.backoff < 0 || c.timeout <= 0:
		return nil, receive.ConfigError("WithRetry and WithRequestTimeout need positive durations")
	}
	if c.tls != nil && u.Scheme != "https" {
		return nil, receive.ConfigError("WithTLS was given but the target " + strconv.Quote(target) + " is plain http; use an https:// URL")
	}
	if c.tls != nil && c.doer != nil {
		return nil, receive.ConfigError("WithTLS and WithDoer together: set the TLS configuration on the Doer's transport")
	}
	for k := range c.header {
		if receive.HasPrefixFold(k, "ce-") || http.CanonicalHeaderKey(k) == "Content-Type" {
			return nil, receive.ConfigError("WithHeader cannot set " + k)
		}
	}
	if c.doer == nil {
		tr := http.DefaultTransport
		if t, ok := tr.(*http.Transport); ok {
			t = t.Clone()
			t.MaxIdleConnsPerHost = 64
			if c.tls != nil {
				t.TLSClientConfig = c.tls
			}
			tr = t
		}
		c.doer = &http.Client{
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // WEBHOOK-RESPONSE-3
			},
		}
	}
	return &Sender{target: target, cfg: c}, nil
}

// Response is the receiver's answer to an accepted delivery.
type Response struct {
	// Status is the 2xx status code.
	Status int
	// Reply is the event the receiver answered with, or nil. The caller
	// owns it.
	Reply *event.Event
}

// Send posts e in the Sender's mode and returns the accepted answer. A
// non-2xx answer is a [*StatusError] (after the retries [WithRetry]
// allows), no answer an [*UnreachableError], an event that does not
// validate or encode is returned as the encoder's error without sending.
// [IsRetryable] tells which are worth sending again.
func (s *Sender) Send(ctx context.Context, e *event.Event) (*Response, error) {
	if s.cfg.mode == binding.ModeBatch {
		return s.SendBatch(ctx, []event.Event{*e})
	}
	var (
		body []byte
		ct   string
		hdr  = make(http.Header, 8)
		err  error
	)
	if s.cfg.mode == binding.ModeStructured {
		if body, err = jsonformat.Append(nil, e); err != nil {
			return nil, err
		}
		ct = jsonformat.MediaType // HTTP-STRUCTURED-1
	} else {
		if err := e.Validate(); err != nil {
			return nil, err
		}
		buf, spans := receive.AppendBinaryHeaders(nil, nil, e)
		for _, sp := range spans {
			hdr[string(buf[sp.Name[0]:sp.Name[1]])] = []string{string(buf[sp.Value[0]:sp.Value[1]])}
		}
		switch {
		case e.Has(event.AttrDataContentType):
			ct = e.DataContentType() // HTTP-BINARY-1
		case e.HasData() && !e.IsBinaryData():
			// Data set as text without a datacontenttype is one JSON
			// value (see event.Event.SetData), which binary mode says
			// in Content-Type: a delivery always carries one
			// (WEBHOOK-DELIVERY-3), and a binding may make the type
			// explicit (CORE-ATTR-DATACONTENTTYPE-4).
			ct = "application/json"
		}
		body = e.Data() // HTTP-BINARY-3
	}
	return s.post(ctx, hdr, ct, body)
}

// SendBatch posts events as one batch (HTTP-BATCH-5, HTTP-BATCH-6);
// errors are as for [Send]. Use it only with a receiver that asked for
// batches (HTTP-BATCH-1).
func (s *Sender) SendBatch(ctx context.Context, events []event.Event) (*Response, error) {
	body, err := jsonformat.AppendBatch(nil, events)
	if err != nil {
		return nil, err
	}
	return s.post(ctx, make(http.Header, 2), jsonformat.BatchMediaType, body)
}

func (s *Sender) post(ctx context.Context, hdr http.Header, ct string, body []byte) (*Response, error) {
	for k, v := range s.cfg.header {
		hdr[k] = v
	}
	if ct != "" {
		hdr.Set("Content-Type", ct)
	}
	wait := s.cfg.backoff
	for attempt := 1; ; attempt++ {
		resp, err := s.once(ctx, hdr, body)
		if err == nil {
			return resp, nil
		}
		if attempt >= s.cfg.attempts || ctx.Err() != nil || !retryableAnswer(err) {
			return nil, s.explain(ctx, err)
		}
		d := wait/2 + rand.N(wait/2+1) // jitter: spread senders apart
		var se *StatusError
		if errors.As(err, &se) && se.RetryAfter > 0 {
			if se.RetryAfter > s.cfg.maxWait {
				return nil, err
			}
			d = se.RetryAfter // WEBHOOK-RESPONSE-12
		}
		wait *= 2
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

// explain adds what the TLS layer knows to a request that got no answer
// from a target reached with WithTLS (see tlsdiag.Explain).
func (s *Sender) explain(ctx context.Context, err error) error {
	var ue *UnreachableError
	if s.cfg.tls == nil || !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(s.target)
	if perr != nil {
		return err
	}
	return tlsdiag.Explain(ctx, err, tlsdiag.HostPort(u.Host, "443"), s.cfg.tls)
}

func retryableAnswer(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		// 408: the receiver gave up waiting for the body, which a new
		// attempt sends again whole.
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code == http.StatusServiceUnavailable
	}
	var ue *UnreachableError
	return errors.As(err, &ue)
}

func (s *Sender) once(parent context.Context, hdr http.Header, body []byte) (*Response, error) {
	ctx, cancel := context.WithTimeout(parent, s.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target, bytes.NewReader(body)) // WEBHOOK-DELIVERY-2
	if err != nil {
		return nil, err
	}
	req.Header = hdr
	resp, err := s.cfg.doer.Do(req)
	if err != nil {
		if parent.Err() != nil {
			return nil, err // the caller gave up; not the receiver's fault
		}
		// Refused, reset, or this attempt's timeout: worth another try.
		return nil, &UnreachableError{Err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10)) // best effort: the status says enough
		se := &StatusError{Code: resp.StatusCode, Body: b}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			se.RetryAfter = parseRetryAfter(ra)
		}
		return nil, se
	}
	reply, err := readReply(resp)
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Reply: reply}, nil
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 if neither.
func parseRetryAfter(v string) time.Duration {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// ReplyLimit is the largest reply body a Sender reads.
const ReplyLimit = 4 << 20

// readReply decodes the event a 2xx answer carries, if any: a structured
// body, or binary-mode ce- headers.
func readReply(resp *http.Response) (*event.Event, error) {
	ct := resp.Header.Get("Content-Type")
	mode := DetectMode(ct)
	if mode == binding.ModeBinary && resp.Header.Get("Ce-Specversion") == "" {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, ReplyLimit)) // drain for connection reuse
		return nil, nil
	}
	body, err := receive.ReadBody(nil, resp.Body, ReplyLimit)
	if err != nil {
		return nil, &ReplyError{Err: err}
	}
	e := new(event.Event)
	switch mode {
	case binding.ModeBinary:
		var st receive.State
		for k, vs := range resp.Header {
			if len(k) > 3 && receive.HasPrefixFold(k, "ce-") {
				if len(vs) != 1 {
					return nil, &ReplyError{Err: &MessageError{Header: k, Rule: "HTTP-BINARY-4", Msg: "an attribute maps to one header, given once"}}
				}
				receive.AddHeader(&st, k[3:], vs[0])
			}
		}
		if err := receive.BinaryEvent(&st, ct, body, event.DefaultMaxAttributes); err != nil {
			return nil, &ReplyError{Err: err}
		}
		*e = st.Event
	case binding.ModeStructured:
		if !receive.FormatSupported(ct, mode) {
			return nil, &ReplyError{Err: ErrUnsupportedMediaType}
		}
		if err := jsonformat.Decode(body, e); err != nil {
			return nil, &ReplyError{Err: err}
		}
	default:
		return nil, &ReplyError{Err: &MessageError{Rule: "HTTP-BATCH-5", Msg: "a reply is one event, not a batch"}}
	}
	return e, nil
}

// CloseIdleConnections closes the kept-alive connections of the Sender's
// Doer, if it has that method (an *http.Client does).
func (s *Sender) CloseIdleConnections() {
	if c, ok := s.cfg.doer.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Close closes the Sender's idle connections, as CloseIdleConnections
// does; requests in progress are not interrupted and the Sender stays
// usable (HTTP has no session to end). ctx is unused: Close has the
// signature of every transport's sender (Send, SendBatch, Close(ctx)).
func (s *Sender) Close(ctx context.Context) error {
	s.CloseIdleConnections()
	return nil
}

// ErrNotPermitted is returned by [Sender.RequestPermission] when the
// target answered the handshake without granting the origin.
var ErrNotPermitted = errors.New("cehttp: delivery not permitted by the target")

// RequestPermission runs the web-hook abuse-protection handshake against
// the Sender's URL: an OPTIONS request naming origin in
// WebHook-Request-Origin (WEBHOOK-VALIDATION-1, WEBHOOK-VALIDATION-2) and,
// when rate > 0, asking for rate requests per minute (WEBHOOK-RATE-1). It
// returns the granted WebHook-Allowed-Rate ("*" or a number), a
// [*StatusError] for a non-2xx answer, or [ErrNotPermitted] when the answer
// does not grant origin (WEBHOOK-ALLOWED-ORIGIN-2). Deliveries after a
// grant must carry the same origin: use [WithRequestOrigin]
// (WEBHOOK-VALIDATION-3).
func (s *Sender) RequestPermission(ctx context.Context, origin string, rate int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, s.target, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set(receive.HdrRequestOrigin, origin)
	if rate > 0 {
		req.Header.Set(receive.HdrRequestRate, strconv.Itoa(rate))
	}
	resp, err := s.cfg.doer.Do(req)
	if err != nil {
		return "", &UnreachableError{Err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // drain for connection reuse
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", &StatusError{Code: resp.StatusCode}
	}
	if got := resp.Header.Get(receive.HdrAllowedOrigin); got != origin && got != "*" {
		return "", ErrNotPermitted
	}
	granted := resp.Header.Get(receive.HdrAllowedRate)
	if granted == "" {
		granted = "*" // WEBHOOK-ALLOWED-RATE-2 is a SHOULD; absent means no stated limit
	}
	return granted, nil
}
