package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// tlsFlags are the TLS flags of ce send and ce listen. The same names mean
// the same thing everywhere: --tls, --tls-ca and --tls-server-name belong
// to the side that connects, --tls-client-ca to the side that serves, and
// --tls-cert/--tls-key are this side's own certificate (the client's on
// send and on listen --mqtt, the server's on listen --http and --grpc).
// Which flags a binding accepts is checked when the configuration is
// built, so a flag that would be ignored is a usage error instead.
type tlsFlags struct {
	enable     bool   // --tls
	ca         string // --tls-ca
	cert       string // --tls-cert
	key        string // --tls-key
	serverName string // --tls-server-name
	clientCA   string // --tls-client-ca (listen only)
}

// addClientFlags registers the flags of a TLS client (ce send).
func (t *tlsFlags) addClientFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&t.enable, "tls", false, "use TLS with the system's trusted roots (implied by https://, ssl://, tls:// and mqtts:// URLs; a --grpc address has no scheme, so say it there)")
	f.StringVar(&t.ca, "tls-ca", "", "trust the PEM CA certificates in `FILE` instead of the system roots (implies --tls)")
	f.StringVar(&t.cert, "tls-cert", "", "present the PEM client certificate in `FILE` for mutual TLS (with --tls-key)")
	f.StringVar(&t.key, "tls-key", "", "PEM private key of --tls-cert, in `FILE`")
	f.StringVar(&t.serverName, "tls-server-name", "", "verify the server's certificate for `NAME` (and send it as SNI) instead of the URL's host")
}

// addListenFlags registers the flags of ce listen, which serves over HTTP
// and gRPC but is a client of the broker over MQTT.
func (t *tlsFlags) addListenFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&t.cert, "tls-cert", "", "PEM certificate in `FILE`: with --http/--grpc the server's (serve TLS), with --mqtt the client's (mutual TLS); needs --tls-key")
	f.StringVar(&t.key, "tls-key", "", "PEM private key of --tls-cert, in `FILE`")
	f.StringVar(&t.clientCA, "tls-client-ca", "", "--http/--grpc: require client certificates signed by a PEM CA in `FILE` (mutual TLS)")
	f.BoolVar(&t.enable, "tls", false, "--mqtt: use TLS with the system's trusted roots (implied by an ssl://, tls:// or mqtts:// URL)")
	f.StringVar(&t.ca, "tls-ca", "", "--mqtt: trust the PEM CA certificates in `FILE` instead of the system roots (implies --tls)")
	f.StringVar(&t.serverName, "tls-server-name", "", "--mqtt: verify the broker's certificate for `NAME` instead of the URL's host")
}

// clientFlag returns the first client-side TLS flag given, or "" when
// there is none.
func (t *tlsFlags) clientFlag() string {
	if f := t.clientOnlyFlag(); f != "" {
		return f
	}
	switch {
	case t.cert != "":
		return "--tls-cert"
	case t.key != "":
		return "--tls-key"
	}
	return ""
}

// clientOnlyFlag returns the first TLS flag that only a connecting side
// has (ce listen --http and --grpc refuse them), or "".
func (t *tlsFlags) clientOnlyFlag() string {
	switch {
	case t.enable:
		return "--tls"
	case t.ca != "":
		return "--tls-ca"
	case t.serverName != "":
		return "--tls-server-name"
	}
	return ""
}

// httpClient returns the TLS configuration for sending to target: one for
// an https URL, nil for an http URL, which must then come without TLS
// flags. Other URLs are left to the HTTP sender to refuse.
func (t *tlsFlags) httpClient(target string) (*tls.Config, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, nil // the sender reports the bad URL
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return t.client()
	case "http":
		if f := t.clientFlag(); f != "" {
			return nil, fmt.Errorf("%s conflicts with the plain-HTTP URL %s: use an https:// URL for TLS", f, target)
		}
	}
	return nil, nil
}

// grpcClient returns the TLS configuration of a gRPC client, or nil for
// plaintext: a gRPC address has no scheme, so any TLS flag turns TLS on.
func (t *tlsFlags) grpcClient() (*tls.Config, error) {
	if t.clientFlag() == "" {
		return nil, nil
	}
	return t.client()
}

