// Package sdkgo connects OpenEvents to the CloudEvents Go SDK
// (github.com/cloudevents/sdk-go/v2), so that code written against
// sdk-go's event.Event can move to package event piece by piece.
//
// # Conversion
//
// [FromSDK] and [ToSDK] convert between sdk-go's event.Event and
// [event.Event]. Every core attribute and every extension is carried over
// with its type: sdk-go keeps extensions as string, bool, int32, []byte,
// types.URI, types.URIRef and types.Timestamp, which are the String,
// Boolean, Integer, Binary, URI, URI-reference and Timestamp of the
// CloudEvents type system. A spec version 0.3 sdk-go context is mapped to
// 1.0 the way package jsonformat maps 0.3 input: schemaurl becomes
// dataschema and datacontentencoding "base64" makes the data binary.
//
// Nothing is dropped or changed without an error. What one side cannot
// hold is a [*ConversionError] naming the attribute and, where one
// applies, the requirement ID: an sdk-go extension value of a Go type
// outside the type system, an error sdk-go recorded while setting an
// attribute, a URI that net/url cannot print back unchanged, a leap
// second. The one exception is timestamp text: sdk-go holds a time.Time,
// so a timestamp keeps its instant and offset but is written back in Go's
// RFC 3339 form.
//
// # Data
//
// sdk-go keeps data as DataEncoded bytes and a DataBase64 flag; package
// event keeps data bytes and a binary flag ([event.Event.IsBinaryData]).
// The flags map to each other. Text data means the same on both sides: for
// a JSON datacontenttype (or none) the bytes are one JSON value, for other
// content types they are the content itself. So JSON data round-trips
// byte for byte: "hi" stays the JSON string "hi" (with its quotes), false
// stays false. Bytes sdk-go stored without DataBase64 that are not UTF-8
// text (its binary content mode does that) become binary data.
//
// # Format
//
// [Format] is the strict JSON codec of package jsonformat behind sdk-go's
// binding/format.Format interface. sdk-go users opt in with
// format.Add(sdkgo.Format{}); this package never registers anything.
//
// # Deviations
//
// The tests of this package run sdk-go's own JSON decoding against
// jsonformat on the shared corpus (package eventtest) and under a fuzzer.
// Where sdk-go departs from the specification, the case is listed in
// testdata/deviations.json with the requirement it breaks, and DEVIATIONS.md
// at the root of the repository describes each kind of departure.
//
// # Concurrency
//
// The functions and [Format] keep no state and are safe for concurrent
// use. Results share no memory with their arguments.
package sdkgo
