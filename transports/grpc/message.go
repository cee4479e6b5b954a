package grpc

import (
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openevents/openevents/event/format/protoformat"
)

// The messages of both services other than the events themselves, encoded
// and decoded by hand with protowire, as the events are by protoformat.
//
// Why not the generated types: proto/gen/io/cloudevents/v1 registers its
// descriptors in the global protobuf registry under the official names
// (io.cloudevents.v1.CloudEvent, ...), and so do sdk-go's generated types
// (github.com/cloudevents/sdk-go/binding/format/protobuf/v2/pb). The
// protobuf runtime panics at start-up in a binary that registers a name
// twice, so a package that linked them could not be imported beside
// sdk-go's protobuf format. proto/gen/openevents/v1 imports
// proto/gen/io/cloudevents/v1, so it stays out too. The generated packages
// remain the reference: message_internal_test.go checks every encoder and
// decoder here against them, and the tests use them as clients do.
//
// Decoders follow the generated ones: the last occurrence of a scalar
// field wins, a repeated field appends, an unknown field or a known one
// with another wire type is skipped, and a string that is not UTF-8 is an
// error (proto3). Encoders write fields in number order and leave out zero
// values, so their output is byte for byte what proto.Marshal writes.

// Names and paths of the services. They are the wire contract: the values
// are those of the generated code (TestServiceNames) and must not change.
const (
	eventServiceName      = "openevents.v1.EventService"
	cloudEventServiceName = "io.cloudevents.v1.CloudEventService"

	eventServicePublish   = "/" + eventServiceName + "/Publish"
	eventServiceStream    = "/" + eventServiceName + "/Stream"
	eventServiceSubscribe = "/" + eventServiceName + "/Subscribe"

	cloudEventServicePublish   = "/" + cloudEventServiceName + "/Publish"
	cloudEventServiceSubscribe = "/" + cloudEventServiceName + "/Subscribe"

	// The .proto files that define them, for grpc.ServiceDesc.Metadata.
	eventServiceFile      = "openevents/v1/event_service.proto"
	cloudEventServiceFile = "io/cloudevents/v1/cloudevent_service.proto"
)

// messageError is a request or response of the services, other than an
// event, that does not parse as its message. It matches
// protoformat.ErrSyntax, so a server answers it with INVALID_ARGUMENT
// (code.go).
type messageError struct {
	message string // the protobuf message name
	offset  int    // where in the message it went wrong
	msg     string
}

func (e *messageError) Error() string {
	return "cegrpc: malformed " + e.message + " at offset " + strconv.Itoa(e.offset) + ": " + e.msg
}

// Is reports whether target is protoformat.ErrSyntax.
func (e *messageError) Is(target error) bool { return target == protoformat.ErrSyntax }

// fieldFunc handles field num of wire type typ whose value starts at
// b[pos:]; it returns the length of the value it consumed, or 0 to have
// the field skipped as unknown, or an error.
type fieldFunc func(num protowire.Number, typ protowire.Type, b []byte, pos int) (int, error)

// walk calls f for each field of the message b (named message in errors).
func walk(message string, b []byte, f fieldFunc) error {
	for pos := 0; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return &messageError{message: message, offset: pos, msg: protowire.ParseError(n).Error()}
		}
		if num > protowire.MaxValidNumber {
			// ConsumeTag lets these through; the generated decoders do not.
			return &messageError{message: message, offset: pos, msg: "field number " + strconv.Itoa(int(num)) + " out of range"}
		}
		pos += n
		m, err := f(num, typ, b, pos)
		if err != nil {
			return err
		}
		if m == 0 {
			if m = protowire.ConsumeFieldValue(num, typ, b[pos:]); m < 0 {
				return &messageError{message: message, offset: pos, msg: protowire.ParseError(m).Error()}
			}
		}
		pos += m
	}
	return nil
}

// stringField decodes the string at b[pos:] into *dst and returns its
// length on the wire.
func stringField(message string, b []byte, pos int, dst *string) (int, error) {
	v, m := protowire.ConsumeBytes(b[pos:])
	if m < 0 {
		return 0, &messageError{message: message, offset: pos, msg: protowire.ParseError(m).Error()}
	}
	if !utf8.Valid(v) {
		return 0, &messageError{message: message, offset: pos, msg: "string field is not valid UTF-8"}
	}
	*dst = string(v)
	return m, nil
}

// varintField decodes the varint at b[pos:] and returns it and its length.
func varintField(message string, b []byte, pos int) (uint64, int, error) {
	v, m := protowire.ConsumeVarint(b[pos:])
	if m < 0 {
		return 0, 0, &messageError{message: message, offset: pos, msg: protowire.ParseError(m).Error()}
	}
	return v, m, nil
}

func appendString(dst []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	return protowire.AppendString(dst, s)
}

func appendVarint(dst []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return dst
	}
	dst = protowire.AppendTag(dst, num, protowire.VarintType)
	return protowire.AppendVarint(dst, v)
}

// subscribeRequest is an openevents.v1.SubscribeRequest: type = 1,
// source = 2, subject_prefix = 3.
type subscribeRequest struct {
	typ, source, subjectPrefix string
}

func (r *subscribeRequest) append(dst []byte) []byte {
	dst = appendString(dst, 1, r.typ)
	dst = appendString(dst, 2, r.source)
	return appendString(dst, 3, r.subjectPrefix)
}

