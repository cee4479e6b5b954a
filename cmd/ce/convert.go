package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/format/protoformat"
)

const convertLong = `Convert reads one CloudEvent, or a batch, in one event format and writes
it in the other:

  --to protobuf   JSON in (application/cloudevents+json; a top-level array is
                  a batch), protobuf out (a CloudEvent message, or a
                  CloudEventBatch for a batch)
  --to json       protobuf in (a CloudEvent message; --batch for a
                  CloudEventBatch), JSON out

Both decoders are the strict ones the bindings use: input that is not a
valid CloudEvent is not converted, and each violation is printed to
standard error with its requirement ID. Data crosses over as the formats
define: text content types (JSON included) become protobuf text_data,
other data binary_data (--text-as-binary writes all data as binary_data,
which sdk-go's protobuf reader needs); protobuf binary data that is not
text becomes data_base64 in JSON.

FILE is a path, or "-" (the default) for standard input. The result goes
to standard output, or to the file named by --out; protobuf is not written
to a terminal.

Exit status: 0 converted, 1 the input is not a valid CloudEvent, 2 usage
error or unreadable file.`

type convertOptions struct {
	to           string
	batch        bool
	out          string
	textAsBinary bool
}

func newConvertCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var opts convertOptions
	cmd := &cobra.Command{
		Use:   "convert --to json|protobuf [FILE|-]",
		Short: "Convert a CloudEvent or batch between the JSON and protobuf formats",
		Long:  convertLong,
		Example: `  ce convert --to protobuf event.json --out event.pb
  ce convert --to json event.pb
  ce convert --to protobuf batch.json | ce convert --to json --batch -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if opts.to != "json" && opts.to != "protobuf" {
				return usageError(fmt.Errorf("--to must be json or protobuf, not %q", opts.to))
			}
			if opts.batch && opts.to == "protobuf" {
				return usageError(errors.New("--batch describes protobuf input; JSON input is a batch when it is a top-level array"))
			}
			if opts.textAsBinary && opts.to == "json" {
				return usageError(errors.New("--text-as-binary applies to protobuf output (--to protobuf)"))
			}
			if opts.to == "protobuf" && opts.out == "" && isTerminal(stdout) {
				return usageError(errors.New("refusing to write protobuf to a terminal: redirect standard output or use --out FILE"))
			}
			name, in, err := readInputArg(args, stdin)
			if err != nil {
				return err
			}
			out, err := convert(in, opts)
			if err != nil {
				if reportViolations(stderr, name, err) {
					if opts.to == "json" && looksJSON(in) {
						_, _ = fmt.Fprintln(stderr, "(the input looks like JSON; --to json converts protobuf input)")
					}
					return &exitError{code: exitFailure, err: errQuiet}
				}
				return failure(err)
			}
			if opts.out != "" {
				if err := os.WriteFile(opts.out, out, 0o644); err != nil {
					return failure(err)
				}
				return nil
			}
			if _, err := stdout.Write(out); err != nil {
				return failure(err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.to, "to", "", "output format: json or protobuf (the input is in the other one)")
	f.BoolVar(&opts.batch, "batch", false, "the protobuf input is a CloudEventBatch (with --to json)")
	f.StringVarP(&opts.out, "out", "o", "", "write the result to this file instead of standard output")
	f.BoolVar(&opts.textAsBinary, "text-as-binary", false, "write text data as protobuf binary_data, as sdk-go expects (with --to protobuf)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// convert decodes in from one format and encodes it in the other.
func convert(in []byte, opts convertOptions) ([]byte, error) {
	if opts.to == "protobuf" {
		po := protoformat.Options{TextAsBinary: opts.textAsBinary}
		if trimmed := bytes.TrimLeft(in, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
			events, err := jsonformat.DecodeBatch(in, nil)
			if err != nil {
				return nil, err
			}
			return po.AppendBatch(nil, events)
		}
		var e event.Event
		if err := jsonformat.Decode(in, &e); err != nil {
			return nil, err
		}
		return po.Append(nil, &e)
	}
	var out []byte
	if opts.batch {
		events, err := protoformat.DecodeBatch(in, nil)
		if err != nil {
			return nil, err
		}
		out, err = jsonformat.AppendBatch(nil, events)
		if err != nil {
			return nil, err
		}
	} else {
		var e event.Event
		if err := protoformat.Decode(in, &e); err != nil {
			return nil, err
		}
		var err error
		if out, err = jsonformat.Append(nil, &e); err != nil {
			return nil, err
		}
	}
	return append(out, '\n'), nil
}

// reportViolations prints the violations err carries, if it carries any,
// and reports whether it did.
func reportViolations(w io.Writer, name string, err error) bool {
	var vs []event.Violation
	if ve, ok := errors.AsType[*event.ValidationError](err); ok {
		vs = ve.Violations
	} else if se, ok := errors.AsType[*jsonformat.SyntaxError](err); ok {
		vs = []event.Violation{se.Violation()}
	} else if pe, ok := errors.AsType[*protoformat.SyntaxError](err); ok {
		vs = []event.Violation{pe.Violation()}
	} else {
		return false
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: not a valid CloudEvent, not converted: %d violation(s)\n", name, len(vs))
	for _, v := range vs {
		writeFinding(&b, findingOf(v, "decoder"))
	}
	_, _ = w.Write(b.Bytes())
	return true
}

// looksJSON reports whether in starts like a JSON object or array.
func looksJSON(in []byte) bool {
	in = bytes.TrimLeft(in, " \t\r\n")
	return len(in) > 0 && (in[0] == '{' || in[0] == '[')
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
