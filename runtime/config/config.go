package config

import (
	"time"

	"github.com/openevents/openevents/runtime/cron"
)

// Defaults of the fields a file may leave out. [Parse] and [Load] fill
// them in, so a [Config] they return holds the values in force.
const (
	// DefaultFunctionName names a function that is not a builtin and has
	// no name; a builtin is named after itself.
	DefaultFunctionName = "function"
	// DefaultConcurrency is how many events the function handles at once.
	DefaultConcurrency = 64
	// DefaultQueue is how many more events may wait for a handler.
	DefaultQueue = 64
	// DefaultTimeout is the deadline of one call of the function.
	DefaultTimeout = 30 * time.Second
	// DefaultRetryAttempts is how many calls an event gets in all.
	DefaultRetryAttempts = 3
	// DefaultRetryBackoff is the wait before the second call.
	DefaultRetryBackoff = 100 * time.Millisecond
	// DefaultRetryMaxBackoff is the longest wait between calls.
	DefaultRetryMaxBackoff = 10 * time.Second
	// DefaultDedupeMax is how many source and id pairs a dedupe section
	// without max remembers.
	DefaultDedupeMax = 100000
	// DefaultDrainTimeout is how long a shutdown waits for events in
	// flight.
	DefaultDrainTimeout = 30 * time.Second
	// DefaultExecProcesses is how many copies of an exec function run.
	DefaultExecProcesses = 1

	// DefaultHTTPAddr is the listen address of an http trigger without
	// addr. Like the other default addresses it is the loopback interface:
	// a runtime listens on a public interface only where a file says so.
	DefaultHTTPAddr = "127.0.0.1:8080"
	// DefaultGRPCAddr is the listen address of a grpc trigger without
	// addr.
	DefaultGRPCAddr = "127.0.0.1:50051"
	// DefaultAdminAddr is where the admin endpoints are served when the
	// file names no admin address and has no http trigger to share.
	DefaultAdminAddr = "127.0.0.1:9090"

	// DefaultMQTTVersion is the MQTT version of an mqtt trigger without
	// version: [MQTT5].
	DefaultMQTTVersion = MQTT5
	// DefaultMQTTQoS is the QoS of an mqtt trigger without qos: at least
	// once.
	DefaultMQTTQoS = 1

	// DefaultCronType is the type of the events of a cron trigger without
	// type.
	DefaultCronType = "dev.openevents.cron.tick"
	// DefaultCronSource is the source of the events of a cron trigger
	// without source.
	DefaultCronSource = "/cron"

	// DefaultOTLPQueue is how many ended spans may wait for export
	// (runtime/telemetry's DefaultQueueSize).
	DefaultOTLPQueue = 2048
	// DefaultOTLPBatch is the most spans one export carries
	// (runtime/telemetry's DefaultBatchSize).
	DefaultOTLPBatch = 512
	// DefaultOTLPBatchTimeout is how long a batch that is not full waits
	// (runtime/telemetry's DefaultBatchTimeout).
	DefaultOTLPBatchTimeout = 5 * time.Second
	// DefaultOTLPTimeout bounds one export, its retries included
	// (runtime/telemetry's DefaultExportTimeout).
	DefaultOTLPTimeout = 10 * time.Second
)

// The builtin functions, the values of [Function].Builtin.
const (
	BuiltinEcho    = "echo"    // reply with the event
	BuiltinNoop    = "noop"    // accept the event and do nothing
	BuiltinLog     = "log"     // write the event to the log
	BuiltinForward = "forward" // send the event to [Config].Forward
)

// MQTT protocol versions, the values of [MQTTTrigger].Version. They are
// the protocol levels MQTT sends in CONNECT, and the values of cemqtt's
// Version.
const (
	MQTT311 = 4 // MQTT 3.1.1, written "3.1.1" in a file
	MQTT5   = 5 // MQTT 5.0, written 5 in a file
)

// OrderByPartitionKey is the one value [Config].OrderBy may have besides
// the empty string: the partitionkey extension attribute.
const OrderByPartitionKey = "partitionkey"

