package receive

import (
	"context"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// Replier is cehttp.Replier, declared again here so the core can find it
// on a handler by type assertion without importing cehttp.
type Replier interface {
	HandleReply(ctx context.Context, e, reply *event.Event) (bool, error)
}

// Span locates one ce- header, name and value, in a byte slice.
type Span struct {
	Name, Value [2]int32
}

// State is the scratch space of one request, reused through the
// receiver's pool: the event handed to the handler, the decoded header
// bytes, the body and the encoded response. A front end owns it between
// [Receiver.Get] and [Receiver.Put].
type State struct {
	Event event.Event
	Reply event.Event
	Spans []Span
	Body  []byte // the request body, read by the front end
	Out   []byte // the response body or reply headers, written by the front end
	// Err is the first error met while collecting ce- headers; AddHeader
	// sets it, a front end may set it too, and BinaryEvent returns it.
	Err   error
	buf   []byte
	batch []event.Event
}

// maxPooled caps the buffers a pooled state keeps, so one huge request does
// not pin its memory.
const maxPooled = 1 << 20

func (st *State) reset() {
	st.buf = st.buf[:0]
	st.Spans = st.Spans[:0]
	st.Err = nil
	if cap(st.Body) > maxPooled {
		st.Body = nil
	}
	if cap(st.Out) > maxPooled {
		st.Out = nil
	}
	if cap(st.batch) > 1024 {
		st.batch = nil
	}
	// The batch's events are overwritten by the next DecodeBatch; until
	// then they pin one decode buffer, no more.
	st.batch = st.batch[:0]
	st.Event.Reset()
	st.Reply.Reset()
}

// AddHeader records the ce- header whose name without the prefix is name.
func AddHeader[S string | []byte](st *State, name, value S) {
	if st.Err != nil {
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
		st.Err = &HeaderError{Header: "ce-" + string(st.buf[ns:vs]), Err: err}
		return
	}
	st.Spans = append(st.Spans, Span{Name: [2]int32{int32(ns), int32(vs)}, Value: [2]int32{int32(vs), int32(len(st.buf))}})
}

// BinaryEvent builds st.Event from the recorded ce- headers, the
// Content-Type and the body, and validates it. The body is retained, not
// copied; every string is copied once, into one allocation.
//
// Extensions are collected in header order and sorted once
// ([event.Event.SetExtensions]), so any number of headers in any order
// costs linear time; more than maxAttrs ce- headers are refused.
func BinaryEvent[S string | []byte](st *State, contentType S, body []byte, maxAttrs int) error {
	if st.Err != nil {
		return st.Err
	}
	if len(st.Spans) > maxAttrs {
		return &event.AttributeLimitError{Max: maxAttrs, Offset: -1}
	}
	cs := len(st.buf)
	st.buf = append(st.buf, contentType...)
	s := string(st.buf)
	e := &st.Event // empty: states are reset when they return to the pool
	ext := e.Extensions()[:0]
	for _, sp := range st.Spans {
		name, v := s[sp.Name[0]:sp.Name[1]], s[sp.Value[0]:sp.Value[1]]
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
		case HasPrefixFold(ct, "text/") && utf8.Valid(body):
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

// Receiver is what every front end shares: the handler, the validated
// options, the in-flight count and the pool of request states. It is safe
// for concurrent use.
type Receiver struct {
	Config   Config
	h        binding.Handler
	rep      Replier
	inFlight atomic.Int64
	pool     sync.Pool
}

// New returns a Receiver passing events to h, asking for replies when h
// also implements [Replier]. It returns an error for a nil h or an invalid
// option.
func New(h binding.Handler, opts []Option) (*Receiver, error) {
	if h == nil {
		return nil, errNilHandler
	}
	cfg, err := NewConfig(opts)
	if err != nil {
		return nil, err
	}
	r := &Receiver{Config: cfg, h: h}
	r.rep, _ = h.(Replier)
	r.pool.New = func() any { return new(State) }
	return r, nil
}

// Get returns an empty request state; hand it back with Put.
func (r *Receiver) Get() *State {
	st, ok := r.pool.Get().(*State)
	if !ok {
		st = new(State)
	}
	return st
}

// Put resets st and returns it to the pool; st must not be used after.
func (r *Receiver) Put(st *State) {
	st.reset()
	r.pool.Put(st)
}

// Enter counts a request in; it reports false when the receiver is over
// its WithMaxInFlight bound, and then the request must be answered 429
// without a matching Leave.
func (r *Receiver) Enter() bool {
	if r.Config.MaxInFlight == 0 {
		return true
	}
	if r.inFlight.Add(1) > r.Config.MaxInFlight {
		r.inFlight.Add(-1)
		return false
	}
	return true
}

// Leave counts a request out after a successful Enter.
func (r *Receiver) Leave() {
	if r.Config.MaxInFlight != 0 {
		r.inFlight.Add(-1)
	}
}

// Outcome is what a front end writes back: an error answer, a reply
// (st.Reply holds it, and st.Out its JSON encoding in structured reply
// mode), or else 204.
type Outcome struct {
	Err   error
	Reply bool
}

// Structured decodes and handles the body of a structured or batched
// request; binary requests go through [BinaryEvent] then Deliver.
func (r *Receiver) Structured(ctx context.Context, st *State, mode binding.Mode, body []byte) Outcome {
	if firstNonSpace(body) == len(body) {
		if mode == binding.ModeBatch {
			return Outcome{Err: &MessageError{Rule: "HTTP-BATCH-6", Msg: "the request body is empty, but in batched mode the body is the batch"}}
		}
		return Outcome{Err: &MessageError{Rule: "HTTP-STRUCTURED-2", Msg: "the request body is empty, but in structured mode the body is the event"}}
	}
	if mode == binding.ModeBatch {
		var err error
		dec := jsonformat.Decoder{MaxAttributes: r.Config.MaxAttrs}
		st.batch, err = dec.DecodeBatch(body, st.batch[:0])
		if err != nil {
			return Outcome{Err: err}
		}
		// Each event is handled in order; on the first failure the rest
		// are not, and the sender's retry carries the whole batch again
		// (at-least-once).
		for i := range st.batch {
			if err := binding.Call(ctx, r.h, &st.batch[i]); err != nil {
				return Outcome{Err: handlerError(i, err)}
			}
		}
		return Outcome{}
	}
	if i := firstNonSpace(body); i < len(body) && body[i] == '[' {
		return Outcome{Err: &MessageError{Rule: "HTTP-BATCH-5", Msg: "a JSON array is a batch: send it as " + jsonformat.BatchMediaType + ", not as one structured event"}}
	}
	dec := jsonformat.Decoder{MaxAttributes: r.Config.MaxAttrs}
	if err := dec.Decode(body, &st.Event); err != nil {
		return Outcome{Err: err}
	}
	return r.Deliver(ctx, st)
}

// Deliver hands st.Event to the handler, asking for a reply when it can
// give one.
func (r *Receiver) Deliver(ctx context.Context, st *State) Outcome {
	if r.rep == nil {
		if err := binding.Call(ctx, r.h, &st.Event); err != nil {
			return Outcome{Err: handlerError(-1, err)}
		}
		return Outcome{}
	}
	ok, err := callReplier(ctx, r.rep, &st.Event, &st.Reply)
	if err != nil {
		return Outcome{Err: handlerError(-1, err)}
	}
	if !ok {
		return Outcome{}
	}
	if r.Config.ReplyMode == binding.ModeStructured {
		st.Out, err = jsonformat.Append(st.Out[:0], &st.Reply)
	} else {
		err = st.Reply.Validate()
	}
	if err != nil {
		return Outcome{Err: &ReplyError{Err: err}}
	}
	return Outcome{Reply: true}
}

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