func (r *subscribeRequest) parse(b []byte) error {
	const name = "SubscribeRequest"
	return walk(name, b, func(num protowire.Number, typ protowire.Type, b []byte, pos int) (int, error) {
		if typ != protowire.BytesType {
			return 0, nil
		}
		switch num {
		case 1:
			return stringField(name, b, pos, &r.typ)
		case 2:
			return stringField(name, b, pos, &r.source)
		case 3:
			return stringField(name, b, pos, &r.subjectPrefix)
		}
		return 0, nil
	})
}

// subscriptionRequest is an io.cloudevents.v1.SubscriptionRequest of the
// de-facto service: source = 1, cluster_name = 2, data_type = 3.
type subscriptionRequest struct {
	source, clusterName, dataType string
}

func (r *subscriptionRequest) append(dst []byte) []byte {
	dst = appendString(dst, 1, r.source)
	dst = appendString(dst, 2, r.clusterName)
	return appendString(dst, 3, r.dataType)
}

func (r *subscriptionRequest) parse(b []byte) error {
	const name = "SubscriptionRequest"
	return walk(name, b, func(num protowire.Number, typ protowire.Type, b []byte, pos int) (int, error) {
		if typ != protowire.BytesType {
			return 0, nil
		}
		switch num {
		case 1:
			return stringField(name, b, pos, &r.source)
		case 2:
			return stringField(name, b, pos, &r.clusterName)
		case 3:
			return stringField(name, b, pos, &r.dataType)
		}
		return 0, nil
	})
}

// streamResponse is an openevents.v1.StreamResponse, the acknowledgement
// of one Stream batch: sequence = 1, accepted = 2, failures = 3.
type streamResponse struct {
	sequence uint64
	accepted uint32
	failures []eventStatus
}

// eventStatus is an openevents.v1.EventStatus: index = 1, code = 2,
// message = 3, rules = 4.
type eventStatus struct {
	index   uint32
	code    int32
	message string
	rules   []string
}

// reset empties r for the next batch, keeping the failures' array.
func (r *streamResponse) reset(sequence uint64) {
	clear(r.failures)
	*r = streamResponse{sequence: sequence, failures: r.failures[:0]}
}

func (r *streamResponse) append(dst []byte) []byte {
	dst = appendVarint(dst, 1, r.sequence)
	dst = appendVarint(dst, 2, uint64(r.accepted))
	for i := range r.failures {
		f := &r.failures[i]
		dst = protowire.AppendTag(dst, 3, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(f.size()))
		dst = f.append(dst)
	}
	return dst
}

func (s *eventStatus) size() int {
	n := 0
	if s.index != 0 {
		n += protowire.SizeTag(1) + protowire.SizeVarint(uint64(s.index))
	}
	if s.code != 0 {
		// int32 is sign-extended to 64 bits on the wire.
		n += protowire.SizeTag(2) + protowire.SizeVarint(uint64(int64(s.code)))
	}
	if s.message != "" {
		n += protowire.SizeTag(3) + protowire.SizeBytes(len(s.message))
	}
	for _, r := range s.rules {
		n += protowire.SizeTag(4) + protowire.SizeBytes(len(r))
	}
	return n
}

func (s *eventStatus) append(dst []byte) []byte {
	dst = appendVarint(dst, 1, uint64(s.index))
	dst = appendVarint(dst, 2, uint64(int64(s.code)))
	dst = appendString(dst, 3, s.message)
	for _, r := range s.rules {
		// Repeated strings are written even when empty.
		dst = protowire.AppendTag(dst, 4, protowire.BytesType)
		dst = protowire.AppendString(dst, r)
	}
	return dst
}

// parse decodes b into r, which should be zero (or reset); the strings it
// keeps are copies, so b may be reused at once.
func (r *streamResponse) parse(b []byte) error {
	const name = "StreamResponse"
	return walk(name, b, func(num protowire.Number, typ protowire.Type, b []byte, pos int) (int, error) {
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, m, err := varintField(name, b, pos)
			r.sequence = v
			return m, err
		case num == 2 && typ == protowire.VarintType:
			v, m, err := varintField(name, b, pos)
			r.accepted = uint32(v)
			return m, err
		case num == 3 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b[pos:])
			if m < 0 {
				return 0, &messageError{message: name, offset: pos, msg: protowire.ParseError(m).Error()}
			}
			var s eventStatus
			if err := s.parse(v); err != nil {
				return 0, err
			}
			r.failures = append(r.failures, s)
			return m, nil
		}
		return 0, nil
	})
}

func (s *eventStatus) parse(b []byte) error {
	const name = "EventStatus"
	return walk(name, b, func(num protowire.Number, typ protowire.Type, b []byte, pos int) (int, error) {
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, m, err := varintField(name, b, pos)
			s.index = uint32(v)
			return m, err
		case num == 2 && typ == protowire.VarintType:
			v, m, err := varintField(name, b, pos)
			s.code = int32(v)
			return m, err
		case num == 3 && typ == protowire.BytesType:
			return stringField(name, b, pos, &s.message)
		case num == 4 && typ == protowire.BytesType:
			var rule string
			m, err := stringField(name, b, pos, &rule)
			s.rules = append(s.rules, rule)
			return m, err
		}
		return 0, nil
	})
}
