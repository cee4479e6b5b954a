package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	cehttp "github.com/openevents/openevents/transports/http"
)

// sendHTTP posts e to --http in mode, prints the status line and any reply
// event as a JSON line, and fails on a non-2xx answer.
func sendHTTP(ctx context.Context, stdout io.Writer, o *sendOptions, mode binding.Mode, e *event.Event, tc *tls.Config) error {
	opts := []cehttp.SenderOption{cehttp.WithMode(mode), cehttp.WithRetry(1, 0), cehttp.WithRequestTimeout(o.timeout)}
	if tc != nil {
		opts = append(opts, cehttp.WithTLS(tc))
	}
	s, err := cehttp.NewSender(o.httpURL, opts...)
	if err != nil {
		return usageError(err)
	}
	defer s.CloseIdleConnections()
	resp, err := s.Send(ctx, e)
	if err != nil {
		var se *cehttp.StatusError
		if errors.As(err, &se) {
			if _, werr := fmt.Fprintf(stdout, "HTTP %d %s\n", se.Code, http.StatusText(se.Code)); werr != nil {
				return failure(werr)
			}
		}
		return failure(err)
	}
	b := fmt.Appendf(nil, "HTTP %d %s\n", resp.Status, http.StatusText(resp.Status))
	if resp.Reply != nil {
		if b, err = jsonformat.Append(b, resp.Reply); err != nil {
			return failure(fmt.Errorf("the reply event cannot be printed: %w", err))
		}
		b = append(b, '\n')
	}
	if _, err := stdout.Write(b); err != nil {
		return failure(err)
	}
	return nil
}
