package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openevents/openevents/internal/testtls"
	"github.com/openevents/openevents/transports/mqtt/broker"
)

// testPKI is throw-away TLS material (package testtls) written as PEM
// files to a test's temporary directory: a CA, a server certificate it
// signed for 127.0.0.1 and localhost, a client certificate it signed, and
// a client certificate signed by another CA that nobody trusts.
type testPKI struct {
	ca                    string // PEM file of the CA certificate
	serverCert, serverKey string
	clientCert, clientKey string
	rogueCert, rogueKey   string // a client certificate from an untrusted CA
	server                tls.Certificate
	pool                  *x509.CertPool // trusts the CA
	dir                   string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	ca, other := testtls.CA(t, "openevents test CA"), testtls.CA(t, "untrusted test CA")
	srv := testtls.Server(t, ca, "openevents test server")
	cl := testtls.Client(t, ca, "openevents test client")
	rogue := testtls.Client(t, other, "rogue client")
	p.ca = p.writeCert(t, "ca.pem", ca)
	p.serverCert, p.serverKey = p.writeCert(t, "server.pem", srv), p.writeKey(t, "server-key.pem", srv)
	p.clientCert, p.clientKey = p.writeCert(t, "client.pem", cl), p.writeKey(t, "client-key.pem", cl)
	p.rogueCert, p.rogueKey = p.writeCert(t, "rogue.pem", rogue), p.writeKey(t, "rogue-key.pem", rogue)
	p.server, p.pool = srv.TLS(), ca.Pool()
	return p
}

func (p *testPKI) writeCert(t *testing.T, name string, c testtls.Cert) string {
	t.Helper()
	return p.writeFile(t, name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.X509.Raw}))
}

func (p *testPKI) writeKey(t *testing.T, name string, c testtls.Cert) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return p.writeFile(t, name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func (p *testPKI) writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startListenTLS runs ce listen with args in the background, waits for it
// to report the address it serves, and returns that address and a
// function that waits for ce listen to exit.
func startListenTLS(t *testing.T, args ...string) (addr string, wait func() (int, string, string)) {
	t.Helper()
	out, errOut := newMQTTSyncBuffer(), newMQTTSyncBuffer()
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"listen"}, args...), strings.NewReader(""), out, errOut)
	}()
	deadline := time.After(10 * time.Second)
	for {
		s := errOut.String()
		if i := strings.Index(s, "listening for "); i >= 0 && strings.Contains(s[i:], "\n") {
			line := s[i : i+strings.Index(s[i:], "\n")]
			addr = line[strings.LastIndex(line, " on ")+len(" on "):]
			break
		}
		select {
		case <-errOut.written:
		case code := <-done:
			t.Fatalf("ce listen %v exited %d: %s", args, code, errOut.String())
		case <-deadline:
			t.Fatalf("ce listen %v did not start: %s", args, errOut.String())
		}
	}
	return addr, func() (int, string, string) {
		select {
		case code := <-done:
			return code, out.String(), errOut.String()
		case <-time.After(15 * time.Second):
			t.Fatalf("ce listen did not finish; stdout %q stderr %q", out.String(), errOut.String())
			return 0, "", ""
		}
	}
}

