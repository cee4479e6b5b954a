package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/openevents/openevents/conformance"
	"github.com/openevents/openevents/spec"
)

const conformanceLong = `Conformance tests a CloudEvents provider over the wire against the
requirements of the specification, one requirement at a time.`

const conformanceRunLong = `Run tests a CloudEvents HTTP provider over the wire, case by case, and
reports a verdict for each requirement of the catalog (spec/) it checks:
PASS, FAIL or NOT-TESTED, with the requirement's level (MUST, SHOULD, MAY).

With --http URL it tests the provider at URL, with --sender-command CMD a
sender, with --mqtt URL --topic T [--reply-topic R] an MQTT relay, and
with --grpc HOST:PORT a gRPC provider (any of them together); with none,
it starts the embedded reference provider and tests that, claiming every
extension: ce run's echo function on HTTP, gRPC and MQTT (an embedded
broker of its own), all on 127.0.0.1 and free ports, with OpenEvents'
HTTP sender. Its MQTT side plays the echo, or the relay (the broker
itself) with --role relay.

--role LIST runs only the cases of those roles (receiver, echo, sender,
relay; comma-separated; the default is every role the targets play). With
--mqtt it also says which one role the MQTT provider plays: echo, relay
(the default) or sender (with --sender-command).

Profile: what the provider is held to. --spec 1.0.2 (the default: the
released text) or --spec main (the main branch, 1.0.3-wip); a rule that is
not part of the chosen text is NOT-TESTED. --extensions LIST names the
documented extensions the provider claims to understand (disttrace,
partitioning, sequence, dataref, expirytime, recordedtime; "all"; default
none): the value rules of an extension not claimed are NOT-TESTED, so a
provider is failed neither for checking an extension nor for ignoring it.
--accept v0.3 claims that the provider takes specversion 0.3 input, which
runs the 0.3 rules.

Cases play two roles. "receiver" cases send valid events in binary,
structured and batched mode (expecting 2xx) and malformed or invalid ones
(expecting 400, or 415 for an unknown event format). "echo" cases expect the
provider to answer each event with a reply event equal to it, as
"ce listen --http ADDR --reply" does, and compare the reply with what was
sent. A provider that does not reply (checked once, with one plain event)
gets its echo cases NOT-TESTED, with a note saying so. "sender" cases run
--sender-command once per content mode with CE_CONFORMANCE_TARGET (a URL on
the suite's own receiver, --sender-listen), CE_CONFORMANCE_EVENTS (a file of
events in the JSON format) and CE_CONFORMANCE_MODE (binary or structured);
it must send every event, one request each, and exit 0. Each message is
checked against the producer rules (header encoding, Content-Type, data)
and as a web-hook delivery: a sender that runs the abuse-protection
handshake (OPTIONS, which the suite grants) or sends the access token in
CE_CONFORMANCE_TOKEN is held to the web-hook rules for them.
"relay" cases publish events on --topic (MQTT 5.0 binary and structured,
3.1.1 structured) and read what comes out on --reply-topic: a broker relays
a topic to its own subscribers, a bridge or function forwards to another.
With --sender-command CMD and --mqtt URL --topic T the sender is tested
over MQTT: the suite subscribes to T and runs CMD once per MQTT version and
content mode with CE_CONFORMANCE_TARGET (the broker's URL),
CE_CONFORMANCE_TOPIC, CE_CONFORMANCE_MQTT_VERSION (5.0 or 3.1.1) and the
two variables above; each message is checked against the MQTT producer
rules (user property names and values, Content Type, payload).
With --sender-command CMD --sender-binding grpc the sender is tested over
gRPC: the suite hosts openevents.v1.EventService and the de-facto
io.cloudevents.v1.CloudEventService on --sender-listen and runs CMD once
with CE_CONFORMANCE_TARGET (host:port), CE_CONFORMANCE_BINDING=grpc and
the events file; each event that arrives, by Publish or in a Stream
batch, is checked against the protobuf format's producer rules (fields,
value members, data fields) and, through EventService, the ce- metadata
rule of OpenEvents' gRPC binding.
--mqtt-version 5.0 or 3.1.1 says the provider speaks only that version:
the cases of the other are NOT-TESTED, and a sender is not asked for it.

gRPC (--grpc HOST:PORT): the provider offers openevents.v1.EventService or
the de-facto io.cloudevents.v1.CloudEventService; --grpc-service auto (the
default: EventService when offered, else CloudEventService), openevents or
cloudevents chooses, found by calling each service's Publish with an empty
request (UNIMPLEMENTED: not offered). Receiver cases publish events byte for
byte and read the status; relay cases read what the provider passes on from
one Subscribe call, so they need a provider that delivers every accepted
event to its Subscribe streams (NOT-TESTED otherwise, with the reason). The
status-code and Stream rules are OpenEvents' own gRPC binding
(spec/grpc-binding.md) and bind only an EventService provider; through
CloudEventService they are NOT-TESTED. Any --tls flag turns TLS on for
--grpc (the address has no scheme).

HTTP relay (--http URL --relay-sink HOST:PORT): the provider at URL passes
events on over HTTP (a broker, a channel, "ce run" with the forward
built-in) to the suite's own receiver on HOST:PORT, where it must be
configured to forward before the run. Relay cases send events in and check
that what comes out has every attribute, extension and the data, and is
written by the rules of the content mode the relay chose; the receiver
cases run against URL as well.

Selecting cases (Ginkgo's filters): each case is labelled with its level
class (MUST, SHOULD, MAY), binding (http), mode (binary, structured, batch,
webhook), role (receiver, echo) and requirement IDs, and its name starts
with its IDs, so
  --label-filter 'MUST && binary'    only the binary-mode MUST cases
  --focus 'HTTP-HEADER-VALUE'        cases whose name matches the regexp
  --skip 'batch'                     all but those
(--focus and --skip may be repeated). A selection that leaves no case is a
usage error.

Reaching a deployed provider: --header 'Name: value' adds a header to every
request (repeatable; e.g. an Authorization token); an https:// URL uses
TLS, --tls-ca trusts a private CA, --tls-cert and --tls-key present a client
certificate; --request-timeout bounds each exchange, --timeout the whole
run, and --concurrency sets how many cases run at once.

Reports: a per-requirement summary on standard output always; --json FILE
(described by schemas/conformance-report.schema.json), --html FILE (a
self-contained page) and --junit FILE (JUnit XML for CI systems: one test
per requirement check). Report files are created before the run, so a path
that cannot be written fails at once.

Verdict: only MUST failures fail the run. A SHOULD or MAY violation is a
finding: FAIL in the summary and reports, but a passing test in the JUnit
file, and the exit status stays 0.

Exit status: 0 when no MUST requirement failed, 1 when one did (or the
provider could not be reached, or a report could not be written), 2 for a
usage error.`

