// Package tlsdiag explains failed TLS connections better than the error
// a client sees. The transports call it on a connection failure when they
// were given a TLS configuration, so a library user gets the same
// diagnosis as the ce command.
package tlsdiag

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// probeTimeout bounds the second handshake of [Explain].
const probeTimeout = 3 * time.Second

// Explain adds to err, a failed connection to addr (host:port) over TLS
// configured by tc, what the TLS layer knows about the failure:
//
//   - With TLS 1.3 a server checks the client's certificate only after the
//     client has finished its handshake, and its refusal (an alert such as
//     "certificate required") is lost when the client writes before it
//     reads: gRPC and MQTT clients then see only "broken pipe". When err
//     names no certificate problem, a second, bare handshake that reads
//     for a moment receives the alert.
//   - Go sends the client certificate of tc only when its issuer is one
//     of the CAs the server asks for, so a server answering "certificate
//     required" to a client with a certificate did not get it.
//
// A nil err or tc, or an empty addr, returns err.
func Explain(ctx context.Context, err error, addr string, tc *tls.Config) error {
	if err == nil || tc == nil || addr == "" {
		return err
	}
	if !strings.Contains(err.Error(), "certificate") {
		ctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		d := tls.Dialer{Config: tc}
		conn, perr := d.DialContext(ctx, "tcp", addr)
		if perr == nil {
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			var b [1]byte
			_, perr = conn.Read(b[:])
			_ = conn.Close()
		}
		var oe *net.OpError
		var ve *tls.CertificateVerificationError
		if errors.As(perr, &oe) && oe.Op == "remote error" || errors.As(perr, &ve) {
			err = fmt.Errorf("%w (a new TLS handshake with %s: %w)", err, addr, perr)
		}
	}
	if (len(tc.Certificates) > 0 || tc.GetClientCertificate != nil) && strings.Contains(err.Error(), "certificate required") {
		err = fmt.Errorf("%w; the client certificate was probably not sent: Go sends it only when its issuer is one of the CAs the server asks for", err)
	}
	return err
}

// HostPort returns host:port for a URL host that may lack its port, with
// port def then.
func HostPort(host, def string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), def)
}
