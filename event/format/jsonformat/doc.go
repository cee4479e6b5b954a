// Package jsonformat implements the CloudEvents JSON event format:
// application/cloudevents+json for one event and
// application/cloudevents-batch+json for a batch.
//
// # Decoding
//
// [Decode] and [DecodeBatch] parse with a hand-written scanner over the
// input bytes (no reflection, no maps, no intermediate tree) and are strict
// by default. Each of these is an error naming the rule it breaks:
// malformed JSON (JSON-SYNTAX-1), invalid UTF-8 (JSON-SYNTAX-2), a member
// name given twice (JSON-SYNTAX-3), an attribute of the wrong JSON type
// (JSON-TYPE-1, JSON-TYPE-INTEGER-1), an illegal attribute name (CORE-NAMING-1), both data and
// data_base64 (JSON-DATA-5), and everything [event.Event.Validate] reports.
// Syntax errors come back as [*SyntaxError] with a byte offset; every other
// finding is collected into one [*event.ValidationError] whose violations
// carry a JSON pointer.
//
// A null attribute means the attribute is absent (JSON-TYPE-2). The data
// member follows datacontenttype exactly: with a JSON content type (or
// none, JSON-DATA-9) the data is the JSON value itself, kept byte for byte,
// so a JSON string stays a string and false, 0 and null survive; with any
// other content type data must be a JSON string, whose text becomes the
// data (JSON-DATA-8). data_base64 is binary whatever the content type
// (JSON-DATA-6).
//
// Spec version 0.3 input is accepted and mapped to 1.0: schemaurl becomes
// dataschema, and datacontentencoding "base64" turns a string data member
// into binary data (V03-SCHEMAURL-1, V03-DATACONTENTENCODING-1).
//
// Decoders never retain the input: the strings and data of a decoded event
// live in one buffer allocated per call (per batch for [DecodeBatch]). A
// [Decoder] keeps that buffer and reuses it from call to call, so a warm
// one decodes without allocating; what it decodes lives until its next
// call, so it suits receive loops that are done with each event (or
// Clone it) before decoding the next.
//
// Events of the common shape (core attributes and data under their plain
// names, string values without escapes, extensions with plain names and
// string, boolean or small integer values, each member once) take a faster
// path; anything else, and every error, goes through the general decoder,
// so the result and every error are the same either way. Before decoding,
// the input gets a stop index, one bit per byte marking the bytes a string
// scan stops at (quote, backslash, control, non-ASCII), built 64 bytes at
// a time (SSE2 assembly on amd64, portable Go elsewhere, both
// tested against the byte-wise definition); the fast path finds the end of
// a plain string by looking at one word of it. The index of an input over
// 2 KiB comes from a sync.Pool and goes back to it when the call returns.
//
// # Encoding
//
// [Append] and [AppendBatch] follow the append pattern and allocate nothing
// beyond growing dst. They refuse an event that does not validate, and data
// that cannot be written as the content type demands.
package jsonformat
