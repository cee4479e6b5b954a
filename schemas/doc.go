// Package schemas holds the OpenEvents JSON Schemas for the CloudEvents 1.0
// JSON format and a [Validator] that applies them.
//
// event.json describes one event as application/cloudevents+json carries
// it; batch.json describes application/cloudevents-batch+json, an array of
// such events. Both are written from the CloudEvents 1.0.2 specification
// text, and both are embedded in the package, so nothing is fetched at run
// time. Their $id URIs name them; they are identifiers, not download
// locations.
//
// conformance-report.schema.json describes another kind of document: the
// JSON report of the conformance suite (package conformance, Result), so
// that a program reading a report can check what it reads.
// [ConformanceReportSchema] returns its text; the [Validator] does not use
// it.
//
// function.schema.json describes the configuration file of the function
// runtime (`ce run -f function.yaml`); [FunctionSchema] returns its text,
// and package runtime/config applies it to the YAML it reads.
//
// # Draft
//
// The schemas use JSON Schema draft 2020-12. It is the current draft, it
// names format assertion as a separate vocabulary so that turning it on is
// an explicit, documented choice (the [Validator] turns it on), and its
// $defs and if/then read better than the draft-07 spellings. Every format
// check is also written as a pattern, so a validator that leaves formats as
// annotations still enforces the grammar; the format adds what a pattern
// cannot say (calendar days, leap seconds only at 23:59:60 UTC, IPv6
// literals).
//
// # Rules and requirement IDs
//
// Each rule of the schema is its own subschema whose $comment starts with
// "ID: " and the requirement ID of the OpenEvents catalog (package spec) it
// enforces, for example "ID: CORE-ATTR-SUBJECT-1". A [Failure] carries the ID
// of the nearest such comment above the keyword that failed.
//
// # Limits
//
// A JSON Schema sees a decoded JSON value, so it cannot see how the text was
// written. The [Validator] therefore accepts, although a strict decoder must
// reject:
//   - duplicate member names (JSON-SYNTAX-3, and CORE-ATTR-4 for an
//     attribute): encoding/json keeps the last;
//   - invalid UTF-8 (JSON-SYNTAX-2) and unpaired surrogate escapes such as
//     "\udead" (CORE-TYPE-STRING-3): both decode to U+FFFD (in a member
//     name, U+FFFD then fails the naming rule);
//   - extension numbers written with a fraction or exponent whose value is
//     whole, such as 1.0 or 1e3 (JSON-TYPE-INTEGER-1): JSON Schema compares
//     numbers by value.
//
// It also cannot know which CloudEvents type an extension string carries
// (String, URI, URI-reference, Timestamp or Binary all look alike in JSON),
// so extension strings are held to the String rules only. Spec version 0.3
// events fail: the schemas describe 1.0 alone.
package schemas
