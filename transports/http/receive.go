package http

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// Replier is an optional interface of a [binding.Handler]: a receiver calls
// HandleReply instead of Handle for a binary or structured request, and
// when it returns true with a nil error writes reply back as the response
// (200 with a body, 204 for a binary-mode reply without data), in the mode
// set with [WithReplyMode]. reply is empty on entry and owned by the
// receiver; it must not be kept after HandleReply returns. Batched requests
// get no reply and are handled with Handle.
type Replier interface {
	HandleReply(ctx context.Context, e, reply *event.Event) (bool, error)
}

// ReplierFunc adapts a function to [binding.Handler] and [Replier].
type ReplierFunc func(ctx context.Context, e, reply *event.Event) (bool, error)

// HandleReply calls f.
func (f ReplierFunc) HandleReply(ctx context.Context, e, reply *event.Event) (bool, error) {
	return f(ctx, e, reply)
}

// Handle calls f and drops any reply.
func (f ReplierFunc) Handle(ctx context.Context, e *event.Event) error {
	var reply event.Event
	_, err := f(ctx, e, &reply)
	return err
}

// MessageError reports a request that is not a well-formed CloudEvents
// message for a rule of the HTTP binding (a header given twice, a
// ce-datacontenttype header, a JSON array sent as one event). It matches
// [ErrMalformed].
type MessageError struct {
	Header string // the header concerned, or ""
	Rule   string // requirement ID
	Msg    string
}

func (e *MessageError) Error() string {
	s := "cehttp: "
	if e.Header != "" {
		s += e.Header + ": "
	}
	return s + e.Msg + " (" + e.Rule + ")"
}

// Is reports whether target is [ErrMalformed].
func (e *MessageError) Is(target error) bool { return target == ErrMalformed }

// HeaderError reports a ce- header whose value cannot be decoded. It wraps
// the [*binding.HeaderValueError].
type HeaderError struct {
	Header string
	Err    error
}

func (e *HeaderError) Error() string { return "cehttp: header " + e.Header + ": " + e.Err.Error() }

// Unwrap returns the decoding error.
func (e *HeaderError) Unwrap() error { return e.Err }

// span locates one ce- header, name and decoded value, in state.buf.
type span struct {
	name, value [2]int32
}

// state is the scratch space of one request, reused through a pool: the
// event handed to the handler, the decoded header bytes, the body and the
// encoded response.
type state struct {
	e     event.Event
	reply event.Event
	buf   []byte
	spans []span
	batch []event.Event
	body  []byte
	out   []byte
	err   error
}

// maxPooled caps the buffers a pooled state keeps, so one huge request does
// not pin its memory.
const maxPooled = 1 << 20

func (st *state) reset() {
	st.buf = st.buf[:0]
	st.spans = st.spans[:0]
	st.err = nil
	if cap(st.body) > maxPooled {
		st.body = nil
	}
	if cap(st.out) > maxPooled {
		st.out = nil
	}
	if cap(st.batch) > 1024 {
		st.batch = nil
	}
	// The batch's events are overwritten by the next DecodeBatch; until
	// then they pin one decode buffer, no more.
	st.batch = st.batch[:0]
	st.e.Reset()
	st.reply.Reset()
}

// addHeader records the ce- header whose name without the prefix is name.
func addHeader[S string | []byte](st *state, name, value S) {
	if st.err != nil {
		return
	}
	ns := len(st.buf)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		st.buf = append(st.buf, c)
	}
	vs := len(st.buf)
	var err error
	if st.buf, err = binding.AppendDecodedHeaderValue(st.buf, value); err != nil {
		st.err = &HeaderError{Header: "ce-" + string(st.buf[ns:vs]), Err: err}
		return
	}
	st.spans = append(st.spans, span{name: [2]int32{int32(ns), int32(vs)}, value: [2]int32{int32(vs), int32(len(st.buf))}})
}

