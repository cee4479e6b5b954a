// Package testtls makes throw-away TLS material for tests: a self-signed
// certificate, or a small PKI of certificate authorities and the server
// and client certificates they sign. Every certificate is valid for an
// hour either side of now; server certificates name 127.0.0.1 and
// localhost.
package testtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"
)

// A Cert is a certificate and its private key.
type Cert struct {
	X509 *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// TLS returns c for a tls.Config.
func (c Cert) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.X509.Raw}, PrivateKey: c.Key, Leaf: c.X509}
}

// Pool returns a pool that trusts c.
func (c Cert) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(c.X509)
	return pool
}

// SelfSigned returns a certificate for 127.0.0.1 and localhost that is its
// own CA, and a pool that trusts it. It fails t on any error.
func SelfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	c := issue(t, "openevents test", true, nil, x509.ExtKeyUsageServerAuth)
	return c.TLS(), c.Pool()
}

// CA returns a self-signed certificate authority named name.
func CA(t testing.TB, name string) Cert {
	t.Helper()
	return issue(t, name, true, nil)
}

// Server returns a server certificate for 127.0.0.1 and localhost, signed
// by ca.
func Server(t testing.TB, ca Cert, name string) Cert {
	t.Helper()
	return issue(t, name, false, &ca, x509.ExtKeyUsageServerAuth)
}

// Client returns a client certificate signed by ca.
func Client(t testing.TB, ca Cert, name string) Cert {
	t.Helper()
	return issue(t, name, false, &ca, x509.ExtKeyUsageClientAuth)
}

// issue makes a certificate for the extended key usages (none for a plain
// CA), signed by parent, or by itself when parent is nil. It fails t on
// any error.
func issue(t testing.TB, name string, isCA bool, parent *Cert, usage ...x509.ExtKeyUsage) Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	tmpl.ExtKeyUsage = usage
	if slices.Contains(usage, x509.ExtKeyUsageServerAuth) {
		tmpl.IPAddresses, tmpl.DNSNames = []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.X509, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return Cert{X509: c, Key: key}
}
