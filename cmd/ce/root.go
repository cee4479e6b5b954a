package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes of ce. Scripts and CI jobs branch on them, so they are part of
// the command's interface and do not change.
const (
	exitOK      = 0 // the command did what was asked
	exitFailure = 1 // the command ran and found a problem (invalid event, failed send, …)
	exitUsage   = 2 // the command line itself is wrong (unknown command or flag, bad argument)
)

// exitError is an error that carries the process exit code. Subcommands
// return it through usageError and failure; any other error exits with
// exitFailure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks err as a mistake in the command line: ce prints it and
// exits with status 2. A nil err returns nil.
func usageError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitUsage, err: err}
}

// failure marks err as a failure of the work itself: ce prints it and exits
// with status 1. A nil err returns nil.
func failure(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: exitFailure, err: err}
}

// exitCode maps an error returned by a command to the process exit status.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if ee, ok := errors.AsType[*exitError](err); ok {
		return ee.code
	}
	return exitFailure
}

const rootLong = `ce is the command-line tool of OpenEvents, a CloudEvents 1.0 implementation
in Go. It checks events against the specification and, as the project grows,
converts them between the JSON and protobuf formats, sends and receives them
over HTTP, gRPC, MQTT and NATS, hosts functions, and runs the conformance
suite against a provider. The commands available in this build are listed
below; "ce help COMMAND" explains each one.

"ce --version" prints the same line as "ce version". "ce completion SHELL"
prints a completion script for bash, zsh, fish or powershell; "ce help
completion SHELL" says where to put it, for example
  source <(ce completion bash)

Exit status: 0 on success, 1 when the command ran and failed (for example an
invalid event), 2 when the command line is wrong.`

// newRootCommand builds the ce command tree. Every subcommand is registered
// here, each by its own newXCommand constructor in its own file; commands
// write only to the given streams so tests can run them in-process.
func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ce",
		Short: "Validate, convert, send and receive CloudEvents; run functions and the conformance suite",
		Long:  rootLong,
		// A failing command is not a usage mistake: do not answer every
		// error with the help text. run prints the error once itself.
		SilenceUsage:  true,
		SilenceErrors: true,
		// No Run: "ce" alone prints the help text, and cobra answers an
		// unknown subcommand with an "unknown command" error carrying
		// "Did you mean" suggestions, which run maps to status 2.

		// Setting Version gives ce a --version flag (and -v); the
		// template makes it print exactly what "ce version" prints.
		Version: readVersion().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	// Declared here rather than by cobra so that it has no -v shorthand
	// (left free for a future --verbose) and says what it prints.
	root.Flags().Bool("version", false, `print the version of ce, as "ce version" does`)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	// Cobra reports bad flags as plain errors; they are usage errors.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError(err)
	})

	// Subcommands: one newXCommand per file (validate.go, version.go, …),
	// given the streams it needs. Help lists them alphabetically.
	root.AddCommand(
		newBenchCommand(stdout, stderr),
		newConformanceCommand(stdout, stderr),
		newConvertCommand(stdin, stdout, stderr),
		newListenCommand(stdout, stderr),
		newRunCommand(stdout, stderr),
		newSendCommand(stdin, stdout),
		newValidateCommand(stdin, stdout),
		newVersionCommand(stdout),
	)
	// Cobra's "completion" command is listed in the help (rootLong says
	// how to load it). Cobra would add it on Execute; adding it now lets
	// it be made runnable, so that an unknown shell ("ce completion
	// tcsh") is a usage error from its NoArgs instead of the help text
	// and status 0.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" && c.Run == nil && c.RunE == nil {
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		}
	}
	return root
}

// run executes ce with args (without the program name) and returns the
// process exit status. Errors are printed once, to stderr.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	if code == exitFailure && isCobraUsageError(err) {
		code = exitUsage
	}
	if errors.Is(err, errQuiet) {
		return code // the command has reported the failure itself
	}
	// If stderr itself fails there is nowhere left to report it; the exit
	// status still tells.
	_, _ = fmt.Fprintf(stderr, "ce: %v\n", err)
	if code == exitUsage && cmd != nil {
		_, _ = fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// isCobraUsageError reports whether err is one of the argument errors cobra
// itself produces (unknown command, wrong number of arguments, missing
// required flags). Cobra has no error types for them, so match its messages;
// the tests in main_test.go pin the ones we rely on.
func isCobraUsageError(err error) bool {
	if _, ok := errors.AsType[*exitError](err); ok {
		return false
	}
	msg := err.Error()
	for _, prefix := range []string{
		"unknown command",
		"unknown flag",
		"unknown shorthand flag",
		"accepts ",
		"requires at least",
		"requires at most",
		"required flag(s)",
		"invalid argument",
		"flag needs an argument",
	} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