// binaryEvent builds st.e from the recorded ce- headers, the Content-Type
// and the body, and validates it. The body is retained, not copied; every
// string is copied once, into one allocation.
//
// Extensions are collected in header order and sorted once
// ([event.Event.SetExtensions]), so any number of headers in any order
// costs linear time; more than maxAttrs ce- headers are refused.
func binaryEvent[S string | []byte](st *state, contentType S, body []byte, maxAttrs int) error {
	if st.err != nil {
		return st.err
	}
	if len(st.spans) > maxAttrs {
		return &event.AttributeLimitError{Max: maxAttrs, Offset: -1}
	}
	cs := len(st.buf)
	st.buf = append(st.buf, contentType...)
	s := string(st.buf)
	e := &st.e // empty: states are reset when they return to the pool
	ext := e.Extensions()[:0]
	for _, sp := range st.spans {
		name, v := s[sp.name[0]:sp.name[1]], s[sp.value[0]:sp.value[1]]
		if name == event.AttrDataContentType {
			return &MessageError{Header: "ce-datacontenttype", Rule: "HTTP-BINARY-2", Msg: "in binary mode datacontenttype travels as Content-Type, never as a ce- header"}
		}
		if event.IsCoreAttribute(name) && e.Has(name) {
			return &MessageError{Header: "ce-" + name, Rule: "HTTP-BINARY-4", Msg: "an attribute maps to one header, given once"}
		}
		switch name {
		case event.AttrID:
			e.SetID(v)
		case event.AttrSource:
			e.SetSource(v)
		case event.AttrSpecVersion:
			e.SetSpecVersion(v)
		case event.AttrType:
			e.SetType(v)
		case event.AttrDataSchema:
			e.SetDataSchema(v)
		case event.AttrSubject:
			e.SetSubject(v)
		case event.AttrTime:
			e.SetTime(v)
		default:
			// Header values carry no type: an extension arrives as the
			// canonical string of its value (HTTP-HEADER-VALUE-1).
			ext = append(ext, event.Extension{Name: name, Value: event.String(v)})
		}
	}
	if repeated := e.SetExtensions(ext); repeated != nil {
		return &MessageError{Header: "ce-" + repeated[0], Rule: "HTTP-BINARY-4", Msg: "an attribute maps to one header, given once"}
	}
	if e.SpecVersion() == "0.3" {
		if err := mapV03(e); err != nil {
			return err
		}
	}
	ct := s[cs:]
	if ct != "" {
		e.SetDataContentType(ct) // HTTP-BINARY-1
	}
	// The body is the data (HTTP-BINARY-3); an empty body without a
	// Content-Type is an event without data. JSON and UTF-8 text are kept
	// as text; anything else, a body without a Content-Type included, is
	// opaque bytes (the JSON format then carries it in data_base64).
	if len(body) > 0 || ct != "" {
		switch {
		case ct != "" && event.IsJSONMediaType(ct):
			e.SetData(body)
		case hasPrefixFold(ct, "text/") && utf8.Valid(body):
			e.SetData(body)
		default:
			e.SetBinaryData(body)
		}
	}
	return e.Validate()
}

// mapV03 turns a binary-mode 0.3 event into the 1.0 event it maps to, as
// the JSON format does: a name starting with a digit, legal in 1.0, is
// refused (V03-NAMING-1), schemaurl becomes dataschema (V03-SCHEMAURL-1), and
// datacontentencoding is dropped, since a binary-mode body is bytes, not a
// string carrying them (V03-DATACONTENTENCODING-3).
func mapV03(e *event.Event) error {
	if e.Has(event.AttrDataSchema) {
		return &MessageError{Header: "ce-dataschema", Rule: "CORE-ATTR-4", Msg: "a 0.3 event has no dataschema attribute; its schemaurl becomes the 1.0 dataschema"}
	}
	for _, x := range e.Extensions() {
		if c := x.Name[0]; '0' <= c && c <= '9' {
			return &MessageError{Header: "ce-" + x.Name, Rule: "V03-NAMING-1", Msg: "a 0.3 attribute name starts with a letter"}
		}
	}
	e.SetSpecVersion(event.SpecVersion)
	if v, ok := e.Extension("schemaurl"); ok {
		e.Delete("schemaurl")
		e.SetDataSchema(v.Text())
	}
	e.Delete("datacontentencoding")
	return nil
}

// receiver is what Handler and FastServer share: the handler, the options
// and the in-flight count.
type receiver struct {
	cfg      config
	h        binding.Handler
	rep      Replier
	inFlight atomic.Int64
	pool     sync.Pool
}

