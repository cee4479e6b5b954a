package strictpeer

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeBinary reads a binary-mode event (HTTP binding 3.1): attributes from
// the ce- headers, datacontenttype from Content-Type, data from the body.
func decodeBinary(h http.Header, body []byte) (*event, error) {
	ev := newEvent()
	keys := make([]string, 0, len(h))
	for key := range h {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		lower := strings.ToLower(key)
		name, ok := strings.CutPrefix(lower, "ce-")
		if !ok {
			continue
		}
		// net/http folds same-named lines into one key, but leaves a name it
		// cannot canonicalise alone, so duplicates are also caught by name.
		if _, dup := ev.attrs[name]; dup || len(h[key]) != 1 {
			return nil, fmt.Errorf("header ce-%s sent more than once", name)
		}
		if name == "datacontenttype" {
			return nil, errors.New("ce-datacontenttype must not be sent in binary mode: Content-Type carries datacontenttype")
		}
		v, err := decodeHeaderValue(h[key][0])
		if err != nil {
			return nil, fmt.Errorf("header ce-%s: %w", name, err)
		}
		ev.attrs[name] = attrValue{kind: kindString, s: v}
	}
	// The caller has refused a repeated Content-Type already.
	if ct := h["Content-Type"]; len(ct) == 1 {
		ev.attrs["datacontenttype"] = attrValue{kind: kindString, s: ct[0]}
	}
	if len(body) > 0 {
		ev.data, ev.hasData = body, true
	}
	if err := ev.validate(); err != nil {
		return nil, err
	}
	return ev, nil
}

// decodeHeaderValue undoes the header encoding of HTTP binding 3.1.3.2:
// quoted-strings first, then one round of percent-decoding.
func decodeHeaderValue(raw string) (string, error) {
	for i := 0; i < len(raw); i++ {
		// Header values are printable US-ASCII; anything else was not
		// percent-encoded as the binding requires.
		if c := raw[i]; c < 0x20 || c > 0x7E {
			return "", fmt.Errorf("byte 0x%02X is not printable ASCII", c)
		}
	}
	unquoted, err := unquote(raw)
	if err != nil {
		return "", err
	}
	return percentDecode(unquoted)
}

// unquote removes the quotes and backslash escapes of every quoted-string in
// s (RFC 7230 3.2.6). Older binding versions quoted a whole value instead of
// percent-encoding spaces and quotes, which a receiver still has to accept.
// Outside quotes a backslash is an ordinary character.
func unquote(s string) (string, error) {
	if !strings.Contains(s, `"`) {
		return s, nil
	}
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && quoted:
			i++
			if i == len(s) {
				return "", errors.New("unterminated quoted-string")
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return "", errors.New("unterminated quoted-string")
	}
	return b.String(), nil
}

// percentDecode decodes %XX triplets (either case of hex) exactly once and
// requires the result to be UTF-8, which also rules out overlong forms and
// encoded surrogates.
func percentDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("malformed percent-encoding at offset %d", i)
		}
		out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	if !utf8.Valid(out) {
		return "", errors.New("percent-decoded value is not UTF-8")
	}
	return string(out), nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// percentEncode encodes what the binding lists: space, double quote,
// percent and every byte outside 0x21-0x7E, with upper-case hex. Working on
// UTF-8 bytes gives the same result as encoding each character's bytes.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7F && c != '"' && c != '%' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0F])
	}
	return b.String()
}

// writeBinary answers with ev in binary mode and status 200.
func writeBinary(w http.ResponseWriter, ev *event) {
	h := w.Header()
	for name, v := range ev.attrs {
		if name != "datacontenttype" {
			h.Set("ce-"+name, percentEncode(v.canonical()))
		}
	}
	switch ct, ok := ev.attrs["datacontenttype"]; {
	case ok:
		h.Set("Content-Type", ct.s)
	case ev.impliedJSON:
		h.Set("Content-Type", "application/json")
	default:
		// A nil entry stops net/http from sniffing a type the event does
		// not have.
		h["Content-Type"] = nil
	}
	h.Set("Content-Length", strconv.Itoa(len(ev.data)))
	w.WriteHeader(http.StatusOK)
	// A failed write means the client has gone; there is no one to tell.
	_, _ = w.Write(ev.data)
}
