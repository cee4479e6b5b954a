// Package event holds the CloudEvents 1.0 event model: the [Event] type, the
// CloudEvents type system ([Value], [Kind]) and [Event.Validate].
//
// It is the bottom layer of OpenEvents and imports only the standard
// library. Formats (package jsonformat, protoformat) and transports build on
// it; nothing here knows about the wire.
//
// # Model
//
// An [Event] keeps the four required and four optional core attributes as
// plain strings, with presence recorded in a bit set, so that an attribute
// that is present but empty ("subject": "") stays distinguishable from an
// absent one. Extensions are a small slice sorted by name. Timestamps, URIs
// and URI-references are stored as their validated canonical strings and
// parsed only on demand ([Value.Time]).
//
// Data is a byte slice. Its meaning follows the datacontenttype: for a JSON
// content type (or none) the bytes are one JSON value, for other types they
// are the encoded content. [Event.SetBinaryData] marks data that has no
// textual form (the JSON format writes it as data_base64).
//
// # Validation
//
// [Event.Validate] checks every MUST of the core specification that can be
// checked on a single event and returns a [*ValidationError] listing each
// violation with the requirement ID from the OpenEvents catalog (package
// spec), for example CORE-ATTR-SUBJECT-1. SHOULD-level findings are not
// errors; [Event.Advice] reports them. A valid event costs no allocation to
// validate.
//
// # Concurrency
//
// An Event is a value; concurrent reads are safe, a write must not race
// with any other access. Copying an Event copies its slice headers, not
// their contents: use [Event.Clone] for an independent copy.
package event