// Config is a configuration file of the function runtime, checked and
// with every default filled in. The yaml tags give each field's name in
// the file. A Config from [Parse] or [Load] is not shared with anything;
// the caller may change it.
type Config struct {
	// Function is the function to run.
	Function Function `yaml:"function"`
	// Forward are the sinks of the forward builtin, in order; empty for
	// any other function.
	Forward []Sink `yaml:"forward"`
	// Concurrency is how many events the function handles at once, 1 to
	// 100000. Default [DefaultConcurrency].
	Concurrency int `yaml:"concurrency"`
	// Queue is how many more events may wait while every handler is busy,
	// 0 to 1000000; beyond it triggers push back. Default [DefaultQueue].
	Queue int `yaml:"queue"`
	// Timeout is the deadline of one call, more than 0 and at most 24h.
	// Default [DefaultTimeout].
	Timeout time.Duration `yaml:"timeout"`
	// Retry says how failed calls are tried again.
	Retry Retry `yaml:"retry"`
	// DeadLetter is where an event goes after its last failed attempt;
	// nil for none.
	DeadLetter *Sink `yaml:"deadLetter"`
	// Replies are extra sinks for the function's reply events.
	Replies []Sink `yaml:"replies"`
	// OrderBy is "" (no ordering) or [OrderByPartitionKey]: events with
	// the same partitionkey are handled one at a time, in arrival order.
	OrderBy string `yaml:"orderBy"`
	// Dedupe, when not nil, drops events whose source and id were seen
	// recently.
	Dedupe *Dedupe `yaml:"dedupe"`
	// DrainTimeout is how long a shutdown waits for events in flight,
	// more than 0 and at most 1h. Default [DefaultDrainTimeout].
	DrainTimeout time.Duration `yaml:"drainTimeout"`
	// Admin is the address of /healthz, /readyz and /metrics. Parse sets
	// it to the address of the first http trigger, whose server then
	// serves them too, when the file has none; and to [DefaultAdminAddr]
	// when there is no http trigger either.
	Admin string `yaml:"admin"`
	// AdminShared records that Admin was not given but taken from the
	// first http trigger, which then serves the admin paths even when its
	// port is 0. An Admin given with port 0 gets a listener of its own.
	AdminShared bool `yaml:"-"`
	// Telemetry, when not nil, traces every event; nil traces nothing.
	Telemetry *Telemetry `yaml:"telemetry"`
	// Triggers are where events come from; at least one.
	Triggers []Trigger `yaml:"triggers"`
}

// Function says which function runs. Exactly one of Builtin, Exec, HTTP
// and GRPC is set.
type Function struct {
	// Name labels the function in metrics and logs. Default: Builtin if
	// set, else [DefaultFunctionName].
	Name string `yaml:"name"`
	// Builtin is one of BuiltinEcho, BuiltinNoop, BuiltinLog and
	// BuiltinForward, or empty.
	Builtin string `yaml:"builtin"`
	// Exec is a program the runtime starts.
	Exec *Exec `yaml:"exec"`
	// HTTP is a function served over HTTP.
	HTTP *HTTPFunction `yaml:"http"`
	// GRPC is a function served over the OpenEvents gRPC service.
	GRPC *GRPCFunction `yaml:"grpc"`
	// Filter, when not empty, lets only events that match every filter
	// reach the function.
	Filter []Filter `yaml:"filter"`
}

// Kind returns "builtin", "exec", "http" or "grpc": which field of f is
// set. It returns "" for a Function that sets none.
func (f *Function) Kind() string {
	switch {
	case f.Builtin != "":
		return "builtin"
	case f.Exec != nil:
		return "exec"
	case f.HTTP != nil:
		return "http"
	case f.GRPC != nil:
		return "grpc"
	}
	return ""
}

// Exec is a function run as a program.
type Exec struct {
	// Command is the program and its arguments, not run through a shell;
	// never empty.
	Command []string `yaml:"command"`
	// Env are environment variables added to the runtime's own.
	Env map[string]string `yaml:"env"`
	// Dir is the program's working directory. [Load] makes a relative
	// Dir relative to the file's directory and sets an absent one to that
	// directory; from [Parse] it is as written, "" if absent.
	Dir string `yaml:"dir"`
	// Processes is how many copies run, 1 to 1024. Default
	// [DefaultExecProcesses].
	Processes int `yaml:"processes"`
}

// HTTPFunction is a function served over HTTP.
type HTTPFunction struct {
	// URL is where events are POSTed, an http:// or https:// URL.
	URL string `yaml:"url"`
}

// GRPCFunction is a function served over the OpenEvents gRPC service.
type GRPCFunction struct {
	// Target is a gRPC target: host:port, or a name such as
	// dns:///host:port.
	Target string `yaml:"target"`
}

