package http_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
	cehttp "github.com/openevents/openevents/transports/http"
)

// TestManyAttributes replays the extension attack on both servers: a
// structured event of 100,000 extensions in reverse order (1.4 MB), which
// once took seconds to decode, is refused 400 by the default attribute
// limit, and an event over the default (5,000 extensions, reversed) is
// accepted when the limit is raised for it; in binary mode, one ce-
// header over the limit is refused 400 too. The client's timeout (10 s)
// is the guard against quadratic time; the decoders' tests decode
// 100,000 in any order, and their benchmarks measure.
func TestManyAttributes(t *testing.T) {
	body := eventtest.ManyAttributesJSON(eventtest.ExtensionNames(100_000, eventtest.Reversed))
	const n = 5000
	few := eventtest.ManyAttributesJSON(eventtest.ExtensionNames(n, eventtest.Reversed))
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := client(t)
			post := func(url, ct string, hdr map[string]string, body []byte) (int, string) {
				t.Helper()
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", ct)
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = resp.Body.Close() }()
				msg, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(msg)
			}

			var got collector
			url := srv.start(t, &got)
			code, msg := post(url, "application/cloudevents+json", nil, body)
			if code != http.StatusBadRequest || !strings.Contains(msg, "more than "+strconv.Itoa(event.DefaultMaxAttributes)+" attributes") {
				t.Errorf("default limit: %d %q, want 400 naming the limit", code, msg)
			}

			var raised collector
			url = srv.start(t, &raised, cehttp.WithMaxAttributes(n+8))
			if code, msg := post(url, "application/cloudevents+json", nil, few); code != http.StatusNoContent {
				t.Fatalf("limit raised: %d %q, want 204", code, msg)
			}
			if ev := raised.got(); len(ev) != 1 || len(ev[0].Extensions()) != n {
				t.Errorf("limit raised: %d events delivered, want one with %d extensions", len(ev), n)
			}

			// Binary mode: 4 core headers and 5 extensions against a
			// limit of 8.
			var small collector
			url = srv.start(t, &small, cehttp.WithMaxAttributes(8))
			hdr := map[string]string{"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
			for _, name := range eventtest.ExtensionNames(5, eventtest.Reversed) {
				hdr["ce-"+name] = "v"
			}
			if code, msg := post(url, "text/plain", hdr, []byte("x")); code != http.StatusBadRequest || !strings.Contains(msg, "more than 8 attributes") {
				t.Errorf("binary, 9 attributes, limit 8: %d %q", code, msg)
			}
			delete(hdr, "ce-x4")
			if code, msg := post(url, "text/plain", hdr, []byte("x")); code != http.StatusNoContent {
				t.Errorf("binary, 8 attributes, limit 8: %d %q", code, msg)
			}
		})
	}
}
