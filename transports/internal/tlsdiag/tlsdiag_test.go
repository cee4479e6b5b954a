package tlsdiag

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/openevents/openevents/internal/testtls"
)

func TestHostPort(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":      "example.com:443",
		"example.com:8443": "example.com:8443",
		"[::1]":            "[::1]:443",
		"[::1]:1":          "[::1]:1",
	} {
		if got := HostPort(in, "443"); got != want {
			t.Errorf("HostPort(%q) = %q, want %q", in, got, want)
		}
	}
}

// A TLS 1.3 server that requires a client certificate refuses a client
// without one after the client's handshake is done; Explain's second
// handshake reads that alert and adds it to the error.
func TestExplainFindsTheAlert(t *testing.T) {
	cert, pool := testtls.SelfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert},
		MinVersion: tls.VersionTLS13, ClientAuth: tls.RequireAnyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				var b [1]byte
				_, _ = c.Read(b[:]) // runs the handshake, which fails
			}()
		}
	}()
	orig := errors.New("write: broken pipe")
	client := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS13}
	err = Explain(context.Background(), orig, ln.Addr().String(), client)
	if !errors.Is(err, orig) || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("Explain = %v; want the original error and the server's alert", err)
	}
	if strings.Contains(err.Error(), "probably not sent") {
		t.Errorf("a client without a certificate was told it was not sent: %v", err)
	}
	// With a certificate configured, the note about Go's choice follows.
	client.Certificates = []tls.Certificate{cert}
	client.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return new(tls.Certificate), nil }
	err = Explain(context.Background(), orig, ln.Addr().String(), client)
	if !strings.Contains(err.Error(), "probably not sent") {
		t.Errorf("Explain = %v; want the note that the certificate was probably not sent", err)
	}
}

func TestExplainLeavesOthersAlone(t *testing.T) {
	orig := errors.New("boom")
	if got := Explain(context.Background(), orig, "127.0.0.1:1", nil); got != orig { //nolint:errorlint // the very same error, not wrapped
		t.Errorf("without TLS: %v", got)
	}
	if got := Explain(context.Background(), nil, "127.0.0.1:1", &tls.Config{}); got != nil {
		t.Errorf("nil error: %v", got)
	}
	// Nothing listens: the probe fails without an alert and adds nothing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	if got := Explain(context.Background(), orig, addr, &tls.Config{MinVersion: tls.VersionTLS12}); got != orig { //nolint:errorlint // the very same error, not wrapped
		t.Errorf("unreachable: %v", got)
	}
}