func newReceiver(h binding.Handler, opts []Option) (*receiver, error) {
	if h == nil {
		return nil, errNilHandler
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	r := &receiver{cfg: cfg, h: h}
	r.rep, _ = h.(Replier)
	r.pool.New = func() any { return new(state) }
	return r, nil
}

func (r *receiver) get() *state {
	st, ok := r.pool.Get().(*state)
	if !ok {
		st = new(state)
	}
	return st
}

func (r *receiver) put(st *state) {
	st.reset()
	r.pool.Put(st)
}

// enter counts a request in; it reports false when the receiver is over
// its WithMaxInFlight bound, and then the request must be answered 429.
func (r *receiver) enter() bool {
	if r.cfg.maxInFlight == 0 {
		return true
	}
	if r.inFlight.Add(1) > r.cfg.maxInFlight {
		r.inFlight.Add(-1)
		return false
	}
	return true
}

func (r *receiver) leave() {
	if r.cfg.maxInFlight != 0 {
		r.inFlight.Add(-1)
	}
}

// outcome is what a front end writes back.
type outcome struct {
	err   error
	reply bool // st.reply holds a reply event
}

// structured decodes and handles the body of a structured or batched
// request; binary requests go through binaryEvent then deliver.
func (r *receiver) structured(ctx context.Context, st *state, mode binding.Mode, body []byte) outcome {
	if firstNonSpace(body) == len(body) {
		if mode == binding.ModeBatch {
			return outcome{err: &MessageError{Rule: "HTTP-BATCH-6", Msg: "the request body is empty, but in batched mode the body is the batch"}}
		}
		return outcome{err: &MessageError{Rule: "HTTP-STRUCTURED-2", Msg: "the request body is empty, but in structured mode the body is the event"}}
	}
	if mode == binding.ModeBatch {
		var err error
		dec := jsonformat.Decoder{MaxAttributes: r.cfg.maxAttrs}
		st.batch, err = dec.DecodeBatch(body, st.batch[:0])
		if err != nil {
			return outcome{err: err}
		}
		// Each event is handled in order; on the first failure the rest
		// are not, and the sender's retry carries the whole batch again
		// (at-least-once).
		for i := range st.batch {
			if err := binding.Call(ctx, r.h, &st.batch[i]); err != nil {
				return outcome{err: handlerError(i, err)}
			}
		}
		return outcome{}
	}
	if i := firstNonSpace(body); i < len(body) && body[i] == '[' {
		return outcome{err: &MessageError{Rule: "HTTP-BATCH-5", Msg: "a JSON array is a batch: send it as " + jsonformat.BatchMediaType + ", not as one structured event"}}
	}
	dec := jsonformat.Decoder{MaxAttributes: r.cfg.maxAttrs}
	if err := dec.Decode(body, &st.e); err != nil {
		return outcome{err: err}
	}
	return r.deliver(ctx, st)
}

// deliver hands st.e to the handler, asking for a reply when it can give
// one.
func (r *receiver) deliver(ctx context.Context, st *state) outcome {
	if r.rep == nil {
		if err := binding.Call(ctx, r.h, &st.e); err != nil {
			return outcome{err: handlerError(-1, err)}
		}
		return outcome{}
	}
	ok, err := callReplier(ctx, r.rep, &st.e, &st.reply)
	if err != nil {
		return outcome{err: handlerError(-1, err)}
	}
	if !ok {
		return outcome{}
	}
	if r.cfg.replyMode == binding.ModeStructured {
		st.out, err = jsonformat.Append(st.out[:0], &st.reply)
	} else {
		err = st.reply.Validate()
	}
	if err != nil {
		return outcome{err: &ReplyError{Err: err}}
	}
	return outcome{reply: true}
}

// HandlerError wraps an error returned by the [binding.Handler], so the
// refuse hook can tell it from a decoding error. It unwraps to the cause,
// which chooses the status.
type HandlerError struct {
	Index int // position of the event in a batch, or -1
	Err   error
}

func (e *HandlerError) Error() string {
	if e.Index >= 0 {
		return "cehttp: handler failed on event " + strconv.Itoa(e.Index) + " of the batch: " + e.Err.Error()
	}
	return "cehttp: handler failed: " + e.Err.Error()
}

// Unwrap returns the handler's error.
func (e *HandlerError) Unwrap() error { return e.Err }

func handlerError(i int, err error) error { return &HandlerError{Index: i, Err: err} }

// ReplyError reports a reply event that is not valid: on the receiving side
// one a [Replier] produced (the request is then answered 500, as the fault
// is the handler's, not the sender's), on the sending side one the
// receiver answered with.
type ReplyError struct {
	Err error
}

func (e *ReplyError) Error() string { return "cehttp: reply event: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ReplyError) Unwrap() error { return e.Err }

func firstNonSpace(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// callReplier is [binding.Call] for a [Replier].
func callReplier(ctx context.Context, rep Replier, e, reply *event.Event) (ok bool, err error) {
	defer binding.Recover(&err)
	return rep.HandleReply(ctx, e, reply)
}
