// Package conformancetest runs the OpenEvents conformance suite inside a
// provider's own go test, so that a CloudEvents provider written in Go can
// keep its conformance in CI next to its unit tests:
//
//	func TestConformance(t *testing.T) {
//		srv := httptest.NewServer(myHandler)
//		defer srv.Close()
//		conformancetest.Run(t, conformancetest.HTTP(srv.URL))
//	}
//
// Run is conformance.Run (package conformance) with the testing package's
// verdicts: each requirement the suite checks becomes a subtest named by
// its catalog ID, so "go test -run 'TestConformance/HTTP-HEADER-VALUE'"
// shows one family of rules and a CI system lists every requirement.
//
// # Verdicts
//
//   - A MUST requirement (MUST, MUST NOT, REQUIRED) that failed fails its
//     subtest, with the suite's message and a link to the rule.
//   - A SHOULD or MAY requirement that failed is a finding: it is logged
//     ("go test -v" shows it) and the subtest passes, as in `ce
//     conformance run`, whose exit status such findings do not change.
//   - A requirement that was NOT-TESTED (outside the profile, a role or
//     binding the target does not play, a check the provider's answer
//     could not decide) is skipped with the reason (t.Skip), never
//     passed.
//   - A requirement that passed passes, with the cases that checked it
//     logged.
//
// A Config the suite refuses, a provider that cannot be reached or a run
// that cannot start fails the calling test at once (t.Fatal).
//
// # Ginkgo, parallel tests and -count
//
// The suite runs on Ginkgo, which keeps its spec tree in package state;
// conformance.Run resets that state and holds a process-wide lock for the
// whole run. Hence:
//
//   - Run may be called from parallel tests (t.Parallel), but the runs
//     take turns: each waits for the one before to finish, so go test's
//     -timeout must allow for all of them one after another. Running two
//     targets in one call is not possible; give each its own Run.
//   - A test binary that has Ginkgo suites of its own (RunSpecs) must not
//     run them while Run is running: Run would reset their spec tree.
//     Keep such suites in another package, or do not mark either test
//     parallel.
//   - Run may be called any number of times per process: every run
//     starts from a reset tree.
//   - Ginkgo ends the whole test binary (os.Exit) when a run starts under
//     go test -count other than 1 or with -parallel, whatever test asked
//     for it. Run checks those flags first and fails its own test with the
//     reason instead, so run the provider's conformance test with
//     -count=1 and without -parallel (t.Parallel tests still run in
//     parallel, up to GOMAXPROCS).
//
// Run reads the suite's progress through Ginkgo with its console output
// discarded; only the subtests' logs reach go test's output.
package conformancetest
