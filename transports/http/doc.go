// Package http is the CloudEvents HTTP protocol binding: a [Sender] that
// posts events in binary, structured or batched content mode, a [Handler]
// (an [net/http.Handler]) that receives all three modes, and [Server], a
// net/http server around it. The runtime-grade server on valyala/fasthttp,
// with the same receiving logic and the same [Option] values, is the
// package transports/http/fasthttp (imported as cefasthttp); it is kept
// apart so that a program using only net/http links no fasthttp. This
// package imports nothing outside the standard library and the module.
//
// Import it as cehttp:
//
//	import cehttp "github.com/openevents/openevents/transports/http"
//
// # Receiving
//
// The content mode is chosen by the Content-Type header alone
// ([DetectMode], HTTP-MODE-2). In binary mode every ce- header becomes an
// attribute, its value decoded once from percent-encoding
// ([binding.DecodeHeaderValue]), Content-Type becomes datacontenttype and
// the body is the data (HTTP-BINARY-1, HTTP-BINARY-3, HTTP-BINARY-4). In
// structured and batched mode the body is decoded by the JSON event format.
// Every event is validated before the [binding.Handler] sees it, and the
// request is answered only after the handler returned, so a 2xx status is an
// acknowledgement.
//
// Status codes follow the web-hook specification; see [StatusOf] for the
// one table that maps errors to statuses. A 400 answer names the violated
// requirement IDs in its text/plain body.
//
// The event passed to the handler, its strings excepted, may point into
// the request's buffers and is valid only until Handle returns, as
// [binding.Handler] documents; call [event.Event.Clone] to keep it.
//
// # Sending
//
// [Sender] encodes one event or a batch per POST request over a [Doer]
// (an *http.Client by default), retries 429 and 503 answers honouring
// Retry-After, never follows redirects (WEBHOOK-RESPONSE-3), and returns
// the reply event if the receiver sent one.
package http
