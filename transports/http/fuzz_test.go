package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

func FuzzDetectMode(f *testing.F) {
	for _, s := range []string{"", "application/json", "application/cloudevents+json", "APPLICATION/CLOUDEVENTS-BATCH+JSON; charset=utf-8",
		" application/cloudevents", "application/cloudevents-batch", "application/cloudevent", "text/plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		got := cehttp.DetectMode(ct)
		if gotB := cehttp.DetectMode([]byte(ct)); gotB != got {
			t.Fatalf("DetectMode(%q): string %v, bytes %v", ct, got, gotB)
		}
		// Reference: HTTP-MODE-2 read literally.
		lower := strings.ToLower(strings.TrimLeft(ct, " \t"))
		want := binding.ModeBinary
		switch {
		case strings.HasPrefix(lower, "application/cloudevents-batch"):
			want = binding.ModeBatch
		case strings.HasPrefix(lower, "application/cloudevents"):
			want = binding.ModeStructured
		}
		if got != want {
			t.Fatalf("DetectMode(%q) = %v, want %v", ct, got, want)
		}
	})
}

// FuzzBinaryHeader sends one ce- header value through the Handler: the
// answer is 204 or 400, never anything else, and an accepted value comes
// back unchanged after the Sender's encoding.
func FuzzBinaryHeader(f *testing.F) {
	for _, s := range []string{"a%20b", "100%25", "%C0%A0", `"quoted \"x\""`, "%F0%9F%98%80", "%zz", "plain"} {
		f.Add(s)
	}
	h, err := cehttp.NewHandler(binding.HandlerFunc(func(context.Context, *event.Event) error { return nil }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		req := httptest.NewRequest(http.MethodPost, "/", nil)
		for k, val := range binaryHeaders() {
			req.Header[k] = []string{val}
		}
		req.Header["ce-subject"] = []string{v}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusNoContent:
			decoded, err := binding.DecodeHeaderValue(v)
			if err != nil {
				t.Fatalf("accepted %q that DecodeHeaderValue refuses: %v", v, err)
			}
			enc := string(binding.AppendHeaderValue(nil, decoded))
			if back, err := binding.DecodeHeaderValue(enc); err != nil || back != decoded {
				t.Fatalf("%q: re-encoded %q decodes to %q, %v", v, enc, back, err)
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("ce-subject %q answered %d: %s", v, w.Code, w.Body)
		}
	})
}
