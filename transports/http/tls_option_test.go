package http_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/openevents/openevents/internal/testtls"
	cehttp "github.com/openevents/openevents/transports/http"
)

// TestWithTLSBothSides: one WithTLS serves HTTPS on both servers and makes
// the Sender's own client (no WithDoer) trust the server, redirects still
// unfollowed; with an http:// target, or beside WithDoer, it is an error
// rather than ignored.
func TestWithTLSBothSides(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	server := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	client := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var c collector
			url := "https://" + strings.TrimPrefix(srv.start(t, &c, cehttp.WithTLS(server)), "http://")
			s := newSender(t, url, cehttp.WithTLS(client))
			if _, err := s.Send(context.Background(), sample()); err != nil {
				t.Fatal(err)
			}
			if len(c.got()) != 1 {
				t.Errorf("received %d events over TLS, want 1", len(c.got()))
			}
			// Without the client configuration the self-signed server is
			// not trusted: the option is what made the first send work.
			plain := newSender(t, url, cehttp.WithRetry(1, 0))
			if _, err := plain.Send(context.Background(), sample()); err == nil {
				t.Error("a sender without WithTLS trusted the self-signed server")
			}
		})
	}
	if _, err := cehttp.NewSender("http://127.0.0.1:1/", cehttp.WithTLS(client)); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("WithTLS with an http:// target: %v, want an error naming plain http", err)
	}
	if _, err := cehttp.NewSender("https://127.0.0.1:1/", cehttp.WithTLS(client), cehttp.WithDoer(client2())); err == nil || !strings.Contains(err.Error(), "WithDoer") {
		t.Errorf("WithTLS beside WithDoer: %v, want an error naming both", err)
	}
}

func client2() *http.Client { return &http.Client{} }
