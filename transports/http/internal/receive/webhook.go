package receive

import (
	"net/http"
	"strconv"
)

// The web-hook abuse-protection handshake (WEBHOOK-ABUSE-1): an OPTIONS
// request naming its sender in WebHook-Request-Origin
// (WEBHOOK-VALIDATION-1, WEBHOOK-VALIDATION-2) is answered with
// WebHook-Allowed-Origin and WebHook-Allowed-Rate when the origin is
// allowed (WEBHOOK-VALIDATION-4), and with 403 and neither header when it
// is not (WEBHOOK-VALIDATION-5). Permission is granted synchronously; the
// WebHook-Request-Callback variant is not offered.

// The handshake's header names, and the methods a receiver allows.
const (
	HdrRequestOrigin = "WebHook-Request-Origin"
	HdrRequestRate   = "WebHook-Request-Rate"
	HdrAllowedOrigin = "WebHook-Allowed-Origin"
	HdrAllowedRate   = "WebHook-Allowed-Rate"
	AllowMethods     = "OPTIONS, POST"
)

// Handshake decides the answer to an OPTIONS request: the status and, when
// permission is granted, the two permission header values.
func (c *Config) Handshake(origin, rate string) (code int, allowedOrigin, allowedRate string, err error) {
	if origin == "" {
		// Not a handshake: an ordinary OPTIONS request, answered with the
		// methods the resource allows (WEBHOOK-VALIDATION-7).
		return http.StatusNoContent, "", "", nil
	}
	requested := 0
	if rate != "" {
		n, perr := strconv.Atoi(rate)
		if perr != nil || n <= 0 {
			return http.StatusBadRequest, "", "", &MessageError{Header: HdrRequestRate, Rule: "WEBHOOK-RATE-2", Msg: "must be a positive integer of requests per minute"}
		}
		requested = n
	}
	if c.Origins != nil && !contains(c.Origins, origin) {
		return http.StatusForbidden, "", "", nil
	}
	// WEBHOOK-ALLOWED-ORIGIN-2: the requested origin itself.
	allowedOrigin = origin
	// WEBHOOK-ALLOWED-RATE-1, -2, -3: always sent, "*" or a positive integer.
	switch {
	case c.AllowedRate > 0 && (requested == 0 || requested > c.AllowedRate):
		allowedRate = strconv.Itoa(c.AllowedRate)
	case requested > 0:
		allowedRate = strconv.Itoa(requested)
	default:
		allowedRate = "*"
	}
	return http.StatusOK, allowedOrigin, allowedRate, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s || x == "*" {
			return true
		}
	}
	return false
}
