package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// replyFaults are seeded violations of how a provider writes its replies: headers on the wire, Content-Type, timestamps, percent-encoding.
// Most of them are realistic bugs of hand-written header codecs; they
// are caught by the cases of testdata/http-echo-2.json.
var replyFaults = []fault{
	// sdk-go v2.16.2: header values are neither percent-decoded nor
	// unquoted on the way in, nor encoded on the way out. In a same-mode
	// echo the two halves cancel; a probe whose validity depends on
	// decoding does not.
	{name: "sdk-go-like", want: "HTTP-HEADER-VALUE-6", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string { return url.PathEscape(v) }) // the reference's one decoding then yields v itself
		return false
	}, reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string { return d })
	}},
	// Only bytes outside ASCII are escaped; space, '"' and '%' go out raw.
	{name: "encode-only-non-ascii", want: "HTTP-HEADER-VALUE-9", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string {
			return encodeWith(d, func(b byte) bool { return b >= 0x80 }, upperHexDigits)
		})
	}},
	// url.QueryEscape as the header encoder: a space becomes '+'.
	{name: "query-escape", want: "HTTP-HEADER-VALUE-9", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string { return url.QueryEscape(d) })
	}},
	// JavaScript's escape(): Latin-1 bytes as %XX, other characters as
	// %uXXXX, never the escapes of UTF-8 bytes.
	{name: "js-escape", want: "HTTP-HEADER-VALUE-13", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string { return jsEscape(d) })
	}},
	// A UTF-16 runtime encoding each half of a surrogate pair as its own
	// character (CESU-8).
	{name: "cesu-8-surrogates", want: "HTTP-HEADER-VALUE-8", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string { return string(binding.AppendHeaderValue(nil, cesu8(d))) })
	}},
	// Extension values are written with fmt, unencoded; only the core
	// attributes go through the encoder.
	{name: "raw-extension-values", want: "HTTP-HEADER-VALUE-11", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(attr, d string) string {
			if event.IsCoreAttribute(attr) {
				return string(binding.AppendHeaderValue(nil, d))
			}
			return d
		})
	}},
	// URI-typed attributes are taken to be header-safe already and
	// written as they are, so a '%' in them goes out raw.
	{name: "raw-uri-attributes", want: "HTTP-HEADER-VALUE-10", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(attr, d string) string {
			if attr == event.AttrSource || attr == event.AttrDataSchema {
				return d
			}
			return string(binding.AppendHeaderValue(nil, d))
		})
	}},
	// An encoder built on fmt's %02x: the right bytes, lower-case digits.
	{name: "lower-case-hex-encoder", want: "HTTP-HEADER-VALUE-14", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string {
			return encodeWith(d, func(b byte) bool { return b <= 0x20 || b >= 0x7f || b == '"' || b == '%' }, "0123456789abcdef")
		})
	}},
	// A value the SDK has encoded goes through a second, generic encoder
	// (a proxy's or an HTTP library's): a%20b becomes a%2520b.
	{name: "encoded-twice", want: "HTTP-HEADER-VALUE-4", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string {
			return string(binding.AppendHeaderValue(nil, string(binding.AppendHeaderValue(nil, d))))
		})
	}},
	// ce-time is parsed straight from the header, before (and instead
	// of) percent-decoding.
	{name: "time-not-decoded", want: "HTTP-HEADER-VALUE-6", request: func(_ http.ResponseWriter, r *http.Request) bool {
		for k, vs := range r.Header {
			if strings.EqualFold(k, "ce-time") {
				for i := range vs {
					vs[i] = strings.ReplaceAll(vs[i], "%", "%25")
				}
			}
		}
		return false
	}},
	// Percent-decoding first and unquoting after it: an encoded '"'
	// (%22) is then taken for quoting.
	{name: "decode-then-unquote", want: "HTTP-HEADER-VALUE-5", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string {
			d, err := url.PathUnescape(v)
			if err != nil {
				return v
			}
			if len(d) >= 2 && d[0] == '"' && d[len(d)-1] == '"' {
				d = d[1 : len(d)-1]
			}
			return string(binding.AppendHeaderValue(nil, d))
		})
		return false
	}},
	// Quotes are stripped, but backslash escapes inside them are kept.
	{name: "quotes-stripped-backslashes-kept", want: "HTTP-HEADER-VALUE-5", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string {
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				return strings.NewReplacer(`\`, "%5C", `"`, "%22").Replace(v[1 : len(v)-1])
			}
			return v
		})
		return false
	}},
	// A string check that knows the C0 controls and DEL but not the C1
	// range U+0080-U+009F: such characters pass.
	{name: "c1-controls-pass", want: "CORE-TYPE-STRING-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		mapCE(r, func(v string) string {
			d, err := binding.DecodeHeaderValue(v)
			if err != nil || !strings.ContainsFunc(d, isC1) {
				return v
			}
			return string(binding.AppendHeaderValue(nil, strings.Map(func(c rune) rune {
				if isC1(c) {
					return -1
				}
				return c
			}, d)))
		})
		return false
	}},

	// Reply headers on the wire.
	{name: "sniff-content-type", want: "HTTP-BINARY-1", reply: func(rec *httptest.ResponseRecorder) {
		if rec.Header().Get("Content-Type") == "" && rec.Body.Len() > 0 {
			rec.Header().Set("Content-Type", http.DetectContentType(rec.Body.Bytes())) // net/http's own sniffing
		}
	}},
	{name: "default-content-type", want: "HTTP-BINARY-1", reply: func(rec *httptest.ResponseRecorder) {
		if rec.Header().Get("Content-Type") == "" {
			rec.Header().Set("Content-Type", "text/plain; charset=utf-8") // a framework's default, even on 204
		}
	}},
	{name: "charset-appended", want: "HTTP-BINARY-1", reply: func(rec *httptest.ResponseRecorder) {
		if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
			rec.Header().Set("Content-Type", ct+"; charset=utf-8")
		}
	}},
	{name: "strip-content-type-parameters", want: "HTTP-BINARY-1", reply: func(rec *httptest.ResponseRecorder) {
		if ct, _, ok := strings.Cut(rec.Header().Get("Content-Type"), ";"); ok {
			rec.Header().Set("Content-Type", strings.TrimSpace(ct))
		}
	}},
	// The binary writer copies every attribute to a ce- header,
	// datacontenttype included, and sets Content-Type as well.
	{name: "write-ce-datacontenttype", want: "HTTP-BINARY-2", reply: func(rec *httptest.ResponseRecorder) {
		if ct := rec.Header().Get("Content-Type"); ct != "" && isBinaryReply(rec) {
			rec.Header()["ce-datacontenttype"] = []string{string(binding.AppendHeaderValue(nil, ct))}
		}
	}},
	// Integers held as float64 and written with %v.
	{name: "float-integers", want: "HTTP-HEADER-VALUE-1", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string {
			if n, err := strconv.ParseInt(d, 10, 64); err == nil {
				return fmt.Sprintf("%v", float64(n))
			}
			return d
		})
	}},
	// Booleans written by a runtime whose literals are True and False.
	{name: "title-case-booleans", want: "HTTP-HEADER-VALUE-1", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(_, d string) string {
			switch d {
			case "true":
				return "True"
			case "false":
				return "False"
			}
			return d
		})
	}},
	// Headers with an empty value are not written.
	{name: "drop-empty-headers", want: "HTTP-BINARY-4", reply: func(rec *httptest.ResponseRecorder) {
		for k, vs := range rec.Header() {
			if strings.HasPrefix(strings.ToLower(k), "ce-") && len(vs) == 1 && vs[0] == "" {
				delete(rec.Header(), k)
			}
		}
	}},

	// Timestamps: a runtime whose date type holds milliseconds.
	{name: "time-to-milliseconds", want: "CORE-TYPE-8", reply: func(rec *httptest.ResponseRecorder) {
		mapReplyCE(rec, func(attr, d string) string {
			if attr == event.AttrTime {
				d = subMilliRE.ReplaceAllString(d, "$1")
			}
			return string(binding.AppendHeaderValue(nil, d))
		})
	}},
	// time.Parse with time.RFC3339: 'T' and 'Z' only in upper case.
	{name: "upper-case-t-only", want: "CORE-TYPE-3", request: func(w http.ResponseWriter, r *http.Request) bool {
		if t, ok := requestTime(r); ok && (len(t) > 10 && t[10] == 't' || strings.HasSuffix(t, "z")) {
			w.WriteHeader(http.StatusBadRequest)
			return true
		}
		return false
	}},
	// A timestamp pattern that insists on UTC ("...Z").
	{name: "utc-only", want: "CORE-TYPE-3", request: func(w http.ResponseWriter, r *http.Request) bool {
		if t, ok := requestTime(r); ok && !strings.HasSuffix(strings.ToUpper(t), "Z") {
			w.WriteHeader(http.StatusBadRequest)
			return true
		}
		return false
	}},

	// Reply fidelity.
	{name: "trim-body", want: "HTTP-BINARY-3", reply: func(rec *httptest.ResponseRecorder) {
		setReplyBody(rec, bytes.TrimSpace(rec.Body.Bytes()))
	}},
	{name: "body-as-text", want: "HTTP-BINARY-3", reply: func(rec *httptest.ResponseRecorder) {
		setReplyBody(rec, bytes.ToValidUTF8(rec.Body.Bytes(), []byte("\uFFFD"))) // bytes through a string type that must hold text
	}},
}

