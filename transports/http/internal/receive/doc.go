// Package receive is the receiving core of the CloudEvents HTTP binding,
// shared by the net/http front end (cehttp's Handler and Server) and the
// fasthttp one (transports/http/fasthttp): the receiver options, the pooled
// per-request state, binary-mode decoding from ce- headers, structured and
// batched decoding, delivery to the handler and its reply, the one table
// from errors to HTTP statuses, the web-hook handshake, and the listener
// that caps connections and bounds TLS handshakes.
//
// It imports no HTTP server library, so a program that uses only the
// net/http Handler links no fasthttp. Everything exported here is for the
// two front ends and cehttp's Sender; cehttp re-exports what users see
// (the options, the error sentinels and types) under its own names.
package receive
