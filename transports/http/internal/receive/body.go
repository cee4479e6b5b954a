package receive

import (
	"errors"
	"io"
	"net"
	"net/http"
)

// ReadBody appends body to dst, up to limit bytes; a longer body is
// ErrTooLarge. The buffer grows with the bytes that arrive, never ahead of
// them: a declared Content-Length reserves nothing, so a client that
// declares 4 MiB and sends a few bytes costs a few kilobytes.
func ReadBody(dst []byte, body io.Reader, limit int64) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			// Double what has arrived (4 KiB to start), never past the
			// limit and one byte to see that a body exceeds it.
			nd := make([]byte, len(dst), min(max(4<<10, 2*cap(dst)), int(limit)+1))
			copy(nd, dst)
			dst = nd
		}
		n, err := body.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if int64(len(dst)) > limit {
			return dst, ErrTooLarge
		}
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return dst, ErrTooLarge
			}
			return dst, &UnreadableError{Err: err}
		}
	}
}

// CheckFraming refuses a request whose body cannot be taken as it comes:
// a compressed one, which a few bytes could inflate far past every limit,
// and an HTTP/1.0 one without Content-Length, which has no body at all.
func CheckFraming[S string | []byte](contentEncoding S, hasLength bool) error {
	if len(contentEncoding) > 0 && !isIdentity(contentEncoding) {
		return &EncodingError{Encoding: string(contentEncoding)}
	}
	if !hasLength {
		return &MessageError{Rule: "WEBHOOK-DELIVERY-4", Msg: "the request has no body: an HTTP/1.0 request carries one only with a Content-Length header " +
			"(send Content-Length, 0 for an event without data, or use HTTP/1.1)"}
	}
	return nil
}

// isIdentity reports whether a Content-Encoding value names no coding.
func isIdentity[S string | []byte](v S) bool {
	i, j := 0, len(v)
	for i < j && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	for j > i && (v[j-1] == ' ' || v[j-1] == '\t') {
		j--
	}
	const id = "identity"
	if j-i != len(id) {
		return false
	}
	for k := 0; k < len(id); k++ {
		if c := v[i+k] | 0x20; c != id[k] {
			return false
		}
	}
	return true
}

// TimeoutCause turns a read that hit the connection's deadline into a
// [*TimeoutError] naming the limit; other errors pass through.
func TimeoutCause(err error, c *Config) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &TimeoutError{What: "the request body", Err: err,
			Limit: c.BodyBudget().String() + " of its headers (WithReadBodyTimeout, within WithReadTimeout)"}
	}
	return err
}