// mqttClient returns the TLS configuration of an MQTT client connecting to
// broker: one for an ssl://, tls:// or mqtts:// URL, nil for tcp:// and
// mqtt://, which must then come without TLS flags. Other URLs are left to
// the MQTT binding to refuse.
func (t *tlsFlags) mqttClient(broker string) (*tls.Config, error) {
	if t.clientCA != "" {
		return nil, errors.New("--tls-client-ca is for --http and --grpc: with --mqtt ce listen is a client of the broker, which checks client certificates itself (use --tls-ca to trust the broker's CA)")
	}
	u, err := url.Parse(broker)
	if err != nil {
		return nil, nil // the MQTT binding reports the bad URL
	}
	switch strings.ToLower(u.Scheme) {
	case "ssl", "tls", "mqtts":
		return t.client()
	case "tcp", "mqtt":
		if f := t.clientFlag(); f != "" {
			return nil, fmt.Errorf("%s conflicts with the plaintext broker URL %s: use an ssl://, tls:// or mqtts:// URL for TLS", f, broker)
		}
	}
	return nil, nil
}

// client builds the configuration of a TLS client from the flags.
func (t *tlsFlags) client() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.serverName}
	if t.ca != "" {
		pool, err := loadCertPool("--tls-ca", t.ca)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	cert, err := t.keyPair()
	if err != nil {
		return nil, err
	}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	return c, nil
}

// server returns the TLS configuration of ce listen --http or --grpc (what
// names the binding in errors), or nil to serve plaintext.
func (t *tlsFlags) server(what string) (*tls.Config, error) {
	if f := t.clientOnlyFlag(); f != "" {
		return nil, fmt.Errorf("%s is for --mqtt, where ce listen connects to a broker; to serve %s over TLS give --tls-cert and --tls-key (and --tls-client-ca to require client certificates)", f, what)
	}
	cert, err := t.keyPair()
	if err != nil {
		return nil, err
	}
	if cert == nil {
		if t.clientCA != "" {
			return nil, errors.New("--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked only over TLS")
		}
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*cert}}
	if t.clientCA != "" {
		pool, err := loadCertPool("--tls-client-ca", t.clientCA)
		if err != nil {
			return nil, err
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// clientCertNote is what ce listen adds to the name of a binding served
// with tc: whether clients must present certificates.
func clientCertNote(tc *tls.Config) string {
	if tc.ClientAuth == tls.RequireAndVerifyClientCert {
		return " (client certificates required)"
	}
	return ""
}

// keyPair loads --tls-cert and --tls-key, which come together; it returns
// nil when neither is given.
func (t *tlsFlags) keyPair() (*tls.Certificate, error) {
	switch {
	case t.cert == "" && t.key == "":
		return nil, nil
	case t.key == "":
		return nil, errors.New("--tls-cert needs --tls-key, the certificate's private key")
	case t.cert == "":
		return nil, errors.New("--tls-key needs --tls-cert, the certificate it belongs to")
	}
	certPEM, blocks, err := readPEM("--tls-cert", t.cert)
	if err != nil {
		return nil, err
	}
	if _, err := parseCertificates("--tls-cert", t.cert, blocks); err != nil {
		return nil, err
	}
	keyPEM, blocks, err := readPEM("--tls-key", t.key)
	if err != nil {
		return nil, err
	}
	hasKey := false
	for _, b := range blocks {
		hasKey = hasKey || strings.HasSuffix(b.Type, "PRIVATE KEY")
	}
	if !hasKey {
		return nil, fmt.Errorf("--tls-key %s: no PRIVATE KEY block (found %s)", t.key, blockTypes(blocks))
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s with --tls-key %s: %w", t.cert, t.key, err)
	}
	return &cert, nil
}

// loadCertPool reads the CA certificates in the PEM file path, given with
// flag.
func loadCertPool(flag, path string) (*x509.CertPool, error) {
	_, blocks, err := readPEM(flag, path)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertificates(flag, path, blocks)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// readPEM reads the file path, given with flag, and returns its bytes and
// PEM blocks; a file without any PEM block is an error.
func readPEM(flag, path string) ([]byte, []*pem.Block, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", flag, err)
	}
	var blocks []*pem.Block
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		blocks = append(blocks, blk)
	}
	if len(blocks) == 0 {
		return nil, nil, fmt.Errorf("%s %s: not a PEM file (no -----BEGIN ...----- block; DER files need converting, e.g. with openssl x509 -inform der)", flag, path)
	}
	return b, blocks, nil
}

// parseCertificates parses the CERTIFICATE blocks of a PEM file; there
// must be at least one, and each must parse.
func parseCertificates(flag, path string, blocks []*pem.Block) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, b := range blocks {
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s %s: certificate %d: %w", flag, path, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s %s: no CERTIFICATE block (found %s)", flag, path, blockTypes(blocks))
	}
	return certs, nil
}

// blockTypes lists the types of PEM blocks, for errors.
func blockTypes(blocks []*pem.Block) string {
	types := make([]string, len(blocks))
	for i, b := range blocks {
		types[i] = b.Type
	}
	return strings.Join(types, ", ")
}
