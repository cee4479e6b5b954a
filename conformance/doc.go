// Package conformance is the OpenEvents conformance suite: it tests a
// CloudEvents provider over the wire, requirement by requirement, and
// reports a verdict for each requirement of the catalog (package spec) it
// checks. This slice covers the HTTP binding in the receiver, echo and
// sender roles, MQTT in the relay, echo and sender roles, and gRPC (OpenEvents' EventService
// and the de-facto CloudEventService) in the receiver, relay and sender roles.
//
// # Trust
//
// A verdict is a claim about someone else's product, so the suite holds a
// provider only to what it implements (a Profile: the 1.0.2 or main text,
// the documented extensions it claims, 0.3 input), and a rule outside the
// profile is NOT-TESTED with the reason, never FAIL. A check that the
// provider's answer cannot decide is NOT-TESTED too, never PASS: a binary
// request echoed in binary mode cannot show whether header values were
// decoded (no decoding in and no encoding out cancel out), so such checks
// ask for the other reply mode, and receiver probes whose validity depends
// on decoding alone (ce-specversion: 1%2E0) decide the decoding rules. The
// suite is tested against a faulty provider with one switch per seeded
// violation, an independently written strict receiver, sdk-go and the
// JavaScript SDK.
//
// # Cases
//
// A case is data (testdata/*.json, embedded): the requirement IDs it
// checks, the role it tests, the binding and content mode, the HTTP
// request to send, written byte for byte (so it can be malformed on
// purpose), and the verdict rule. JSON files rather than a Go table because
// cases are reviewed against the specification by people who do not read
// Go, and because the requests are deliberately broken messages that no
// encoder in this module would produce. Cases loads and checks them: every
// ID must be in the catalog and checkable over the wire, and the IDs of one
// case must share a level class. The level is always the catalog's.
//
// Roles:
//
//   - receiver: the provider takes deliveries. Valid events in binary,
//     structured and batched mode must be accepted with 2xx, malformed or
//     invalid ones refused with 400, an unknown event format with 415; the
//     web-hook handshake is checked by its response headers.
//   - echo: the provider answers each single event with a reply equal to
//     it, as `ce listen --http ADDR --reply` and the reference provider do.
//     The reply shows what the provider decoded (percent-decoded header
//     values, Content-Type as datacontenttype, JSON data kept as JSON,
//     data_base64 as bytes, extensions) and how it encodes. The suite reads
//     the reply without validating it and compares every attribute and the
//     data with the expected event; a binary-mode reply's values are
//     header text, a structured reply's also keep their JSON type.
//   - sender: the provider sends the events the suite asks for to a
//     receiver the suite hosts (SenderTarget; the contract is in
//     spec/conformance-contract.md), and each message is checked against
//     the producer rules: header encoding, Content-Type, data placement.
//   - relay (MQTT): the provider passes on what the suite publishes on a
//     topic (a broker, a bridge, a forwarding function); the event that
//     comes out, read with the protocol version it was published with,
//     must be the one sent (MQTTTarget).
//   - relay (HTTP): the provider takes events at its URL and forwards them
//     over HTTP to a sink the suite hosts (HTTPRelayTarget); the event that
//     comes out must be the one sent, written by the rules of the content
//     mode the relay chose.
//   - echo and sender (MQTT): an echo answers each event on the MQTT 5.0
//     Response Topic the suite sets (or a fixed reply topic), and an
//     invalid message must not come back within a bounded window; a sender
//     publishes on a topic the suite subscribes to. Both are checked
//     against the binding's wire rules (user property names and values,
//     Content Type, payload; MQTTExpect). A broker hides a subscriber's
//     refusal, so there is no MQTT receiver role (driver_mqtt.go,
//     sender_mqtt.go).
//   - receiver and relay (gRPC): the suite publishes protobuf events byte
//     for byte and reads the status, and reads what the provider passes
//     on from one Subscribe call, without validating it, to see where
//     each attribute and the data went (GRPCTarget, driver_grpc.go). The
//     status-code rules are OpenEvents' own binding (catalog document
//     grpc) and bind only an EventService provider.
//   - sender (gRPC): the suite hosts EventService and CloudEventService
//     and judges each event the sender delivers, by Publish or in a
//     Stream batch, against the protobuf format's producer rules: fields,
//     value members, data fields (SenderTarget.SendGRPC or Binding,
//     driver_grpc_sender.go).
//
// A provider that does not reply gets its echo cases NOT-TESTED with one
// note (checked with one plain event first).
//
// # Ginkgo
//
// Every case is one Ginkgo It, titled with its requirement IDs and labelled
// with its level class (MUST, SHOULD, MAY), binding, mode, role and IDs, so
// Ginkgo's label filter, focus and skip select subsets. Run builds the spec
// tree at run time and calls RunSpecs twice with its own GinkgoTestingT: a
// dry run that tells which cases the filters select, exactly as Ginkgo
// reads them; then, after the selected cases have run against the provider
// (Config.Concurrency at once), a run whose Its report each case's outcome.
// Ginkgo keeps its tree in package state; Run resets it (Ginkgo's
// extensions/globals) and serialises runs, so it can be called any number
// of times per process. The package's own tests still run most suites in
// child processes, to use both cores.
//
// # SHOULD and MAY
//
// Only MUST failures fail a run. A case of class SHOULD or MAY still runs
// its check, but a violation does not fail its It: it is recorded as a
// Ginkgo report entry named "finding" and the It passes. Ginkgo's own
// pass/fail, and so the JUnit report a CI system reads, therefore agree with
// the run's verdict, while the per-requirement report (console, JSON, HTML)
// shows the finding as FAIL with its level. Marking SHOULD failures as real
// Ginkgo failures and filtering them out afterwards was rejected: the JUnit
// file would then say "failed" for a run whose verdict is PASS.
//
// A check that does not apply to what the provider answered (a binary-mode
// encoding check when the reply came in structured mode) skips its It; the
// requirement is then NOT-TESTED, as it is when filters leave it out.
//
// # Reports
//
// Result holds per-case and per-requirement verdicts and no Ginkgo type.
// WriteConsole prints one line per requirement; WriteJSON (versioned,
// described by schemas/conformance-report.schema.json), WriteHTML
// (self-contained, no external assets) and WriteJUnit (one testcase per
// requirement check) write to any io.Writer.
//
// # Peers
//
// The tests run the suite against the reference provider (StartReference,
// ce run's echo on every binding, and ReferenceSend and
// ReferenceSendGRPC, which must pass every case in some profile, role and
// reply mode), against a faulty provider with one switch per seeded violation
// (each must be caught by its requirement), against an independent strict
// receiver claiming no extension (no MUST failure under 1.0.2), and against
// sdk-go's HTTP receiver and sender, whose findings TestSDKGo pins. With
// the interop build tag (make interop) they also run sdk-go and the
// JavaScript SDK as separate programs (conformance/peers).
package conformance