// conformanceOptions are the flags of ce conformance run.
type conformanceOptions struct {
	httpURL        string
	junit          string
	jsonFile       string
	htmlFile       string
	labelFilter    string
	focus          []string
	skip           []string
	timeout        time.Duration
	requestTimeout time.Duration
	concurrency    int
	verbose        bool
	specText       string
	extensions     string
	accept         []string
	headers        []string
	tls            tlsFlags
	senderCommand  string
	senderListen   string
	senderBinding  string
	relaySink      string
	mqttBroker     string
	mqttTopic      string
	mqttReplyTopic string
	mqttVersion    string
	grpcAddr       string
	grpcService    string
	roles          string
}

func newConformanceCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Test a CloudEvents provider against the specification",
		Long:  conformanceLong,
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newConformanceRunCommand(stdout, stderr))
	cmd.AddCommand(newConformanceListCommand(stdout))
	cmd.AddCommand(newConformanceReplayCommand(stdout))
	return cmd
}

func newConformanceRunCommand(stdout, stderr io.Writer) *cobra.Command {
	var o conformanceOptions
	cmd := &cobra.Command{
		Use:   "run [--http URL] [--sender-command CMD] [--mqtt URL --topic T] [--grpc HOST:PORT] [flags]",
		Short: "Run the conformance suite against a provider: HTTP receiver, sender, MQTT relay, gRPC (default: the embedded reference provider)",
		Long:  conformanceRunLong,
		Example: `  ce conformance run
  ce conformance run --http http://127.0.0.1:8080/ --html report.html
  ce conformance run --http https://events.example.com/hook --header 'Authorization: Bearer TOKEN' --label-filter '!echo' --junit junit.xml
  ce conformance run --http http://127.0.0.1:8080/ --spec main --extensions disttrace,partitioning
  ce conformance run --sender-command 'node sender.js'
  ce conformance run --mqtt tcp://127.0.0.1:1883 --topic conformance/relay
  ce conformance run --mqtt tcp://127.0.0.1:1883 --topic conformance/sent --sender-command 'node mqtt-sender.js'
  ce conformance run --sender-command './grpc-sender' --sender-binding grpc
  ce conformance run --grpc 127.0.0.1:9090 --grpc-service cloudevents
  ce conformance run --http http://127.0.0.1:8080/ --relay-sink 127.0.0.1:9100 --label-filter 'relay || receiver'
  ce conformance run --grpc events.example.com:443 --tls --label-filter grpc
  ce conformance run --label-filter MUST --focus 'HTTP-HEADER-VALUE-1[5-7]'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConformance(cmd, &o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.httpURL, "http", "", "URL of the HTTP provider to test (default: start the embedded reference provider)")
	f.StringVar(&o.specText, "spec", spec.Profile102, "the specification text to hold the provider to: 1.0.2 (released) or main (1.0.3-wip)")
	f.StringVar(&o.extensions, "extensions", "", "documented extensions the provider claims: comma-separated "+strings.Join(conformance.Extensions(), ",")+", or all (default none; all for the embedded provider)")
	f.StringArrayVar(&o.accept, "accept", nil, "input the provider claims to take beyond 1.0: v0.3 (repeatable)")
	f.StringArrayVar(&o.headers, "header", nil, "add the header 'Name: value' to every request (repeatable)")
	f.StringVar(&o.senderCommand, "sender-command", "", "test a sender: run this shell command once per content mode under the sender contract (spec/conformance-contract.md)")
	f.StringVar(&o.mqttBroker, "mqtt", "", "test an MQTT relay through the broker at this tcp://host:port URL (with --topic)")
	f.StringVar(&o.mqttTopic, "topic", "", "--mqtt: the topic the suite publishes on")
	f.StringVar(&o.mqttReplyTopic, "reply-topic", "", "--mqtt: the topic the relay delivers on (default: --topic, the broker itself as the relay)")
	f.StringVar(&o.mqttVersion, "mqtt-version", "both", "--mqtt: the MQTT versions the provider claims: 5.0, 3.1.1 or both (the cases of another version are NOT-TESTED)")
	f.StringVar(&o.grpcAddr, "grpc", "", "test the gRPC provider at this host:port (openevents.v1.EventService or io.cloudevents.v1.CloudEventService)")
	f.StringVar(&o.grpcService, "grpc-service", string(conformance.GRPCServiceAuto), "--grpc: the service to test: auto (EventService when offered, else CloudEventService), openevents or cloudevents")
	f.StringVar(&o.senderListen, "sender-listen", "127.0.0.1:0", "address of the suite's receiver in the sender role")
	f.StringVar(&o.senderBinding, "sender-binding", conformance.BindingHTTP, "--sender-command: the binding the sender sends with: http, or grpc (the suite hosts EventService and CloudEventService on --sender-listen); an MQTT sender is chosen with --mqtt")
	f.StringVar(&o.roles, "role", "", "run only the cases of these roles: comma-separated receiver, echo, sender, relay (default: every role the targets play); with --mqtt, the one MQTT role (echo, relay or sender) the provider plays")
	f.StringVar(&o.relaySink, "relay-sink", "", "test the --http provider as an HTTP relay: the host:port the suite listens on and the relay forwards to")
	o.tls.addClientFlags(cmd)
	f.StringVar(&o.junit, "junit", "", "write a JUnit XML report to this file")
	f.StringVar(&o.jsonFile, "json", "", "write the per-requirement results as JSON to this file")
	f.StringVar(&o.htmlFile, "html", "", "write a self-contained HTML report to this file")
	f.StringVar(&o.labelFilter, "label-filter", "", "run only cases whose labels match this Ginkgo label expression")
	f.StringArrayVar(&o.focus, "focus", nil, "run only cases whose name matches this regular expression (repeatable)")
	f.StringArrayVar(&o.skip, "skip", nil, "skip cases whose name matches this regular expression (repeatable)")
	f.DurationVar(&o.timeout, "timeout", conformance.DefaultTimeout, "bound on the whole run")
	f.DurationVar(&o.requestTimeout, "request-timeout", conformance.DefaultRequestTimeout, "bound on each exchange with the provider")
	f.IntVar(&o.concurrency, "concurrency", conformance.DefaultConcurrency, "how many cases talk to the provider at once")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print Ginkgo's progress, spec by spec, to standard error")
	return cmd
}

// config maps the flags to a conformance.Config; every error is a usage
// error.
func (o *conformanceOptions) config() (conformance.Config, error) {
	cfg := conformance.Config{
		Profile:        conformance.Profile{Spec: o.specText},
		LabelFilter:    o.labelFilter,
		Focus:          o.focus,
		Skip:           o.skip,
		Timeout:        o.timeout,
		RequestTimeout: o.requestTimeout,
		Concurrency:    o.concurrency,
		Verbose:        o.verbose,
	}
	switch {
	case o.timeout <= 0:
		return cfg, errors.New("--timeout must be positive")
	case o.requestTimeout <= 0:
		return cfg, errors.New("--request-timeout must be positive")
	case o.concurrency <= 0:
		return cfg, errors.New("--concurrency must be at least 1")
	}
	embedded := o.httpURL == "" && o.senderCommand == "" && o.mqttBroker == "" && o.grpcAddr == ""
	if o.httpURL != "" || embedded {
		cfg.HTTP = &conformance.HTTPTarget{URL: o.httpURL}
	}
	switch {
	case o.mqttBroker != "":
		versions, err := conformance.ParseMQTTVersions(o.mqttVersion)
		if err != nil {
			return cfg, fmt.Errorf("--mqtt-version: %w", err)
		}
		cfg.MQTT = &conformance.MQTTTarget{Broker: o.mqttBroker, Topic: o.mqttTopic, ReplyTopic: o.mqttReplyTopic, Versions: versions}
	case o.mqttTopic != "" || o.mqttReplyTopic != "" || o.mqttVersion != "both":
		return cfg, errors.New("--topic, --reply-topic and --mqtt-version need --mqtt")
	}
	switch {
	case o.grpcAddr != "":
		tc, err := o.tls.grpcClient()
		if err != nil {
			return cfg, err
		}
		cfg.GRPC = &conformance.GRPCTarget{Addr: o.grpcAddr, TLS: tc, Service: conformance.GRPCService(o.grpcService)}
	case o.grpcService != string(conformance.GRPCServiceAuto):
		return cfg, errors.New("--grpc-service needs --grpc")
	}
	switch {
	case o.senderBinding != conformance.BindingHTTP && o.senderBinding != conformance.BindingGRPC:
		return cfg, fmt.Errorf("--sender-binding %q: want http or grpc (an MQTT sender is chosen with --mqtt)", o.senderBinding)
	case o.senderBinding != conformance.BindingHTTP && o.senderCommand == "":
		return cfg, errors.New("--sender-binding needs --sender-command")
	}
	if o.senderCommand != "" {
		cfg.Sender = &conformance.SenderTarget{Command: []string{"/bin/sh", "-c", o.senderCommand}, Listen: o.senderListen, Binding: o.senderBinding}
		if cfg.MQTT != nil && o.senderBinding != conformance.BindingGRPC {
			// With --mqtt the sender publishes on --topic, where the
			// suite listens.
			cfg.MQTT.Role = conformance.RoleSender
		}
	}
	if err := o.applyRoles(&cfg); err != nil {
		return cfg, err
	}
	exts, err := conformance.ParseExtensions(o.extensions)
	if err != nil {
		return cfg, fmt.Errorf("--extensions: %w", err)
	}
	cfg.Profile.Extensions = exts
	for _, a := range o.accept {
		if a != "v0.3" && a != "0.3" {
			return cfg, fmt.Errorf("--accept %q: the only input beyond 1.0 is v0.3", a)
		}
		cfg.Profile.Accept03 = true
	}
	for _, h := range o.headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return cfg, fmt.Errorf("--header %q: want 'Name: value'", h)
		}
		if cfg.HTTP == nil {
			return cfg, fmt.Errorf("--header %q: there is no --http target to send it to", h)
		}
		if cfg.HTTP.Header == nil {
			cfg.HTTP.Header = http.Header{}
		}
		cfg.HTTP.Header.Add(name, strings.TrimSpace(value))
	}
	if o.httpURL != "" {
		tc, err := o.tls.httpClient(o.httpURL)
		if err != nil {
			return cfg, err
		}
		cfg.HTTP.TLS = tc
	} else if f := o.tls.clientFlag(); f != "" && o.grpcAddr == "" {
		return cfg, fmt.Errorf("%s needs --http with an https:// URL or --grpc: the embedded provider is plain HTTP on loopback", f)
	}
	switch {
	case o.relaySink != "" && o.httpURL == "":
		return cfg, errors.New("--relay-sink needs --http, the URL the relay takes events at")
	case o.relaySink != "":
		cfg.HTTPRelay = &conformance.HTTPRelayTarget{HTTPTarget: *cfg.HTTP, Sink: o.relaySink}
	}
	return cfg, nil
}

func runConformance(cmd *cobra.Command, o *conformanceOptions, stdout, stderr io.Writer) error {
	cfg, err := o.config()
	if err != nil {
		return usageError(err)
	}
	if o.verbose {
		cfg.Progress = stderr
	}
	// Report files are created first: a path that cannot be written
	// must not cost a whole run.
	reports, err := openReports(o)
	if err != nil {
		return usageError(err)
	}
	defer reports.discard()
	if o.httpURL == "" && o.senderCommand == "" && o.mqttBroker == "" && o.grpcAddr == "" {
		ref, err := conformance.StartReference()
		if err != nil {
			return failure(fmt.Errorf("starting the reference provider: %w", err))
		}
		defer func() { _ = ref.Close() }()
		cfg.HTTP.URL = ref.URL
		cfg.Sender = &conformance.SenderTarget{Send: conformance.ReferenceSend, Listen: o.senderListen}
		cfg.GRPC = &conformance.GRPCTarget{Addr: ref.GRPCAddr}
		// Its MQTT side plays one role per run: the echo, or with --role
		// relay (and not echo) the broker itself as the relay.
		switch {
		case o.roleSet(conformance.RoleEcho):
			cfg.MQTT = &conformance.MQTTTarget{Broker: ref.MQTTBroker, Topic: ref.MQTTTopic + "/cases", Role: conformance.RoleEcho}
		case o.roleSet(conformance.RoleRelay):
			cfg.MQTT = &conformance.MQTTTarget{Broker: ref.MQTTBroker, Topic: "conformance/relay", Role: conformance.RoleRelay}
		}
		if o.extensions == "" {
			cfg.Profile.Extensions = conformance.Extensions()
		}
		_, _ = fmt.Fprintf(stderr, "testing the embedded reference provider (ce run's echo function): HTTP %s, gRPC %s, MQTT %s (topic %s/#)\n",
			ref.URL, ref.GRPCAddr, ref.MQTTBroker, ref.MQTTTopic)
	}
	res, err := conformance.Run(cmd.Context(), cfg)
	if err != nil {
		if conformance.IsConfigError(err) {
			return usageError(err)
		}
		return failure(err)
	}
	if err := res.WriteConsole(stdout); err != nil {
		return failure(err)
	}
	if err := reports.write(res); err != nil {
		return failure(err)
	}
	if !res.Passed {
		return &exitError{code: exitFailure, err: errQuiet}
	}
	return nil
}

// reportFiles are the report files a run writes, created before it.
type reportFiles []reportFile

type reportFile struct {
	path  string
	f     *os.File
	write func(*conformance.Result, io.Writer) error
}

// openReports creates every report file the flags name.
func openReports(o *conformanceOptions) (reportFiles, error) {
	var rs reportFiles
	for _, r := range []reportFile{
		{path: o.junit, write: (*conformance.Result).WriteJUnit},
		{path: o.jsonFile, write: (*conformance.Result).WriteJSON},
		{path: o.htmlFile, write: (*conformance.Result).WriteHTML},
	} {
		if r.path == "" {
			continue
		}
		f, err := os.Create(r.path)
		if err != nil {
			rs.discard()
			return nil, fmt.Errorf("cannot write the report: %w", err)
		}
		r.f = f
		rs = append(rs, r)
	}
	return rs, nil
}

// write writes and closes every report.
func (rs reportFiles) write(res *conformance.Result) error {
	var errs []error
	for i := range rs {
		r := &rs[i]
		err := r.write(res, r.f)
		if cerr := r.f.Close(); err == nil {
			err = cerr
		}
		r.f = nil
		if err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", r.path, err))
		}
	}
	return errors.Join(errs...)
}

// discard closes and removes the reports not written (a run that did not
// end in a result leaves no empty files behind).
func (rs reportFiles) discard() {
	for _, r := range rs {
		if r.f != nil {
			_ = r.f.Close()
			_ = os.Remove(r.path)
		}
	}
}

// knownRoles are the values of --role.
var knownRoles = []conformance.Role{conformance.RoleReceiver, conformance.RoleEcho, conformance.RoleSender, conformance.RoleRelay}

// parseRoles reads --role: a comma-separated list of roles.
func parseRoles(s string) ([]conformance.Role, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []conformance.Role
	for _, r := range strings.Split(s, ",") {
		role := conformance.Role(strings.TrimSpace(r))
		if !slices.Contains(knownRoles, role) {
			return nil, fmt.Errorf("--role %q: want receiver, echo, sender or relay (comma-separated)", r)
		}
		if !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	return out, nil
}

// applyRoles narrows cfg to the roles of --role: the label filter keeps
// only their cases (each case is labelled with its role), and an MQTT
// target plays the one MQTT role among them.
func (o *conformanceOptions) applyRoles(cfg *conformance.Config) error {
	roles, err := parseRoles(o.roles)
	if err != nil || len(roles) == 0 {
		return err
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	expr := "(" + strings.Join(names, " || ") + ")"
	if cfg.LabelFilter != "" {
		expr += " && (" + cfg.LabelFilter + ")"
	}
	cfg.LabelFilter = expr
	if cfg.MQTT != nil {
		var mqttRoles []conformance.Role
		for _, r := range roles {
			if r != conformance.RoleReceiver {
				mqttRoles = append(mqttRoles, r)
			}
		}
		switch {
		case len(mqttRoles) == 0:
			return errors.New("--role receiver with --mqtt: a broker hides a receiver's answer, so MQTT providers are tested as echo, relay or sender")
		case len(mqttRoles) > 1:
			return fmt.Errorf("--role %s with --mqtt: an MQTT target plays one role per run (echo, relay or sender)", o.roles)
		case mqttRoles[0] == conformance.RoleSender && o.senderCommand == "":
			return errors.New("--role sender with --mqtt needs --sender-command: the command that publishes")
		}
		cfg.MQTT.Role = mqttRoles[0]
	}
	return nil
}

// roleSet reports whether --role names r, or names nothing.
func (o *conformanceOptions) roleSet(r conformance.Role) bool {
	roles, _ := parseRoles(o.roles)
	return len(roles) == 0 || slices.Contains(roles, r)
}