// Filter is one filter of the CloudEvents Subscriptions API. Exactly one
// field is set. Exact, Prefix and Suffix hold exactly one attribute name
// and the string to compare its value with; Prefix and Suffix values are
// never empty.
type Filter struct {
	Exact  map[string]string `yaml:"exact"`  // the attribute equals the value
	Prefix map[string]string `yaml:"prefix"` // the attribute starts with the value
	Suffix map[string]string `yaml:"suffix"` // the attribute ends with the value
	All    []Filter          `yaml:"all"`    // every filter matches
	Any    []Filter          `yaml:"any"`    // at least one filter matches
	Not    *Filter           `yaml:"not"`    // the filter does not match
}

// Retry says how a failed call is tried again: up to Attempts calls in
// all, waiting Backoff before the second and twice as long before each
// next one, never more than MaxBackoff.
type Retry struct {
	// Attempts is the number of calls in all, 1 to 100; 1 means no retry.
	// Default [DefaultRetryAttempts].
	Attempts int `yaml:"attempts"`
	// Backoff is more than 0 and at most 1h. Default
	// [DefaultRetryBackoff].
	Backoff time.Duration `yaml:"backoff"`
	// MaxBackoff is at least Backoff and at most 24h. Default
	// [DefaultRetryMaxBackoff].
	MaxBackoff time.Duration `yaml:"maxBackoff"`
}

// Dedupe drops events whose source and id were seen within Window.
type Dedupe struct {
	// Window is how long a pair is remembered, more than 0 and at most
	// 24h.
	Window time.Duration `yaml:"window"`
	// Max is the most pairs remembered, 1 to 10000000; the oldest go
	// first. Default [DefaultDedupeMax].
	Max int `yaml:"max"`
}

// Sink is where events are sent. Exactly one field is set.
type Sink struct {
	// HTTP is a URL events are POSTed to.
	HTTP string `yaml:"http"`
	// GRPC is a gRPC target of the OpenEvents service.
	GRPC string `yaml:"grpc"`
	// MQTT is a broker and topic events are published to.
	MQTT *MQTTSink `yaml:"mqtt"`
	// File is a file events are appended to, one JSON-format event a
	// line. [Load] makes a relative path relative to the file's
	// directory.
	File string `yaml:"file"`
	// Subscribers, when true, hands events to the Subscribe streams of
	// this process's first grpc trigger, so that ce run acts as a small
	// broker: what a forward function (or a reply) sends there reaches
	// every gRPC subscriber whose filter matches.
	Subscribers bool `yaml:"subscribers"`
}

// Kind returns "http", "grpc", "mqtt" or "file": which field of s is set.
// It returns "" for a Sink that sets none.
func (s *Sink) Kind() string {
	switch {
	case s.HTTP != "":
		return "http"
	case s.GRPC != "":
		return "grpc"
	case s.MQTT != nil:
		return "mqtt"
	case s.File != "":
		return "file"
	case s.Subscribers:
		return "subscribers"
	}
	return ""
}

// MQTTSink publishes events to a broker.
type MQTTSink struct {
	// URL is the broker, scheme://host:port with scheme tcp, mqtt, tls,
	// ssl or mqtts.
	URL string `yaml:"url"`
	// Topic is the topic name, without wildcards.
	Topic string `yaml:"topic"`
	// TLS, when not nil, configures a TLS connection.
	TLS *ClientTLS `yaml:"tls"`
}

// Telemetry says where traces go.
type Telemetry struct {
	// OTLP exports a span per event to an OpenTelemetry collector; the
	// schema requires it.
	OTLP *OTLP `yaml:"otlp"`
}

// OTLP exports one span per event over OTLP/HTTP (runtime/telemetry).
// Parse fills in the defaults of the fields a file leaves out.
type OTLP struct {
	// Endpoint is the collector's http or https URL; one without a path
	// gets /v1/traces.
	Endpoint string `yaml:"endpoint"`
	// Headers are sent with every export request.
	Headers map[string]string `yaml:"headers"`
	// TLS, when not nil, configures an https endpoint's connection.
	TLS *ClientTLS `yaml:"tls"`
	// Timeout bounds one export, retries included, more than 0 and at
	// most 1h. Default [DefaultOTLPTimeout].
	Timeout time.Duration `yaml:"timeout"`
	// Queue is how many ended spans may wait for export, 1 to 1048576.
	// Default [DefaultOTLPQueue].
	Queue int `yaml:"queue"`
	// Batch is the most spans one export carries, 1 to 65536 and at most
	// Queue. Default [DefaultOTLPBatch].
	Batch int `yaml:"batch"`
	// BatchTimeout is how long a batch that is not full waits, more than
	// 0 and at most 1h. Default [DefaultOTLPBatchTimeout].
	BatchTimeout time.Duration `yaml:"batchTimeout"`
	// ServiceName is the service.name of the spans' resource. Default the
	// function's name.
	ServiceName string `yaml:"serviceName"`
}

