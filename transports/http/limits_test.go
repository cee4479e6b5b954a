package http_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	cehttp "github.com/openevents/openevents/transports/http"
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

// selfSigned returns a server config and a client pool for 127.0.0.1.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "openevents test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}

func TestTLS(t *testing.T) {
	cfg, pool := selfSigned(t)
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
