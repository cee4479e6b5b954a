package http_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	cehttp "github.com/openevents/openevents/transports/http"
)

// TestRoute: a routed path is answered by its handler on both servers,
// whatever the method, and every other path still receives events.
func TestRoute(t *testing.T) {
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok "+r.Method)
	})
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			c := &collector{}
			url := srv.start(t, c, cehttp.WithRoute("/healthz", health))
			base := strings.TrimSuffix(url, "/")
			resp, err := http.Get(base + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != "ok GET" {
				t.Errorf("GET /healthz: %d %q", resp.StatusCode, body)
			}
			// Not routed: an event path refuses GET as before.
			resp, err = http.Get(base + "/healthz/x")
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET /healthz/x: %d, want 405", resp.StatusCode)
			}
			req, _ := http.NewRequest(http.MethodPost, base+"/events", strings.NewReader(`{}`))
			req.Header.Set("ce-specversion", "1.0")
			req.Header.Set("ce-id", "r1")
			req.Header.Set("ce-source", "/s")
			req.Header.Set("ce-type", "t")
			req.Header.Set("Content-Type", "application/json")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode/100 != 2 || len(c.got()) != 1 {
				t.Errorf("POST /events: %d, %d events", resp.StatusCode, len(c.got()))
			}
		})
	}
	if _, err := cehttp.NewServer(&collector{}, cehttp.WithRoute("healthz", health)); !errors.Is(err, cehttp.ErrConfig) {
		t.Errorf("a path without /: %v, want ErrConfig", err)
	}
}
