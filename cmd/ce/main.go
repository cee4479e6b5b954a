// Command ce is the OpenEvents command-line tool: it validates and converts
// CloudEvents, sends and receives them over the supported bindings, hosts
// functions, and runs the conformance suite. Run "ce help" for the list of
// subcommands.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