const upperHexDigits = "0123456789ABCDEF"

var subMilliRE = regexp.MustCompile(`(\.[0-9]{3})[0-9]+`)

// isBinaryReply reports whether the reference answered with a binary-mode
// event.
func isBinaryReply(rec *httptest.ResponseRecorder) bool {
	for k := range rec.Header() {
		if strings.EqualFold(k, "ce-specversion") {
			return true
		}
	}
	return false
}

// mapReplyCE replaces the value of every ce- header of a binary-mode reply
// with f(attribute, decoded value): f plays the provider's encoder.
func mapReplyCE(rec *httptest.ResponseRecorder, f func(attr, decoded string) string) {
	for k, vs := range rec.Header() {
		attr, ok := strings.CutPrefix(strings.ToLower(k), "ce-")
		if !ok || len(vs) != 1 {
			continue
		}
		if d, err := binding.DecodeHeaderValue(vs[0]); err == nil {
			rec.Header()[k] = []string{f(attr, d)}
		}
	}
}

// setReplyBody replaces the reply body and its Content-Length.
func setReplyBody(rec *httptest.ResponseRecorder, b []byte) {
	b = bytes.Clone(b)
	rec.Body.Reset()
	rec.Body.Write(b)
	if rec.Header().Get("Content-Length") != "" {
		rec.Header().Set("Content-Length", strconv.Itoa(len(b)))
	}
}