// NewOTLP returns the OTLP section of endpoint with every default, as
// Parse fills it in; serviceName is the function's name.
func NewOTLP(endpoint, serviceName string) *OTLP {
	return &OTLP{Endpoint: endpoint, Timeout: DefaultOTLPTimeout, Queue: DefaultOTLPQueue, Batch: DefaultOTLPBatch,
		BatchTimeout: DefaultOTLPBatchTimeout, ServiceName: serviceName}
}

// Trigger is one source of events. Exactly one field is set.
type Trigger struct {
	HTTP *HTTPTrigger `yaml:"http"` // an HTTP server
	GRPC *GRPCTrigger `yaml:"grpc"` // a gRPC server
	MQTT *MQTTTrigger `yaml:"mqtt"` // an MQTT subscription
	Cron *CronTrigger `yaml:"cron"` // events on a schedule
}

// Kind returns "http", "grpc", "mqtt" or "cron": which field of t is set.
// It returns "" for a Trigger that sets none.
func (t *Trigger) Kind() string {
	switch {
	case t.HTTP != nil:
		return "http"
	case t.GRPC != nil:
		return "grpc"
	case t.MQTT != nil:
		return "mqtt"
	case t.Cron != nil:
		return "cron"
	}
	return ""
}

// HTTPTrigger is an HTTP server receiving events.
type HTTPTrigger struct {
	// Addr is the listen address, host:port. Default [DefaultHTTPAddr].
	Addr string `yaml:"addr"`
	// TLS, when not nil, makes the server speak HTTPS.
	TLS *ServerTLS `yaml:"tls"`
}

// GRPCTrigger is a gRPC server of the CloudEvents service.
type GRPCTrigger struct {
	// Addr is the listen address, host:port. Default [DefaultGRPCAddr].
	Addr string `yaml:"addr"`
	// TLS, when not nil, makes the server speak TLS.
	TLS *ServerTLS `yaml:"tls"`
}

// MQTTTrigger is an MQTT subscription.
type MQTTTrigger struct {
	// URL is the broker, scheme://host:port with scheme tcp, mqtt, tls,
	// ssl or mqtts.
	URL string `yaml:"url"`
	// Topic is the topic filter; wildcards allowed.
	Topic string `yaml:"topic"`
	// Version is [MQTT5] or [MQTT311]. Default [DefaultMQTTVersion].
	Version int `yaml:"-"`
	// QoS is 0, 1 or 2. Default [DefaultMQTTQoS].
	QoS int `yaml:"qos"`
	// ClientID names the client and its session; "" lets the transport
	// make one.
	ClientID string `yaml:"clientId"`
	// ShareGroup, when not empty, subscribes as $share/ShareGroup/Topic,
	// so the replicas of a group split the messages.
	ShareGroup string `yaml:"shareGroup"`
	// TLS, when not nil, configures a TLS connection.
	TLS *ClientTLS `yaml:"tls"`
}

// CronTrigger makes an event at each time of a schedule, read in UTC.
type CronTrigger struct {
	// Schedule is the cron expression as written.
	Schedule string `yaml:"schedule"`
	// Parsed is Schedule, parsed.
	Parsed *cron.Schedule `yaml:"-"`
	// Type is the events' type. Default [DefaultCronType].
	Type string `yaml:"type"`
	// Source is the events' source. Default [DefaultCronSource].
	Source string `yaml:"source"`
}

// ServerTLS is a server's TLS configuration, as paths of PEM files.
// [Load] makes relative paths relative to the file's directory.
type ServerTLS struct {
	Cert string `yaml:"cert"` // the certificate chain; never empty
	Key  string `yaml:"key"`  // its private key; never empty
	// ClientCA, when not empty, makes the server require client
	// certificates signed by these CAs.
	ClientCA string `yaml:"clientCA"`
}

// ClientTLS is a client's TLS configuration, as paths of PEM files.
// [Load] makes relative paths relative to the file's directory.
type ClientTLS struct {
	// CA, when not empty, replaces the system's roots.
	CA string `yaml:"ca"`
	// Cert and Key are the client certificate, both set or neither.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}
