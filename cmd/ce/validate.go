package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/schemas"
	"github.com/openevents/openevents/spec"
)

const validateLong = `Validate checks one CloudEvent, or a batch, in the JSON format
(application/cloudevents+json; a top-level array is a batch,
application/cloudevents-batch+json) against CloudEvents 1.0.

Every violation is printed with the requirement ID it breaks (see the
catalog in spec/), its level and the JSON pointer of the offending member.
SHOULD-level advice is printed too but does not make an event invalid.
Spec version 0.3 input is accepted and checked as the 1.0 event it maps to.

FILE is a path, or "-" (the default) for standard input.

Exit status: 0 valid, 1 not a valid CloudEvent (malformed JSON included),
2 usage error or unreadable file.`

type validateOptions struct {
	schema   bool
	output   string
	maxAttrs int
}

func newValidateCommand(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var opts validateOptions
	cmd := &cobra.Command{
		Use:   "validate [FILE|-]",
		Short: "Check a JSON CloudEvent or batch against the specification",
		Long:  validateLong,
		Example: `  ce validate event.json
  curl -s https://example.com/event | ce validate -
  ce validate --schema --output json batch.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if opts.output != "text" && opts.output != "json" {
				return usageError(fmt.Errorf("--output must be text or json, not %q", opts.output))
			}
			if opts.maxAttrs <= 0 {
				return usageError(fmt.Errorf("--max-attributes must be positive, not %d", opts.maxAttrs))
			}
			name, in, err := readInputArg(args, stdin)
			if err != nil {
				return err
			}
			rep, err := validate(name, in, opts)
			if err != nil {
				return err
			}
			if err := rep.write(stdout, opts.output); err != nil {
				return failure(err)
			}
			if !rep.Valid {
				return &exitError{code: exitFailure, err: errQuiet}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.schema, "schema", false, "also check the input against the OpenEvents JSON Schema")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().IntVar(&opts.maxAttrs, "max-attributes", event.DefaultMaxAttributes, "refuse an event with more attributes than this (the receivers' default limit)")
	return cmd
}

// errQuiet marks a failure that has already been reported on stdout.
var errQuiet = errors.New("not a valid CloudEvent")

// readInputArg reads the FILE argument of a command, standard input when
// it is absent or "-", and returns its name with the bytes; failing to
// read is a usage error.
func readInputArg(args []string, stdin io.Reader) (string, []byte, error) {
	name := "-"
	if len(args) == 1 {
		name = args[0]
	}
	in, err := readInput(name, stdin)
	if err != nil {
		return "", nil, usageError(err)
	}
	return name, in, nil
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return b, nil
}

// finding is one line of the report.
type finding struct {
	Rule      string `json:"rule"`
	Level     string `json:"level"`
	Pointer   string `json:"pointer,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	Attribute string `json:"attribute,omitempty"`
	Message   string `json:"message"`
	Source    string `json:"source"` // "decoder" or "schema"
}

type report struct {
	File       string    `json:"file"`
	Valid      bool      `json:"valid"`
	Batch      bool      `json:"batch"`
	Events     int       `json:"events"`
	Violations []finding `json:"violations"`
	Advice     []finding `json:"advice"`
}

func validate(name string, in []byte, opts validateOptions) (*report, error) {
	rep := &report{File: name, Batch: bytes.HasPrefix(bytes.TrimLeft(in, " \t\r\n"), []byte("["))}
	var events []event.Event
	var err error
	dec := jsonformat.Decoder{MaxAttributes: opts.maxAttrs}
	if rep.Batch {
		events, err = dec.DecodeBatch(in, nil)
	} else {
		events = make([]event.Event, 1)
		err = dec.Decode(in, &events[0])
	}
	rep.Events = len(events)
	var se *jsonformat.SyntaxError
	var ve *event.ValidationError
	switch {
	case err == nil:
		for i := range events {
			for _, v := range events[i].Advice() {
				if rep.Batch {
					v.Pointer = fmt.Sprintf("/%d%s", i, v.Pointer)
				}
				rep.Advice = append(rep.Advice, findingOf(v, "decoder"))
			}
		}
	case errors.As(err, &se):
		rep.Violations = append(rep.Violations, findingOf(se.Violation(), "decoder"))
	case errors.As(err, &ve):
		for _, v := range ve.Violations {
			rep.Violations = append(rep.Violations, findingOf(v, "decoder"))
		}
	case errors.Is(err, event.ErrTooManyAttributes):
		return nil, failure(fmt.Errorf("%w; --max-attributes raises it", err))
	default:
		return nil, failure(err)
	}
	if opts.schema {
		sv, err := schemas.New()
		if err != nil {
			return nil, failure(fmt.Errorf("compiling the JSON Schema: %w", err))
		}
		check := sv.ValidateEvent
		if rep.Batch {
			check = sv.ValidateBatch
		}
		if err := check(in); err != nil {
			var serr *schemas.Error
			if !errors.As(err, &serr) {
				rep.Violations = append(rep.Violations, finding{Rule: "JSON-SYNTAX-1", Level: levelOf("JSON-SYNTAX-1"), Message: err.Error(), Source: "schema"})
			} else {
				for _, f := range serr.Failures {
					rep.Violations = append(rep.Violations, finding{
						Rule: f.RequirementID, Level: levelOf(f.RequirementID), Pointer: f.InstancePointer,
						Message: f.Message + " (schema " + f.KeywordLocation + ")", Source: "schema",
					})
				}
			}
		}
	}
	rep.Valid = len(rep.Violations) == 0
	return rep, nil
}

func findingOf(v event.Violation, source string) finding {
	f := finding{Rule: v.Rule, Level: levelOf(v.Rule), Pointer: v.Pointer, Attribute: v.Attribute, Message: v.Message, Source: source}
	if v.Offset >= 0 {
		off := v.Offset
		f.Offset = &off
	}
	return f
}

func levelOf(id string) string {
	if id == "" {
		return "?"
	}
	if r, ok := spec.Default().Lookup(id); ok {
		return string(r.Level)
	}
	return "?"
}

func (r *report) write(w io.Writer, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b bytes.Buffer
	what := "event"
	if r.Batch {
		what = fmt.Sprintf("batch of %d events", r.Events)
	}
	if r.Valid {
		fmt.Fprintf(&b, "%s: valid CloudEvents %s\n", r.File, what)
	} else {
		fmt.Fprintf(&b, "%s: not a valid CloudEvents %s: %d violation(s)\n", r.File, what, len(r.Violations))
	}
	for _, f := range r.Violations {
		writeFinding(&b, f)
	}
	if len(r.Advice) > 0 {
		fmt.Fprintf(&b, "advice (%d, not errors):\n", len(r.Advice))
		for _, f := range r.Advice {
			writeFinding(&b, f)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeFinding(b *bytes.Buffer, f finding) {
	where := f.Pointer
	if where == "" && f.Offset != nil {
		where = fmt.Sprintf("offset %d", *f.Offset)
	}
	if where == "" {
		where = "(event)"
	}
	fmt.Fprintf(b, "  %-12s %-28s %-11s %s", where, f.Rule, f.Level, f.Message)
	if f.Pointer != "" && f.Offset != nil {
		fmt.Fprintf(b, " (offset %d)", *f.Offset)
	}
	if f.Source == "schema" {
		b.WriteString(" [schema]")
	}
	b.WriteByte('\n')
}
