// Package trace carries a W3C Trace Context traceparent through a
// [context.Context], so that triggers, the host and functions pass the
// trace of an event along without knowing each other.
//
// A trigger that reads a traceparent from its protocol (the HTTP
// traceparent header, gRPC metadata) stores it with [NewContext] before it
// dispatches; the host then adds the event's own traceparent extension
// attribute ([Extension], the CloudEvents distributed-tracing extension,
// EXT-DISTTRACE-2) only when the context has none; a function or sink
// reads it with [FromContext] to continue the trace.
//
// The package imports only the standard library, so every layer of the
// runtime can use it.
package trace

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Extension is the name of the CloudEvents distributed-tracing extension
// attribute that holds a traceparent (EXT-DISTTRACE-2).
const Extension = "traceparent"

// Header is the name of the W3C Trace Context header (HTTP) and metadata
// key (gRPC) that carries a traceparent, lower-case as both want it.
const Header = "traceparent"

// ErrInvalid is returned by [Parse] for a string that is not a W3C
// traceparent.
var ErrInvalid = errors.New("trace: not a valid W3C traceparent")

// A Parent is a parsed traceparent: version-traceid-parentid-flags.
type Parent struct {
	Version  byte     // 0 for the format this package knows; never 0xff
	TraceID  [16]byte // not all zero
	ParentID [8]byte  // the caller's span id; not all zero
	Flags    byte     // bit 0 is "sampled"
}

// Sampled reports whether the sampled flag (bit 0 of the flags) is set.
func (p Parent) Sampled() bool { return p.Flags&1 != 0 }

// Parse reads a traceparent header value. Version 00 must be exactly 55
// characters: two lower-case hex digits of version, a dash, 32 of trace
// id, a dash, 16 of parent id, a dash and 2 of flags. The trace id and
// the parent id may not be all zero, and version ff is invalid. A higher
// version is read as W3C Trace Context asks of a version-00 reader: its
// first 55 characters in the version-00 layout, followed by nothing or
// by a dash and fields this package ignores.
//
// Errors wrap [ErrInvalid] and say which part is wrong. Parse does not
// allocate unless it fails.
func Parse(s string) (Parent, error) {
	var p Parent
	if why := parse(s, &p); why != "" {
		return Parent{}, &invalidError{why: why}
	}
	return p, nil
}

// Valid reports whether s is a traceparent [Parse] accepts. It does not
// allocate.
func Valid(s string) bool {
	var p Parent
	return parse(s, &p) == ""
}

type invalidError struct{ why string }

func (e *invalidError) Error() string { return ErrInvalid.Error() + ": " + e.why }
func (e *invalidError) Unwrap() error { return ErrInvalid }

// parse fills p from s and returns "" or why s is not a traceparent.
func parse(s string, p *Parent) string {
	const size = 55 // "00-" + 32 + "-" + 16 + "-" + 2
	if len(s) < size {
		return "shorter than 55 characters"
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return "fields are not separated by dashes at offsets 2, 35 and 52"
	}
	var v [1]byte
	if !unhex(v[:], s[0:2]) {
		return "version is not two lower-case hex digits"
	}
	p.Version = v[0]
	switch {
	case p.Version == 0xff:
		return "version ff is invalid"
	case p.Version == 0 && len(s) != size:
		return "version 00 is exactly 55 characters long"
	case len(s) > size && s[size] != '-':
		return "a later version's extra fields must follow a dash"
	}
	if !unhex(p.TraceID[:], s[3:35]) {
		return "trace id is not 32 lower-case hex digits"
	}
	if !unhex(p.ParentID[:], s[36:52]) {
		return "parent id is not 16 lower-case hex digits"
	}
	var f [1]byte
	if !unhex(f[:], s[53:55]) {
		return "flags are not two lower-case hex digits"
	}
	p.Flags = f[0]
	if p.TraceID == [16]byte{} {
		return "trace id is all zero"
	}
	if p.ParentID == [8]byte{} {
		return "parent id is all zero"
	}
	return ""
}

// unhex decodes the lower-case hex digits of s into dst (len(s) ==
// 2*len(dst)); upper-case digits are refused, as W3C Trace Context asks.
func unhex(dst []byte, s string) bool {
	for i := range dst {
		hi, ok1 := nibble(s[2*i])
		lo, ok2 := nibble(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func nibble(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// parentKey is the context key of the traceparent; parentCtx answers it
// itself, so storing a traceparent costs one allocation (no boxed string).
type parentKey struct{}

type parentCtx struct {
	context.Context
	tp string
}

func (c *parentCtx) Value(key any) any {
	if _, ok := key.(parentKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// NewContext returns a copy of ctx that carries the traceparent tp, which
// then shadows one ctx already carries. A tp that [Valid] refuses is not
// stored and ctx comes back unchanged: W3C Trace Context has a receiver
// that cannot parse a traceparent start a new trace rather than fail, so
// callers that must know check [Valid] first. It allocates once when it
// stores tp, and never otherwise. The string is kept as given; a caller
// whose tp points into a reused buffer must copy it first.
func NewContext(ctx context.Context, tp string) context.Context {
	if !Valid(tp) {
		return ctx
	}
	return &parentCtx{Context: ctx, tp: tp}
}

// FromContext returns the traceparent ctx carries, or "" if it has none. The
// value was valid when it was stored. It does not allocate.
func FromContext(ctx context.Context) string {
	if c, ok := ctx.Value(parentKey{}).(*parentCtx); ok {
		return c.tp
	}
	return ""
}

// Holder keeps a traceparent inside a context type of the caller's own
// (the host's function context), so that carrying the event's
// traceparent costs no allocation of its own: the context's Value method
// asks [Holder.Value] for keys its parent does not answer. Set copies a
// traceparent of up to 64 bytes into the Holder (a version-00 one has
// 55), so it stays valid after the event's buffers are reused. The
// traceparent is checked with [Valid] only when first asked for, and an
// invalid one is not answered. Set and Reset must not run concurrently
// with anything; Value may be called from any goroutine after Set.
type Holder struct {
	p     parentCtx
	buf   [64]byte
	state atomic.Int32 // holderEmpty, holderUnchecked, holderValid or holderInvalid
}

const (
	holderEmpty int32 = iota
	holderUnchecked
	holderValid
	holderInvalid
)

// Set makes h hold a copy of tp, unchecked.
func (h *Holder) Set(tp string) {
	if len(tp) <= len(h.buf) {
		n := copy(h.buf[:], tp)
		h.p.tp = unsafe.String(&h.buf[0], n)
	} else {
		h.p.tp = strings.Clone(tp) // longer than any version-00 traceparent
	}
	h.state.Store(holderUnchecked)
}

// Reset makes h hold nothing.
func (h *Holder) Reset() {
	h.state.Store(holderEmpty)
	h.p.tp = ""
}

// Value answers the traceparent key with what h holds, if it is valid,
// and reports whether it answered; other keys are not h's.
func (h *Holder) Value(key any) (any, bool) {
	if _, ok := key.(parentKey); !ok {
		return nil, false
	}
	s := h.state.Load()
	if s == holderUnchecked {
		s = holderInvalid
		if Valid(h.p.tp) {
			s = holderValid
		}
		h.state.CompareAndSwap(holderUnchecked, s)
	}
	if s != holderValid {
		return nil, false
	}
	return &h.p, true
}
