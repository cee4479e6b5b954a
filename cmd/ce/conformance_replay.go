package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/conformance"
)

const conformanceReplayLong = `Replay sends the events of YAML event files written for the
cloudevents/conformance project to an HTTP receiver, so that files kept for
that project's tools keep working, and prints for each event what was sent
and the receiver's answer.

A file holds one event per YAML document ("---" between them):
  Mode: binary or structured (default binary)
  ContextAttributes: specversion, id, source, type, datacontenttype,
    dataschema, subject, time; for 0.3 schemaurl and datacontentencoding
    (also read in that project's spelling, dataecontentncoding); the
    extensions in a mapping named Extensions inside ContextAttributes
  TransportExtensions: extra HTTP headers
  Data: the data, as text
Every value is the text written: "specversion: 1.0" is the string "1.0".
As that project's tools do, white space around an attribute or header value
is trimmed, and one that is empty then (or null) is left out; the report
line of the event names it.
An unknown key, a list where text belongs or a YAML alias is an error with
its line, never skipped. Every file is read before anything is sent: a
file with an error sends nothing.

Binary mode sends the attributes as ce- headers (percent-encoded for 1.0,
as written for 0.3), datacontenttype as Content-Type and the data as the
body. Structured mode sends a JSON object with every attribute as a JSON
string and the data as JSON when datacontenttype is JSON (or absent), as a
JSON string otherwise. A transport extension replaces a header of the same
name. The events are sent one at a time, in file order.

Exit status: 0 when every event was accepted (2xx), 1 when one was refused,
could not be sent, or a file could not be read, 2 for a usage error.`

// replayOptions are the flags of ce conformance replay.
type replayOptions struct {
	httpURL     string
	timeout     time.Duration
	maxFileSize int64
	verbose     bool
	tls         tlsFlags
}

func newConformanceReplayCommand(stdout io.Writer) *cobra.Command {
	var o replayOptions
	cmd := &cobra.Command{
		Use:   "replay FILE... --http URL",
		Short: "Send the events of cloudevents/conformance YAML files to an HTTP receiver",
		Long:  conformanceReplayLong,
		Example: `  ce conformance replay yaml/v1.0/v1_minimum.yaml --http http://127.0.0.1:8080/
  ce conformance replay yaml/v0.3/*.yaml yaml/v1.0/*.yaml --http https://events.example.com/ -v`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			return runReplay(cmd.Context(), &o, files, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.httpURL, "http", "", "URL of the HTTP receiver to send the events to (required)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "bound on each event's exchange with the receiver")
	f.Int64Var(&o.maxFileSize, "max-file-size", conformance.DefaultReplayMaxBytes, "refuse a file larger than this many bytes")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print each request's headers and body")
	o.tls.addClientFlags(cmd)
	return cmd
}

func runReplay(ctx context.Context, o *replayOptions, files []string, stdout io.Writer) error {
	if o.httpURL == "" {
		return usageError(errors.New("--http URL is required"))
	}
	if u, err := url.Parse(o.httpURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError(fmt.Errorf("--http %q is not an absolute http:// or https:// URL", o.httpURL))
	}
	if o.timeout <= 0 {
		return usageError(errors.New("--timeout must be positive"))
	}
	if o.maxFileSize <= 0 {
		return usageError(errors.New("--max-file-size must be positive"))
	}
	tc, err := o.tls.httpClient(o.httpURL)
	if err != nil {
		return usageError(err)
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if def, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = def.Clone() // keep the default's timeouts and proxy settings
	}
	tr.TLSClientConfig = tc
	client := &http.Client{
		Transport: tr,
		// A redirect would send the event somewhere the user did not
		// name; report the 3xx instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()

	var events []conformance.ReplayEvent
	var errs []error
	for _, f := range files {
		es, err := conformance.ReadReplayFile(f, o.maxFileSize)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		events = append(events, es...)
	}
	if err := errors.Join(errs...); err != nil {
		return failure(fmt.Errorf("nothing sent: %w", err))
	}
	if len(events) == 0 {
		return failure(errors.New("nothing sent: the files hold no event"))
	}

	var b strings.Builder
	accepted, refused, failed := 0, 0, 0
	for i := range events {
		e := &events[i]
		b.Reset()
		b.WriteString(describeReplay(e))
		if o.verbose {
			writeReplayRequest(&b, e, o.httpURL)
		}
		ectx, cancel := context.WithTimeout(ctx, o.timeout)
		status, err := conformance.Replay(ectx, client, o.httpURL, e)
		cancel()
		var re *conformance.ReplayError
		switch {
		case err == nil:
			accepted++
			fmt.Fprintf(&b, "  -> %d %s\n", status, http.StatusText(status))
		case errors.As(err, &re):
			refused++
			fmt.Fprintf(&b, "  -> %v\n", re)
		default:
			failed++
			fmt.Fprintf(&b, "  -> not sent: %v\n", err)
		}
		if _, err := io.WriteString(stdout, b.String()); err != nil {
			return failure(err)
		}
	}
	if _, err := fmt.Fprintf(stdout, "\n%d events: %d accepted, %d refused, %d not sent\n", len(events), accepted, refused, failed); err != nil {
		return failure(err)
	}
	if refused+failed > 0 {
		return &exitError{code: exitFailure, err: errQuiet}
	}
	return nil
}

// describeReplay is the first line of an event's report: where it is
// from, its mode, its attributes and the size of its data.
func describeReplay(e *conformance.ReplayEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e, e.Mode)
	for _, a := range e.Attributes {
		fmt.Fprintf(&b, " %s=%q", a.Name, a.Value)
	}
	if e.HasData {
		fmt.Fprintf(&b, ", %d bytes of data", len(e.Data))
	} else {
		b.WriteString(", no data")
	}
	if len(e.Omitted) > 0 {
		fmt.Fprintf(&b, "; left out, empty in the file: %s", strings.Join(e.Omitted, ", "))
	}
	b.WriteByte('\n')
	return b.String()
}

// writeReplayRequest writes the request that carries e, headers sorted,
// then the body; a request that cannot be built is left to Replay to
// report.
func writeReplayRequest(b *strings.Builder, e *conformance.ReplayEvent, target string) {
	req, err := e.Request(context.Background(), target)
	if err != nil {
		return
	}
	names := make([]string, 0, len(req.Header))
	for name := range req.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range req.Header[name] {
			fmt.Fprintf(b, "    %s: %s\n", name, v)
		}
	}
	body, _ := io.ReadAll(req.Body)
	if len(body) > 0 {
		fmt.Fprintf(b, "\n    %s\n", strings.ReplaceAll(strings.TrimRight(string(body), "\n"), "\n", "\n    "))
	}
}
