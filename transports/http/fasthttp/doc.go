// Package fasthttp receives CloudEvents over HTTP on valyala/fasthttp: a
// [Server] with the same receiving logic, options, status codes and limits
// as the net/http [cehttp.Server], built for throughput. It is the runtime's
// HTTP trigger and the embedded reference provider of the conformance
// suite.
//
// Import it as cefasthttp, next to cehttp for the options, errors and the
// Sender:
//
//	import (
//		cehttp "github.com/openevents/openevents/transports/http"
//		cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
//	)
//
// It is a package of its own so that a program using only cehttp's
// net/http [cehttp.Handler] does not link fasthttp and its compression
// libraries; importing this package is what pulls them in.
package fasthttp
