package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what "ce version" reports. The JSON field names are part of
// the output format of "ce version -o json".
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go"`
	Modified  bool   `json:"modified,omitempty"`
}

// readVersion collects the version of the running binary from the build
// information the Go toolchain embeds. A binary built by "go install
// module@vX" carries vX; one built from a checkout carries "(devel)" or a
// pseudo-version, plus the VCS commit unless built with -buildvcs=false.
func readVersion() versionInfo {
	v := versionInfo{Version: "(devel)", Commit: "unknown", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
			if len(v.Commit) > 12 {
				v.Commit = v.Commit[:12]
			}
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String formats v as the one line "ce version" prints.
func (v versionInfo) String() string {
	commit := v.Commit
	if v.Modified {
		commit += ", modified"
	}
	return fmt.Sprintf("ce version %s (commit %s, %s)", v.Version, commit, v.GoVersion)
}

func newVersionCommand(stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of ce",
		Long: `Print the version of ce, the commit it was built from and the Go version
that built it. With -o json the same facts are printed as a JSON object
with the fields version, commit, go and (when the checkout had local
changes) modified.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			v := readVersion()
			switch output {
			case "text", "":
				_, err := fmt.Fprintln(stdout, v)
				return failure(err)
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return failure(enc.Encode(v))
			default:
				return usageError(fmt.Errorf("unknown output format %q: want text or json", output))
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}
