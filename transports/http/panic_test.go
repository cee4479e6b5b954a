package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// TestHandlerPanic: a handler (or replier) that panics costs its request a
// 500, not the server, on both servers and in every mode.
func TestHandlerPanic(t *testing.T) {
	boom := func(e *event.Event) {
		if e.ID() == "boom" {
			panic("handler bug")
		}
	}
	var c collector
	handler := binding.HandlerFunc(func(ctx context.Context, e *event.Event) error {
		boom(e)
		return c.Handle(ctx, e)
	})
	replier := cehttp.ReplierFunc(func(_ context.Context, e, _ *event.Event) (bool, error) {
		boom(e)
		return false, nil
	})
	batch := `[{"specversion":"1.0","id":"1","source":"/s","type":"t"},{"specversion":"1.0","id":"boom","source":"/s","type":"t"}]`
	for _, srv := range servers {
		for _, h := range []struct {
			name string
			h    binding.Handler
		}{{"handler", handler}, {"replier", replier}} {
			t.Run(srv.name+"/"+h.name, func(t *testing.T) {
				url := srv.start(t, h.h)
				if code, _, body := post(t, http.MethodPost, url, binaryHeaders("ce-id", "boom"), ""); code != http.StatusInternalServerError {
					t.Errorf("binary: status %d (%s), want 500", code, body)
				}
				if code, _, body := post(t, http.MethodPost, url, map[string]string{"Content-Type": "application/cloudevents-batch+json"}, batch); code != http.StatusInternalServerError {
					t.Errorf("batch: status %d (%s), want 500", code, body)
				}
				if code, _, body := post(t, http.MethodPost, url, binaryHeaders(), ""); code/100 != 2 {
					t.Errorf("after the panics: status %d (%s), want 2xx", code, body)
				}
			})
		}
	}
}