// encodeWith percent-encodes the bytes of s that need it with the given
// hex digits.
func encodeWith(s string, need func(byte) bool, digits string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; need(c) {
			sb.WriteByte('%')
			sb.WriteByte(digits[c>>4])
			sb.WriteByte(digits[c&0xf])
		} else {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// jsEscape is ECMAScript's escape().
func jsEscape(s string) string {
	var sb strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u < 0x80 && (u >= 'A' && u <= 'Z' || u >= 'a' && u <= 'z' || u >= '0' && u <= '9' || strings.ContainsRune("@*_+-./", rune(u))):
			sb.WriteByte(byte(u))
		case u < 0x100:
			fmt.Fprintf(&sb, "%%%02X", u)
		default:
			fmt.Fprintf(&sb, "%%u%04X", u)
		}
	}
	return sb.String()
}

// cesu8 writes each UTF-16 code unit of s as its own three-byte sequence,
// so a character outside the BMP becomes two encoded surrogates.
func cesu8(s string) string {
	var b []byte
	for _, r := range s {
		if r <= 0xFFFF {
			b = utf8.AppendRune(b, r)
			continue
		}
		hi, lo := utf16.EncodeRune(r)
		for _, u := range []rune{hi, lo} {
			b = append(b, 0xE0|byte(u>>12), 0x80|byte(u>>6)&0x3F, 0x80|byte(u)&0x3F)
		}
	}
	return string(b)
}

func isC1(c rune) bool { return c >= 0x80 && c <= 0x9F }

// requestTime returns the time attribute of a request as written: the
// ce-time header, or the time member of a structured event.
func requestTime(r *http.Request) (string, bool) {
	if v := r.Header.Get("Ce-Time"); v != "" {
		return v, true
	}
	if cehttp.DetectMode(r.Header.Get("Content-Type")) == binding.ModeStructured {
		var m struct {
			Time *string `json:"time"`
		}
		if json.Unmarshal(readBody(r), &m) == nil && m.Time != nil {
			return *m.Time, true
		}
	}
	return "", false
}
