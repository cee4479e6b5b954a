// Command sender is sdk-go v2's HTTP sender as a conformance peer.
//
// The sender contract, shared by every sender peer: the conformance suite
// starts the sender with three environment variables,
//
//   - CE_CONFORMANCE_TARGET: the URL to POST to;
//   - CE_CONFORMANCE_EVENTS: the path of a file holding a JSON array of
//     events in the CloudEvents JSON format (each with specversion, id, ...
//     and optionally data or data_base64);
//   - CE_CONFORMANCE_MODE: binary or structured.
//
// The sender sends every event of the file, in order, one HTTP request
// each, in that content mode, and waits for each answer. It exits 0 once
// all were sent. An event the SDK refuses to read or to send is reported on
// stderr and skipped; the exit status is non-zero only for a setup failure
// (bad environment, unreadable file, target refusing connections).
//
// Here each event is read with sdk-go's own JSON unmarshalling
// (event.Event.UnmarshalJSON), so what is sent is what sdk-go makes of it,
// and sent with cloudevents.NewHTTP + cloudevents.NewClient. NewClientHTTP
// is not used: its defaulters would add a time (and an id) that the event
// file does not have. Binary mode is forced with WithEncodingBinary (also
// sdk-go's default), structured mode with WithEncodingStructured.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// requestTimeout bounds one request and its answer.
const requestTimeout = 30 * time.Second

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		os.Exit(1) //nolint:forbidigo // a program, as in cmd/: it decides its exit status
	}
}

func run() error {
	target := os.Getenv("CE_CONFORMANCE_TARGET")
	path := os.Getenv("CE_CONFORMANCE_EVENTS")
	mode := os.Getenv("CE_CONFORMANCE_MODE")
	if target == "" || path == "" {
		return errors.New("CE_CONFORMANCE_TARGET and CE_CONFORMANCE_EVENTS must be set")
	}
	encode := cloudevents.WithEncodingBinary
	switch mode {
	case "binary":
	case "structured":
		encode = cloudevents.WithEncodingStructured
	default:
		return fmt.Errorf("CE_CONFORMANCE_MODE is %q, want binary or structured", mode)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return fmt.Errorf("%s: not a JSON array: %w", path, err)
	}

	p, err := cloudevents.NewHTTP()
	if err != nil {
		return err
	}
	c, err := cloudevents.NewClient(p)
	if err != nil {
		return err
	}

	for i, raw := range raws {
		var e event.Event
		if err := e.UnmarshalJSON(raw); err != nil {
			fmt.Fprintf(os.Stderr, "sender: event %d: sdk-go cannot read it: %v\n", i, err)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		res := c.Send(encode(cloudevents.ContextWithTarget(ctx, target)), e)
		cancel()
		if err := report(i, res); err != nil {
			return err
		}
	}
	return nil
}

// report judges the result of sending event i: an answer, whatever its
// status, is a send; an event sdk-go refused is reported and skipped; a
// target that refuses connections is a setup failure.
func report(i int, res error) error {
	var httpRes *cehttp.Result
	switch {
	case cloudevents.ResultAs(res, &httpRes):
		// An answer came back (2xx or not): the event was sent.
		if !cloudevents.IsACK(res) {
			fmt.Fprintf(os.Stderr, "sender: event %d: answered %d\n", i, httpRes.StatusCode)
		}
		return nil
	case cloudevents.IsACK(res):
		return nil
	case errors.Is(res, syscall.ECONNREFUSED):
		return fmt.Errorf("event %d: %w", i, res)
	}
	var invalid event.ValidationError
	if errors.As(res, &invalid) {
		fmt.Fprintf(os.Stderr, "sender: event %d: sdk-go refuses to send it: %v\n", i, res)
	} else {
		fmt.Fprintf(os.Stderr, "sender: event %d: not sent: %v\n", i, res)
	}
	return nil
}
