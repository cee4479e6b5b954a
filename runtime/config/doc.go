// Package config reads the configuration file of the function runtime,
// the YAML file of `ce run -f function.yaml`, into a [Config].
//
// # The file
//
// A file names one function and at least one trigger; everything else has
// a default:
//
//	function:                      # exactly one of builtin, exec, http, grpc
//	  name: orders                 # for metrics and logs
//	  builtin: forward             # echo | noop | log | forward
//	  # exec: {command: [python3, fn.py], env: {K: V}, dir: ., processes: 1}
//	  # http: {url: "http://127.0.0.1:9000/"}
//	  # grpc: {target: "127.0.0.1:9001"}
//	  filter:                      # every filter must match
//	    - exact: {type: com.example.order}
//	    - any: [{prefix: {source: /shop}}, {suffix: {subject: .json}}]
//	forward: [{http: "http://127.0.0.1:9100/"}]  # the forward builtin's sinks
//	concurrency: 64
//	queue: 64
//	timeout: 30s
//	retry: {attempts: 3, backoff: 100ms, maxBackoff: 10s}
//	deadLetter: {file: dead.jsonl}
//	replies: [{mqtt: {url: "tcp://127.0.0.1:1883", topic: replies}}]
//	orderBy: partitionkey
//	dedupe: {window: 5m, max: 100000}
//	drainTimeout: 30s
//	admin: 127.0.0.1:9090
//	telemetry: {otlp: {endpoint: "http://127.0.0.1:4318"}}  # a span per event
//	triggers:
//	  - http: {addr: 127.0.0.1:8080, tls: {cert: c.pem, key: k.pem, clientCA: ca.pem}}
//	  - grpc: {addr: 127.0.0.1:50051}
//	  - mqtt: {url: mqtts://127.0.0.1:8883, topic: events/#, version: 5, qos: 1,
//	           clientId: ce-run-1, shareGroup: workers, tls: {ca: ca.pem}}
//	  - cron: {schedule: "*/5 * * * *", type: com.example.tick, source: /cron}
//
// A sink is one of {http: URL}, {grpc: TARGET}, {mqtt: {url: U, topic: T}}
// and {file: PATH}. Durations are Go duration strings (30s, 1m30s). The
// filter dialects are those of the CloudEvents Subscriptions API, without
// sql. examples/function.yaml is a complete file; [Config] and the types it
// holds document each field, its range and its default.
//
// schemas/function.schema.json (package schemas, FunctionSchema) is the
// JSON Schema of the file, for editors and other tools; this package
// applies it.
//
// # Defaults
//
// The defaults are the Default... constants. Listen addresses default to
// the loopback interface: an http trigger to [DefaultHTTPAddr]
// (127.0.0.1:8080), a grpc trigger to [DefaultGRPCAddr] (127.0.0.1:50051),
// and the admin endpoints (/healthz, /readyz, /metrics) to the first http
// trigger's server, or [DefaultAdminAddr] (127.0.0.1:9090) without one. A
// runtime therefore listens on other interfaces only where the file says
// so ("0.0.0.0:8080", ":8080").
//
// [Load] makes relative paths in the file (exec.dir, file sinks, TLS files)
// relative to the file's directory, and runs an exec function there by
// default; [Parse], which has no directory, keeps them as written.
//
// # Checks and errors
//
// Reading goes in stages, each only on what the previous one accepted:
//
//  1. The YAML is parsed: one document, no duplicate keys, no merge keys
//     or custom tags, and within [Limits] (size, nesting, alias uses and
//     node count, against alias bombs and the like).
//  2. The schema is applied to the document before anything is built.
//  3. The document is decoded, defaults are filled in, and the rules the
//     schema cannot state are checked: durations in range, ports up to
//     65535, the forward builtin with its sinks (and sinks only for it),
//     distinct listen addresses, cron expressions, the cron trigger's event
//     source and type, TLS settings only with a TLS broker URL.
//
// A file refused at a stage gives an [*Error] listing every problem that
// stage found, each with its YAML line and column, the field's path and
// the rule, as compilers print them:
//
//	function.yaml:12:13: triggers[0].http.addr: "8080" does not match the address pattern host:port (pattern)
package config