// eventIDs returns the ids of the JSON lines ce listen printed.
func eventIDs(t *testing.T, stdout string) []string {
	t.Helper()
	var ids []string
	for line := range strings.Lines(stdout) {
		var e struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("ce listen printed %q: %v", line, err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// tlsSendCase is one ce send against a TLS listener: extra flags, and
// whether the send must succeed.
type tlsSendCase struct {
	name string
	args []string
	ok   bool
	id   string // the event id of a successful send
	want string // what the error of a failed send must say besides "certificate"
}

// TestTLSSendListen runs ce listen --http and --grpc with TLS (and with
// mutual TLS) and ce send against it: trusted sends arrive, others fail
// with exit status 1 and an error about the certificate.
func TestTLSSendListen(t *testing.T) {
	pki := newTestPKI(t)
	serve := []string{"--tls-cert", pki.serverCert, "--tls-key", pki.serverKey}
	bindings := []struct {
		name    string
		target  func(addr string) []string
		success string
		banner  string
	}{
		{"http", func(a string) []string { return []string{"--http", "https://" + a + "/"} }, "HTTP 204 No Content\n", "listening for HTTPS"},
		{"grpc", func(a string) []string { return []string{"--grpc", a} }, "gRPC OK\n", "listening for gRPC over TLS"},
	}
	for _, b := range bindings {
		t.Run(b.name+"/server-tls", func(t *testing.T) {
			runTLSCases(t, b.target, b.success, b.banner, append([]string{"--" + b.name, "127.0.0.1:0"}, serve...), []tlsSendCase{
				{name: "system roots", args: []string{"--tls"}, want: "unknown authority"},
				{name: "wrong server name", args: []string{"--tls-ca", pki.ca, "--tls-server-name", "wrong.example"}, want: "wrong.example"},
				{name: "trusted CA", args: []string{"--tls-ca", pki.ca}, ok: true, id: "e-ca"},
				{name: "trusted CA, server name", args: []string{"--tls-ca", pki.ca, "--tls-server-name", "localhost"}, ok: true, id: "e-name"},
			})
		})
		t.Run(b.name+"/mutual-tls", func(t *testing.T) {
			runTLSCases(t, b.target, b.success, b.banner+" (client certificates required)",
				append([]string{"--" + b.name, "127.0.0.1:0", "--tls-client-ca", pki.ca}, serve...), []tlsSendCase{
					{name: "no client certificate", args: []string{"--tls-ca", pki.ca}, want: "certificate required"},
					{name: "untrusted client certificate", args: []string{"--tls-ca", pki.ca, "--tls-cert", pki.rogueCert, "--tls-key", pki.rogueKey}, want: "was probably not sent"},
					{name: "client certificate", args: []string{"--tls-ca", pki.ca, "--tls-cert", pki.clientCert, "--tls-key", pki.clientKey}, ok: true, id: "e-mtls"},
				})
		})
	}
}

// runTLSCases starts ce listen with listenArgs, runs the sends in order
// and checks that exactly the successful ones arrived.
func runTLSCases(t *testing.T, target func(string) []string, success, banner string, listenArgs []string, cases []tlsSendCase) {
	t.Helper()
	var want []string
	for _, c := range cases {
		if c.ok {
			want = append(want, c.id)
		}
	}
	addr, wait := startListenTLS(t, append(listenArgs, "--count", strconv.Itoa(len(want)))...)
	for _, c := range cases {
		id := c.id
		if id == "" {
			id = "refused"
		}
		args := append(append([]string{"send"}, target(addr)...), "--id", id, "--type", "com.example.tls", "--source", "/cli", "--timeout", "5s")
		code, stdout, stderr := runCE(t, append(args, c.args...)...)
		if !c.ok {
			t.Logf("%s: %s", c.name, strings.TrimSpace(stderr))
		}
		switch {
		case c.ok && (code != exitOK || stdout != success):
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", c.name, code, stdout, stderr, exitOK, success)
		case !c.ok && code != exitFailure:
			t.Errorf("%s: exit %d, stderr %q; want %d", c.name, code, stderr, exitFailure)
		case !c.ok && (!strings.Contains(stderr, "certificate") || !strings.Contains(stderr, c.want)):
			t.Errorf("%s: stderr %q does not say what was wrong with the certificate (%q)", c.name, stderr, c.want)
		}
	}
	code, stdout, stderr := wait()
	if code != exitOK {
		t.Fatalf("ce listen: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, banner+" on ") {
		t.Errorf("ce listen stderr %q does not announce %q", stderr, banner)
	}
	if got := eventIDs(t, stdout); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("ce listen received %v, want %v", got, want)
	}
}

// TestTLSMQTT runs ce listen and ce send through the embedded broker
// listening with TLS, and with TLS requiring client certificates: both
// commands are MQTT clients, so both take the client flags.
func TestTLSMQTT(t *testing.T) {
	pki := newTestPKI(t)
	for _, tc := range []struct {
		name   string
		mutual bool
		client []string      // flags of both clients beyond --tls-ca
		fail   []tlsSendCase // sends that must fail
	}{
		{
			name: "server-tls",
			fail: []tlsSendCase{
				{args: []string{"--tls"}, want: "unknown authority"},
				{args: []string{"--tls-ca", pki.ca, "--tls-server-name", "wrong.example"}, want: "wrong.example"},
			},
		},
		{
			name:   "mutual-tls",
			mutual: true,
			client: []string{"--tls-cert", pki.clientCert, "--tls-key", pki.clientKey},
			fail: []tlsSendCase{
				{args: []string{"--tls-ca", pki.ca}, want: "certificate required"},
				{args: []string{"--tls-ca", pki.ca, "--tls-cert", pki.rogueCert, "--tls-key", pki.rogueKey}, want: "was probably not sent"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.server}}
			if tc.mutual {
				cfg.ClientCAs, cfg.ClientAuth = pki.pool, tls.RequireAndVerifyClientCert
			}
			b, err := broker.New("127.0.0.1:0", broker.WithTLS(cfg))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = b.Close() })
			topic := "openevents/cli/tls/" + tc.name + "/" + newUUID()
			trusted := append([]string{"--tls-ca", pki.ca}, tc.client...)
			wait, _ := listenMQTTInBackground(t, append([]string{"--mqtt", "mqtts://" + b.Addr(), "--topic", topic, "--count", "1"}, trusted...)...)
			send := func(extra []string) (int, string, string) {
				return runCE(t, append([]string{"send", "--mqtt", "ssl://" + b.Addr(), "--topic", topic,
					"--id", "m-" + tc.name, "--type", "com.example.tls", "--source", "/cli", "--timeout", "5s"}, extra...)...)
			}
			for _, f := range tc.fail {
				code, _, stderr := send(f.args)
				t.Logf("send %v: %s", f.args, strings.TrimSpace(stderr))
				if code != exitFailure || !strings.Contains(stderr, "certificate") || !strings.Contains(stderr, f.want) {
					t.Errorf("send %v: exit %d, stderr %q; want %d and an error about the certificate (%q)", f.args, code, stderr, exitFailure, f.want)
				}
			}
			if code, stdout, stderr := send(trusted); code != exitOK {
				t.Fatalf("send %v: exit %d, stdout %q, stderr %q", trusted, code, stdout, stderr)
			}
			code, stdout, stderr := wait()
			if code != exitOK {
				t.Fatalf("ce listen: exit %d, stderr %q", code, stderr)
			}
			if got := eventIDs(t, stdout); len(got) != 1 || got[0] != "m-"+tc.name {
				t.Errorf("ce listen received %v, want [m-%s]", got, tc.name)
			}
		})
	}
}

