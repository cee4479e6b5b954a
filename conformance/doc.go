// Package conformance is the OpenEvents conformance suite: it tests a
// CloudEvents provider over the wire, requirement by requirement, and
// reports a verdict for each requirement of the catalog (package spec) it
// checks. This slice covers the HTTP binding.
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
//
// To test a provider that only receives, select the receiver cases:
// --label-filter '!echo'.
//
// # Ginkgo
//
// Every case is one Ginkgo It, titled with its requirement IDs and labelled
// with its level class (MUST, SHOULD, MAY), binding, mode, role and IDs, so
// Ginkgo's label filter, focus and skip select subsets. Run builds the spec
// tree at run time and calls RunSpecs with its own GinkgoTestingT; the
// verdict is read from Ginkgo's report. Ginkgo keeps its tree in package
// state and allows one RunSpecs per process, so Run can be called once per
// process (ErrAlreadyRun); the package's own tests run each suite in a child
// process.
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
// Result holds per-case and per-requirement verdicts. WriteConsole prints
// one line per requirement; WriteJSON and WriteHTML (self-contained, no
// external assets) are this package's formats; WriteJUnit is Ginkgo's JUnit
// reporter on the same run.
//
// # Peers
//
// The tests run the suite against the reference provider (StartReference,
// which must pass every case), against a faulty provider with one switch per
// seeded violation (each must be caught), and against sdk-go's HTTP
// receiver, whose deviations are recorded in README.md in this directory.
package conformance
