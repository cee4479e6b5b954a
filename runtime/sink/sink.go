package sink

import (
	"errors"
	"net/url"
)

// ErrClosed is returned by Send after Close.
var ErrClosed = errors.New("sink: closed")

// redact returns target with any password in it replaced by "xxxxx", for
// errors; a target that is not a URL is returned as is.
func redact(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.User == nil {
		return target
	}
	return u.Redacted()
}
