package http_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	cehttp "github.com/openevents/openevents/transports/http"
	"github.com/openevents/openevents/transports/internal/testtls"
)

func TestHeaderLimit(t *testing.T) {
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			url := srv.start(t, &collector{}, cehttp.WithMaxHeaderBytes(4096))
			code, _, _ := post(t, http.MethodPost, url, binaryHeaders("ce-big", strings.Repeat("x", 8192)), "")
			if code != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("status %d, want 431", code)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			var c collector
			url := "https://" + strings.TrimPrefix(srv.start(t, &c, cehttp.WithTLSConfig(cfg)), "http://")
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
			t.Cleanup(tr.CloseIdleConnections)
			s := newSender(t, url, cehttp.WithDoer(&http.Client{Transport: tr}))
			if _, err := s.Send(context.Background(), sample()); err != nil {
				t.Fatal(err)
			}
			if len(c.got()) != 1 {
				t.Errorf("received %d events over TLS", len(c.got()))
			}
		})
	}
}
