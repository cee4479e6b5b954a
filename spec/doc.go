// Package spec is the requirement catalog of OpenEvents: every normative
// statement (MUST, MUST NOT, REQUIRED, SHOULD, SHOULD NOT, RECOMMENDED, MAY,
// OPTIONAL; SHALL is stored as MUST) of the CloudEvents documents that
// OpenEvents implements, each with a stable ID that code, tests and
// conformance reports cite.
//
// The catalog covers, at tag ce@v1.0.2, the core specification, the JSON
// format (batch included), the protobuf format, the HTTP and MQTT (3.1.1
// and 5.0) protocol bindings, the HTTP webhook specification and the
// distributed-tracing, partitioning, sequence and dataref extensions; the
// expirytime and recordedtime extensions as they stand on the main branch
// (version "1.0.3-wip"); the 0.3 rules that a 1.0 reader accepting 0.3
// input has to honour; and a few rules that are new on main, marked with
// version "1.0.3-wip". Changes on main that touch a 1.0.2 rule are recorded
// in that rule's Note.
//
// Beside the CloudEvents 1.0 texts, the catalog holds the filter rules of
// the Subscriptions API (subscriptions/spec.md on main), a separate
// document with its own version, "0.1-wip" (DocSubscriptions,
// VersionSubscriptions), which the function runtime's filters cite.
//
// The texts are short paraphrases, not quotations; the Section URL of each
// entry leads to the authoritative wording.
//
// # Data
//
// The entries live as JSON under catalog/, one file per document
// (core.json, json.json, protobuf.json, http.json, webhook.json, mqtt.json,
// extensions.json, v03.json, subscriptions.json), and are embedded in the binary. Load parses
// and validates them; Default returns the validated catalog, loaded once.
//
// # IDs
//
// An ID matches ^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]+$ and starts with the
// prefix of its document: CORE-, JSON-, PROTO-, HTTP-, WEBHOOK-, MQTT-,
// EXT-DISTTRACE-, EXT-PARTITION-, EXT-SEQUENCE-, EXT-DATAREF-, EXT-EXPIRY-,
// EXT-RECORDED-, V03- or SUBS- (RFC- is allowed for a rule imposed by a referenced
// RFC). After the prefix comes a topic (ATTR-ID, HEADER-VALUE, ...) and a
// sequence number. IDs are stable: once published an ID keeps its meaning
// and is never reused, even if its rule is later dropped.
//
// Code cites a rule by writing its ID in a comment, an error or a test
// table. A test in this package scans every Go file of the module and fails
// when a cited ID is not in the catalog.
//
// # Adding an entry
//
//  1. Pick the file of the document and the next free number for the topic
//     (or a new topic).
//  2. Write the text in your own words, one short line; do not copy the
//     specification's sentences.
//  3. Fill level, doc, version, section (GitHub anchor URL at the tag),
//     roles, check and how; put caveats in note.
//  4. Run go test ./spec/ — Load reports malformed or duplicate entries.
package spec
