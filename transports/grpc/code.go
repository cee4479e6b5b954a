package grpc

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/protoformat"
)

// This file is the one table between our errors and gRPC status codes
// (spec/grpc-binding.md, "Errors").
//
//	server side (error → code)            client side (code → error)
//	nil                        OK          OK                nil
//	binding.ErrRejected,       INVALID_    INVALID_ARGUMENT  *Error matching binding.ErrRejected,
//	event.ErrInvalid,          ARGUMENT                      not retryable
//	protoformat.ErrSyntax
//	context.DeadlineExceeded   DEADLINE_EXCEEDED             *Error, retryable
//	context.Canceled           CANCELLED                     *Error, not retryable
//	*binding.PanicError        INTERNAL                      *Error, not retryable
//	any other handler error    UNAVAILABLE                   *Error, retryable
//	server draining            UNAVAILABLE
//
// UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and ABORTED are
// retryable; every other code is not. An INVALID_ARGUMENT status carries a
// google.rpc.BadRequest detail with one field violation per broken rule:
// field is the attribute's pointer, reason the requirement ID.

// codeOf maps an error of a handler or a decoder to a gRPC code.
func codeOf(err error) codes.Code {
	switch {
	case err == nil:
		return codes.OK
	case isPanic(err):
		return codes.Internal
	case errors.Is(err, binding.ErrRejected), errors.Is(err, event.ErrInvalid), errors.Is(err, protoformat.ErrSyntax),
		errors.Is(err, event.ErrTooManyAttributes), errors.Is(err, binding.ErrMalformed), errors.Is(err, binding.ErrUnsupportedMediaType):
		return codes.InvalidArgument
	case errors.Is(err, binding.ErrTooLarge), errors.Is(err, binding.ErrOverloaded):
		return codes.ResourceExhausted
	case errors.Is(err, binding.ErrTimeout):
		return codes.DeadlineExceeded
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Unavailable
}

func isPanic(err error) bool {
	_, ok := errors.AsType[*binding.PanicError](err)
	return ok
}

// violationsOf returns the violations an error carries: those of an
// *event.ValidationError or the one of a *protoformat.SyntaxError.
func violationsOf(err error) []event.Violation {
	if ve, ok := errors.AsType[*event.ValidationError](err); ok {
		return ve.Violations
	}
	if se, ok := errors.AsType[*protoformat.SyntaxError](err); ok {
		return []event.Violation{se.Violation()}
	}
	return nil
}

// statusOf builds the status a server returns for err, with requirement
// IDs in a BadRequest detail.
func statusOf(err error) *status.Status {
	code := codeOf(err)
	if code == codes.OK {
		return status.New(codes.OK, "")
	}
	st := status.New(code, err.Error())
	vs := violationsOf(err)
	if len(vs) == 0 {
		return st
	}
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		field := v.Pointer
		if field == "" {
			field = v.Attribute
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field: field, Description: v.Message, Reason: v.Rule,
		})
	}
	if withDetails, derr := st.WithDetails(br); derr == nil {
		return withDetails
	}
	return st
}

// rulesOf returns the requirement IDs of err's violations, each once.
func rulesOf(err error) []string {
	var out []string
	for _, v := range violationsOf(err) {
		if v.Rule != "" && !slices.Contains(out, v.Rule) {
			out = append(out, v.Rule)
		}
	}
	return out
}

// Error is a failure the receiver reported: the status of a call, or the
// status of one event of a [Stream] batch. It matches
// [binding.ErrRejected] (errors.Is) when the receiver will never accept
// the event (INVALID_ARGUMENT).
type Error struct {
	// Code is the gRPC status code.
	Code codes.Code
	// Message is the receiver's description.
	Message string
	// Rules are the requirement IDs the event breaks, if the receiver
	// named any.
	Rules []string
	// Index is the position of the event in its Stream batch, or -1 for
	// the status of a whole call.
	Index int
}

func (e *Error) Error() string {
	s := "cegrpc: " + e.Code.String() + ": " + e.Message
	if e.Index >= 0 {
		s = "cegrpc: event " + strconv.Itoa(e.Index) + ": " + e.Code.String() + ": " + e.Message
	}
	return s
}

// Is reports whether target is the protocol-neutral outcome of
// event/binding that the code stands for: [binding.ErrRejected] for
// INVALID_ARGUMENT, [binding.ErrOverloaded] for RESOURCE_EXHAUSTED,
// [binding.ErrUnavailable] for UNAVAILABLE, [binding.ErrTimeout] for
// DEADLINE_EXCEEDED.
func (e *Error) Is(target error) bool {
	switch target {
	case binding.ErrRejected:
		return e.Code == codes.InvalidArgument
	case binding.ErrOverloaded:
		return e.Code == codes.ResourceExhausted
	case binding.ErrUnavailable:
		return e.Code == codes.Unavailable
	case binding.ErrTimeout:
		return e.Code == codes.DeadlineExceeded
	}
	return false
}

// GRPCStatus returns the error as a gRPC status, so status.FromError and
// status.Code work on it.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

// IsRetryable reports whether err is a failure that sending the same
// event again may cure: a gRPC status (or [*Error]) with code UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED or ABORTED.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	st, ok := status.FromError(err)
	if !ok {
		return false
	}
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

// errorOf converts the error of a client call into an [*Error]; nil stays
// nil.
func errorOf(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if st.Code() == codes.OK {
		return nil
	}
	e := &Error{Code: st.Code(), Message: st.Message(), Index: -1}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				if r := fv.GetReason(); r != "" && !slices.Contains(e.Rules, r) {
					e.Rules = append(e.Rules, r)
				}
			}
		}
	}
	return e
}
