// Package protoformat implements the CloudEvents protobuf event format:
// application/cloudevents+protobuf for one event and
// application/cloudevents-batch+protobuf for a batch, wire-identical to the
// io.cloudevents.v1 messages (proto/io/cloudevents/v1/cloudevents.proto).
//
// The encoder and decoder are written by hand over
// google.golang.org/protobuf/encoding/protowire: no generated structs, no
// reflection and no maps on the hot path. Generated types never appear in
// this package's API; tests check the bytes against them.
//
// # Type mapping
//
// The required attributes travel in fields 1 to 4 (PROTO-ATTR-1); every
// other attribute is an entry of the attributes map (PROTO-ATTR-2) whose
// value member carries the type (PROTO-ATTR-3, PROTO-TYPE-1): Boolean
// ce_boolean, Integer ce_integer, String ce_string, Binary ce_bytes, URI
// ce_uri, URI-reference ce_uri_ref, Timestamp ce_timestamp. datacontenttype
// and subject are ce_string, dataschema ce_uri, time ce_timestamp.
// Timestamps decode to RFC 3339 in UTC ("Z"), with as many fraction digits
// as the nanoseconds need.
//
// # Data
//
// The encoder writes binary data ([event.Event.IsBinaryData]) as
// binary_data (PROTO-DATA-6), text data as text_data (PROTO-DATA-4), and
// data whose datacontenttype is application/protobuf as proto_data, a
// google.protobuf.Any whose type URL is the dataschema (PROTO-DATA-1,
// PROTO-DATA-3). Text that is not valid UTF-8 cannot be a protobuf string
// and goes as binary_data. [Options.TextAsBinary] writes all text as
// binary_data, for sdk-go receivers (see its documentation).
//
// The decoder accepts what other SDKs write: sdk-go puts JSON into
// binary_data, the Java SDK into text_data. binary_data whose
// datacontenttype is JSON, text/* or XML and which is valid UTF-8 becomes
// text data ([event.Event.SetData]); any other binary_data stays binary.
// text_data is always text. proto_data becomes binary data, and a missing
// datacontenttype is then set to application/protobuf (PROTO-DATA-2). The
// decoder does not parse the data itself.
//
// # Strictness
//
// Decoding is strict. Malformed protobuf is a [*SyntaxError] with the byte
// offset. Everything else is collected into one [*event.ValidationError]:
// an empty id, source, specversion or type, a required attribute in the
// map (PROTO-ATTR-1), an attribute value of the wrong member or with no
// member (PROTO-ATTR-3), an illegal attribute name (CORE-NAMING-1), a field
// or map key given twice (CORE-ATTR-4), more than one data field
// (PROTO-DATA-8), text_data that is not UTF-8 (PROTO-DATA-4), a timestamp
// out of range (PROTO-TYPE-1), and everything [event.Event.Validate]
// reports. Unknown fields are skipped, as protobuf requires.
//
// Decoders never retain the input: the strings and data of a decoded event
// live in one buffer allocated per call (per batch for [DecodeBatch]).
// [Options.Alias] opts out of the copy for callers that own the input and
// keep it unchanged while they use the events.
//
// # Encoding
//
// [Append] and [AppendBatch] follow the append pattern and allocate nothing
// beyond growing dst. They refuse an event that does not validate. The
// output equals proto.Marshal of the equivalent generated message with
// Deterministic set: fields in number order, map entries sorted by key.
//
// # Registry conflicts
//
// Every Go package generated from the official format registers its
// message names (io.cloudevents.v1.CloudEvent, …) with the protobuf
// runtime: this repository's proto/gen/io/cloudevents/v1 (used by tests
// only) and sdk-go's binding/format/protobuf/v2 among them. A binary that
// links two of them fails at start-up with a registration conflict. This
// package, and the gRPC transport built on it, import no generated code,
// so they link with either.
package protoformat