// TestTLSMQTT311 runs the MQTT 3.1.1 clients, a different client library
// from 5.0's, through the broker over TLS.
func TestTLSMQTT311(t *testing.T) {
	pki := newTestPKI(t)
	b, err := broker.New("127.0.0.1:0", broker.WithTLS(&tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pki.server}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	topic := "openevents/cli/tls/v311/" + newUUID()
	common := []string{"--mqtt", "tls://" + b.Addr(), "--topic", topic, "--mqtt-version", "3"}
	wait, _ := listenMQTTInBackground(t, append(common, "--count", "1", "--tls-ca", pki.ca)...)
	send := append([]string{"send"}, append(common, "--id", "m-311", "--type", "com.example.tls", "--source", "/cli", "--timeout", "5s")...)
	if code, _, stderr := runCE(t, append(send, "--tls")...); code != exitFailure || !strings.Contains(stderr, "unknown authority") {
		t.Errorf("send trusting the system roots: exit %d, stderr %q; want %d and unknown authority", code, stderr, exitFailure)
	}
	if code, stdout, stderr := runCE(t, append(send, "--tls-ca", pki.ca)...); code != exitOK {
		t.Fatalf("send: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr := wait()
	if code != exitOK {
		t.Fatalf("ce listen: exit %d, stderr %q", code, stderr)
	}
	if got := eventIDs(t, stdout); len(got) != 1 || got[0] != "m-311" {
		t.Errorf("ce listen received %v, want [m-311]", got)
	}
}

// TestTLSUsageErrors checks that TLS flags that are missing a partner,
// name unusable files, or do not fit the binding or the URL are usage
// errors that say which flag and file and what is wrong, before anything
// is sent or served.
func TestTLSUsageErrors(t *testing.T) {
	pki := newTestPKI(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	badCert := filepath.Join(dir, "bad-cert.pem")
	for path, b := range map[string][]byte{
		notPEM:  []byte("just some text\n"),
		badCert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")}),
	} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing.pem")
	grpc := []string{"send", "--grpc", "127.0.0.1:1", "--type", "t", "--source", "/s"}
	mqtt := []string{"listen", "--mqtt", "ssl://127.0.0.1:1", "--topic", "t"}
	for _, tc := range []struct {
		name string
		args []string
		want []string // all must appear in stderr
	}{
		{"send http URL with --tls", []string{"send", "--http", "http://127.0.0.1:1/", "--tls"}, []string{"--tls conflicts with the plain-HTTP URL http://127.0.0.1:1/", "https://"}},
		{"send http URL with --tls-ca", []string{"send", "--http", "http://127.0.0.1:1/", "--tls-ca", pki.ca}, []string{"--tls-ca conflicts"}},
		{"send tcp broker with --tls", []string{"send", "--mqtt", "tcp://127.0.0.1:1", "--topic", "t", "--tls"}, []string{"--tls conflicts with the plaintext broker URL tcp://127.0.0.1:1", "ssl://"}},
		{"listen tcp broker with client cert", []string{"listen", "--mqtt", "mqtt://127.0.0.1:1", "--topic", "t", "--tls-cert", pki.clientCert, "--tls-key", pki.clientKey}, []string{"--tls-cert conflicts"}},
		{"cert without key", append(grpc, "--tls-cert", pki.clientCert), []string{"--tls-cert needs --tls-key"}},
		{"key without cert", append(grpc, "--tls-key", pki.clientKey), []string{"--tls-key needs --tls-cert"}},
		{"missing CA file", append(grpc, "--tls-ca", missing), []string{"--tls-ca", missing, "no such file"}},
		{"CA not PEM", append(grpc, "--tls-ca", notPEM), []string{"--tls-ca " + notPEM + ": not a PEM file"}},
		{"CA is a key", append(grpc, "--tls-ca", pki.clientKey), []string{"--tls-ca " + pki.clientKey + ": no CERTIFICATE block (found PRIVATE KEY)"}},
		{"CA does not parse", append(grpc, "--tls-ca", badCert), []string{"--tls-ca " + badCert + ": certificate 1:"}},
		{"missing cert file", append(grpc, "--tls-cert", missing, "--tls-key", pki.clientKey), []string{"--tls-cert", missing, "no such file"}},
		{"key is a certificate", append(grpc, "--tls-cert", pki.clientCert, "--tls-key", pki.clientCert), []string{"--tls-key " + pki.clientCert + ": no PRIVATE KEY block (found CERTIFICATE)"}},
		{"key not PEM", append(grpc, "--tls-cert", pki.clientCert, "--tls-key", notPEM), []string{"--tls-key " + notPEM + ": not a PEM file"}},
		{"key of another certificate", append(grpc, "--tls-cert", pki.clientCert, "--tls-key", pki.serverKey), []string{"--tls-cert " + pki.clientCert + " with --tls-key " + pki.serverKey, "does not match"}},
		{"listen http with --tls-ca", []string{"listen", "--http", "127.0.0.1:0", "--tls-ca", pki.ca}, []string{"--tls-ca is for --mqtt", "--tls-cert and --tls-key"}},
		{"listen grpc with --tls", []string{"listen", "--grpc", "127.0.0.1:0", "--tls"}, []string{"--tls is for --mqtt", "serve gRPC over TLS"}},
		{"listen http with --tls-server-name", []string{"listen", "--http", "127.0.0.1:0", "--tls-server-name", "x"}, []string{"--tls-server-name is for --mqtt"}},
		{"listen client CA without cert", []string{"listen", "--http", "127.0.0.1:0", "--tls-client-ca", pki.ca}, []string{"--tls-client-ca needs --tls-cert and --tls-key"}},
		{"listen cert without key", []string{"listen", "--grpc", "127.0.0.1:0", "--tls-cert", pki.serverCert}, []string{"--tls-cert needs --tls-key"}},
		{"listen client CA not PEM", []string{"listen", "--grpc", "127.0.0.1:0", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--tls-client-ca", notPEM}, []string{"--tls-client-ca " + notPEM + ": not a PEM file"}},
		{"listen mqtt with client CA", append(mqtt, "--tls-client-ca", pki.ca), []string{"--tls-client-ca is for --http and --grpc"}},
		{"listen mqtt CA not PEM", append(mqtt, "--tls-ca", notPEM), []string{"--tls-ca " + notPEM + ": not a PEM file"}},
		{"send has no --tls-client-ca", append(grpc, "--tls-client-ca", pki.ca), []string{"unknown flag: --tls-client-ca"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCE(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d", code, stdout, stderr, exitUsage)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
		})
	}
}

// TestTLSConfig checks the configurations the flags build: TLS 1.2 at
// least everywhere, the roots, the client certificate, the server name,
// and client verification only with --tls-client-ca.
func TestTLSConfig(t *testing.T) {
	pki := newTestPKI(t)
	t.Run("client", func(t *testing.T) {
		f := tlsFlags{ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: "events.example"}
		for name, get := range map[string]func() (*tls.Config, error){
			"http":  func() (*tls.Config, error) { return f.httpClient("https://127.0.0.1:1/") },
			"grpc":  f.grpcClient,
			"mqtt":  func() (*tls.Config, error) { return f.mqttClient("mqtts://127.0.0.1:1") },
			"mqtt2": func() (*tls.Config, error) { return f.mqttClient("TLS://127.0.0.1:1") },
		} {
			c, err := get()
			if err != nil || c == nil {
				t.Fatalf("%s: %v, %v", name, c, err)
			}
			if c.MinVersion != tls.VersionTLS12 || c.RootCAs == nil || len(c.Certificates) != 1 || c.ServerName != "events.example" || c.InsecureSkipVerify {
				t.Errorf("%s: MinVersion %x, RootCAs %v, %d certificates, ServerName %q", name, c.MinVersion, c.RootCAs, len(c.Certificates), c.ServerName)
			}
		}
	})
	t.Run("system roots", func(t *testing.T) {
		var f tlsFlags
		for name, get := range map[string]func() (*tls.Config, error){
			"https": func() (*tls.Config, error) { return f.httpClient("https://127.0.0.1:1/") },
			"ssl":   func() (*tls.Config, error) { return f.mqttClient("ssl://127.0.0.1:1") },
			"--tls": func() (*tls.Config, error) {
				g := tlsFlags{enable: true}
				return g.grpcClient()
			},
		} {
			c, err := get()
			if err != nil || c == nil || c.RootCAs != nil || c.MinVersion != tls.VersionTLS12 || len(c.Certificates) != 0 {
				t.Errorf("%s: %+v, %v; want system roots, TLS 1.2, no certificate", name, c, err)
			}
		}
	})
	t.Run("plaintext", func(t *testing.T) {
		var f tlsFlags
		for name, get := range map[string]func() (*tls.Config, error){
			"http":   func() (*tls.Config, error) { return f.httpClient("http://127.0.0.1:1/") },
			"grpc":   f.grpcClient,
			"tcp":    func() (*tls.Config, error) { return f.mqttClient("tcp://127.0.0.1:1") },
			"server": func() (*tls.Config, error) { return f.server("HTTP") },
		} {
			if c, err := get(); c != nil || err != nil {
				t.Errorf("%s: %v, %v; want plaintext", name, c, err)
			}
		}
	})
	t.Run("server", func(t *testing.T) {
		f := tlsFlags{cert: pki.serverCert, key: pki.serverKey}
		c, err := f.server("HTTP")
		if err != nil || c.MinVersion != tls.VersionTLS12 || len(c.Certificates) != 1 || c.ClientAuth != tls.NoClientCert {
			t.Fatalf("%+v, %v", c, err)
		}
		f.clientCA = pki.ca
		c, err = f.server("HTTP")
		if err != nil || c.ClientAuth != tls.RequireAndVerifyClientCert || c.ClientCAs == nil {
			t.Fatalf("with --tls-client-ca: %+v, %v", c, err)
		}
	})
}
