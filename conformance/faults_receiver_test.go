package conformance

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	cehttp "github.com/openevents/openevents/transports/http"
)

// receiverFaults are seeded violations of how a provider reads requests: JSON data, media types, structured bodies, attribute names and types.
// Each is a bug SDKs have had, written as a rewrite of the request (or of
// the reply) around the reference handler; the cases of
// testdata/http-receiver-2.json catch them.
var receiverFaults = []fault{
	// --- JSON data in structured mode ---

	// A truthiness test on data (Python's `if data:`): 0, false, "",
	// null, [] and {} all become "no data".
	{name: "falsy-data-dropped", want: "JSON-DATA-19", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			switch string(bytes.TrimSpace(m["data"])) {
			case "0", "false", `""`, "null", "[]", "{}":
				delete(m, "data")
			}
		})
		return false
	}},
	// JSON null read into a nil interface, which the event model takes
	// for "no data".
	{name: "null-data-dropped", want: "JSON-DATA-19", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if string(m["data"]) == "null" {
				delete(m, "data")
			}
		})
		return false
	}},
	// Data decoded to a Go string and stored only when non-empty.
	{name: "empty-string-data-dropped", want: "JSON-DATA-7", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if string(m["data"]) == `""` {
				delete(m, "data")
			}
		})
		return false
	}},
	// Only application/json counts as JSON: +json and */json types are
	// "not JSON", so data that is not a string is refused.
	{name: "only-application-json-is-json", want: "JSON-DATA-19", request: func(w http.ResponseWriter, r *http.Request) bool {
		m := rcvMembers(r)
		ct, ok := rcvString(m, "datacontenttype")
		if !ok || !rcvNonString(m["data"]) {
			return false
		}
		if mt, _, _ := strings.Cut(strings.ToLower(ct), ";"); strings.TrimSpace(mt) != "application/json" {
			http.Error(w, "data must be a string for "+ct, http.StatusBadRequest)
			return true
		}
		return false
	}},
	// The JSON test on datacontenttype compares case-sensitively, so
	// application/vnd.x+JSON or APPLICATION/JSON is "not JSON".
	{name: "json-type-case-sensitive", want: "JSON-DATA-19", request: func(w http.ResponseWriter, r *http.Request) bool {
		m := rcvMembers(r)
		ct, ok := rcvString(m, "datacontenttype")
		if ok && rcvNonString(m["data"]) && ct != strings.ToLower(ct) && isJSONType(ct) {
			http.Error(w, "data must be a string for "+ct, http.StatusBadRequest)
			return true
		}
		return false
	}},
	// The same case-sensitive test on the way in: a JSON string under
	// Application/JSON is taken as text and comes back without quotes.
	{name: "datacontenttype-case-sensitive", want: "CORE-ATTR-DATACONTENTTYPE-6", reply: func(rec *httptest.ResponseRecorder) {
		ct := rec.Header().Get("Content-Type")
		body := rec.Body.Bytes()
		if ct == strings.ToLower(ct) || !isJSONType(ct) || len(body) < 2 || body[0] != '"' {
			return
		}
		var s string
		if json.Unmarshal(body, &s) != nil {
			return
		}
		rcvSetReplyBody(rec, []byte(s))
	}},
	// A text data member stripped of its quotes but not unescaped.
	{name: "text-data-escapes-kept", want: "JSON-DATA-8", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			var ct string
			if json.Unmarshal(m["datacontenttype"], &ct) != nil || ct == "" || isJSONType(ct) {
				return
			}
			if d := m["data"]; len(d) >= 2 && d[0] == '"' {
				raw, _ := json.Marshal(string(d[1 : len(d)-1]))
				m["data"] = raw
			}
		})
		return false
	}},

	// --- media types ---

	// The structured prefix is compared case-sensitively, so
	// Application/CloudEvents+JSON falls back to binary mode, where a
	// message without ce- headers is refused.
	{name: "mode-prefix-case-sensitive", want: "HTTP-MODE-4", request: func(w http.ResponseWriter, r *http.Request) bool {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(strings.ToLower(ct), "application/cloudevents") && !strings.HasPrefix(ct, "application/cloudevents") {
			http.Error(w, "binary mode: no ce-specversion header", http.StatusBadRequest)
			return true
		}
		return false
	}},
	// The batch prefix alone is compared case-sensitively: a batch in
	// mixed case is read as one structured event.
	{name: "batch-prefix-case-sensitive", want: "HTTP-MODE-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(strings.ToLower(ct), "application/cloudevents-batch") && !strings.HasPrefix(ct, "application/cloudevents-batch") {
			r.Header.Set("Content-Type", "application/cloudevents+json")
		}
		return false
	}},
	// The format is looked up by the whole Content-Type string, so a
	// charset parameter makes the JSON format "unknown".
	{name: "format-lookup-with-parameters", want: "HTTP-STRUCTURED-1", request: func(w http.ResponseWriter, r *http.Request) bool {
		ct := r.Header.Get("Content-Type")
		if cehttp.DetectMode(ct) == binding.ModeStructured && ct != "application/cloudevents+json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
			return true
		}
		return false
	}},

	// --- ce- headers on a structured request ---

	// The binary-mode header reader runs for every request and its
	// attributes override the body's.
	{name: "structured-headers-override", want: "HTTP-STRUCTURED-2", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			for name, v := range rcvCEHeaders(r) {
				m[name] = v
			}
		})
		return false
	}},
	// Header attributes fill in what the body lacks.
	{name: "structured-headers-fill-missing", want: "HTTP-STRUCTURED-2", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			for name, v := range rcvCEHeaders(r) {
				if _, ok := m[name]; !ok {
					m[name] = v
				}
			}
		})
		return false
	}},

	// --- binary mode without Content-Type ---

	// net/http's content sniffing fills in a missing Content-Type.
	{name: "sniff-missing-content-type", want: "HTTP-BINARY-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if len(r.Header.Values("Content-Type")) == 0 {
			if body := readBody(r); len(body) > 0 {
				r.Header.Set("Content-Type", http.DetectContentType(body))
			}
		}
		return false
	}},
	// A missing Content-Type is taken to mean JSON.
	{name: "default-json-content-type", want: "HTTP-BINARY-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if len(r.Header.Values("Content-Type")) == 0 && len(readBody(r)) > 0 {
			r.Header.Set("Content-Type", "application/json")
		}
		return false
	}},

	// --- attribute names ---

	// The producer's advice (names of at most 20 characters) enforced
	// on input, as sdk-go v2 once did.
	{name: "reject-long-names", want: "HTTP-BINARY-4", request: func(w http.ResponseWriter, r *http.Request) bool {
		for k := range r.Header {
			if name, ok := strings.CutPrefix(strings.ToLower(k), "ce-"); ok && len(name) > 20 {
				http.Error(w, "attribute names must not exceed 20 characters", http.StatusBadRequest)
				return true
			}
		}
		return false
	}},
	// Structured members with names over 20 characters are skipped.
	{name: "drop-long-members", want: "JSON-EXT-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			for name := range m {
				if len(name) > 20 {
					delete(m, name)
				}
			}
		})
		return false
	}},
	// 0.3's rule that a name starts with a letter applied to 1.0 input.
	{name: "names-start-with-letter", want: "HTTP-BINARY-4", request: func(w http.ResponseWriter, r *http.Request) bool {
		for k := range r.Header {
			if name, ok := strings.CutPrefix(strings.ToLower(k), "ce-"); ok && name != "" && name[0] >= '0' && name[0] <= '9' {
				http.Error(w, "attribute names start with a letter", http.StatusBadRequest)
				return true
			}
		}
		return false
	}},

	// --- JSON types of attributes ---

	// Core attributes read with a lenient "any scalar as text" decoder:
	// "id": 5 becomes "5", "specversion": 1.0 becomes "1.0".
	{name: "scalars-as-strings", want: "JSON-TYPE-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			for name, v := range m {
				if event.IsCoreAttribute(name) && len(v) > 0 && (v[0] == '-' || v[0] == 't' || v[0] == 'f' || v[0] >= '0' && v[0] <= '9') {
					m[name], _ = json.Marshal(string(v))
				}
			}
		})
		return false
	}},
	// A number as time is taken for Unix seconds.
	{name: "epoch-time", want: "JSON-TYPE-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			if n, err := strconv.ParseInt(string(m["time"]), 10, 64); err == nil {
				m["time"], _ = json.Marshal(time.Unix(n, 0).UTC().Format(time.RFC3339))
			}
		})
		return false
	}},
	// A null attribute turned into the text "null" (String(null)).
	{name: "null-as-text", want: "JSON-TYPE-2", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			for name, v := range m {
				if event.IsCoreAttribute(name) && string(v) == "null" {
					m[name] = json.RawMessage(`"null"`)
				}
			}
		})
		return false
	}},
	// Extension numbers parsed as floats and kept when integral, so 1e2
	// passes as the Integer 100.
	{name: "integral-exponent", want: "JSON-TYPE-INTEGER-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			for name, v := range m {
				if event.IsCoreAttribute(name) || !bytes.ContainsAny(v, "eE") {
					continue
				}
				if f, err := strconv.ParseFloat(string(v), 64); err == nil && f == math.Trunc(f) {
					m[name] = json.RawMessage(strconv.FormatFloat(f, 'f', -1, 64))
				}
			}
		})
		return false
	}},
	// An off-by-one range check that excludes the Integer bounds.
	{name: "integer-bounds-excluded", want: "CORE-TYPE-INTEGER-1", request: func(w http.ResponseWriter, r *http.Request) bool {
		for name, v := range rcvMembers(r) {
			if !event.IsCoreAttribute(name) && (string(v) == "2147483647" || string(v) == "-2147483648") {
				http.Error(w, name+" is out of range", http.StatusBadRequest)
				return true
			}
		}
		return false
	}},
	// Extensions stored only when truthy: false and 0 are lost.
	{name: "falsy-extensions-dropped", want: "JSON-TYPE-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(m map[string]json.RawMessage) {
			for name, v := range m {
				if !event.IsCoreAttribute(name) && (string(v) == "false" || string(v) == "0") {
					delete(m, name)
				}
			}
		})
		return false
	}},

	// --- spec versions ---

	// Anything but 0.3 is read as 1.0.
	{name: "unknown-version-as-1.0", want: "CORE-ATTR-SPECVERSION-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rcvMapSpecVersion(r, func(v string) string {
			if v != "" && v != "0.3" {
				return "1.0"
			}
			return v
		})
		return false
	}},
	// Only the major version is compared: 1.1 passes as 1.0.
	{name: "major-version-only", want: "CORE-ATTR-SPECVERSION-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rcvMapSpecVersion(r, func(v string) string {
			if strings.HasPrefix(v, "1.") {
				return "1.0"
			}
			return v
		})
		return false
	}},
	// 0.3 input read as if it were 1.0, without the 0.3 rules.
	{name: "v03-read-as-1.0", want: "V03-NAMING-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rcvMapSpecVersion(r, func(v string) string {
			if v == "0.3" {
				return "1.0"
			}
			return v
		})
		return false
	}},

	// --- what follows the JSON value ---

	// json.Decoder.Decode reads the first value and never looks at the
	// rest of the body.
	{name: "first-json-value-only", want: "JSON-SYNTAX-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) == binding.ModeBinary {
			return false
		}
		var v json.RawMessage
		if json.NewDecoder(bytes.NewReader(readBody(r))).Decode(&v) == nil {
			setBody(r, v)
		}
		return false
	}},
	// An over-strict end check: the body must end with the closing
	// brace, so a trailing newline is "garbage".
	{name: "trailing-whitespace-refused", want: "HTTP-FORMAT-1", request: func(w http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeStructured {
			return false
		}
		if body := readBody(r); len(body) > 0 && body[len(body)-1] != '}' {
			http.Error(w, "data after the event object", http.StatusBadRequest)
			return true
		}
		return false
	}},
	// A lenient array reader that forgives a comma before ']'.
	{name: "batch-trailing-comma", want: "JSON-SYNTAX-1", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) == binding.ModeBatch {
			setBody(r, trailingCommaRE.ReplaceAll(readBody(r), []byte("]")))
		}
		return false
	}},

	// --- duplicate member names ---

	// Members decoded into a map: the last of two equal names wins.
	{name: "duplicate-last-wins", want: "CORE-ATTR-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rewriteStructured(r, func(map[string]json.RawMessage) {})
		return false
	}},
	// Duplicates found by comparing names as written: "\u0069d" is not
	// "id" to it, and the later one wins once unescaped.
	{name: "duplicate-check-raw-names", want: "CORE-ATTR-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeStructured {
			return false
		}
		body := readBody(r)
		for name, n := range rcvTopLevelNames(body) {
			written := regexp.MustCompile(`"` + regexp.QuoteMeta(name) + `"\s*:`)
			if n > 1 && len(written.FindAll(body, -1)) < n {
				rewriteStructured(r, func(map[string]json.RawMessage) {})
				break
			}
		}
		return false
	}},
	// Batch elements decoded into maps: duplicates collapse there too.
	{name: "batch-duplicate-last-wins", want: "CORE-ATTR-4", request: func(_ http.ResponseWriter, r *http.Request) bool {
		if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeBatch {
			return false
		}
		var batch []map[string]json.RawMessage
		if json.Unmarshal(readBody(r), &batch) == nil {
			b, _ := json.Marshal(batch)
			setBody(r, b)
		}
		return false
	}},

	// --- invalid batches ---

	// Elements that are not valid events are skipped and the rest of
	// the batch is accepted.
	{name: "skip-invalid-batch-elements", want: "JSON-BATCH-3", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rcvFilterBatch(r, func(el json.RawMessage) bool {
			var m map[string]json.RawMessage
			if json.Unmarshal(el, &m) != nil || m == nil {
				return false
			}
			for _, name := range []string{"specversion", "id", "source", "type"} {
				if s, ok := rcvString(m, name); !ok || s == "" {
					return false
				}
			}
			return true
		})
		return false
	}},
	// null elements filtered out (JavaScript's .filter(Boolean)).
	{name: "skip-null-batch-elements", want: "JSON-BATCH-3", request: func(_ http.ResponseWriter, r *http.Request) bool {
		rcvFilterBatch(r, func(el json.RawMessage) bool { return string(el) != "null" })
		return false
	}},
}

var trailingCommaRE = regexp.MustCompile(`,\s*]\s*$`)

// rcvMembers returns the members of a structured request's event, or nil;
// the body stays readable.
func rcvMembers(r *http.Request) map[string]json.RawMessage {
	if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeStructured {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(readBody(r), &m) != nil {
		return nil
	}
	return m
}

// rcvString returns member name of m when it is a JSON string.
func rcvString(m map[string]json.RawMessage, name string) (string, bool) {
	var s string
	v, ok := m[name]
	if !ok || len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// rcvNonString reports whether v is present and not a JSON string.
func rcvNonString(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] != '"'
}

// rcvCEHeaders returns the ce- headers of r as JSON string members, by
// attribute name.
func rcvCEHeaders(r *http.Request) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, vs := range r.Header {
		name, ok := strings.CutPrefix(strings.ToLower(k), "ce-")
		if !ok || name == "" || len(vs) == 0 {
			continue
		}
		v, err := binding.DecodeHeaderValue(vs[0])
		if err != nil {
			continue
		}
		out[name], _ = json.Marshal(v)
	}
	return out
}

// rcvMapSpecVersion applies f to the specversion of a binary-mode or
// structured request.
func rcvMapSpecVersion(r *http.Request, f func(string) string) {
	if cehttp.DetectMode(r.Header.Get("Content-Type")) == binding.ModeBinary {
		for k, vs := range r.Header {
			if strings.EqualFold(k, "ce-specversion") && len(vs) == 1 {
				vs[0] = f(vs[0])
			}
		}
		return
	}
	rewriteStructured(r, func(m map[string]json.RawMessage) {
		if v, ok := rcvString(m, "specversion"); ok {
			m["specversion"], _ = json.Marshal(f(v))
		}
	})
}

// rcvTopLevelNames counts the member names, unescaped, of the JSON object
// in body.
func rcvTopLevelNames(body []byte) map[string]int {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	names := map[string]int{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := t.(string)
		names[name]++
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return nil
		}
	}
	return names
}

// rcvFilterBatch keeps the elements of a batch request for which keep
// is true.
func rcvFilterBatch(r *http.Request, keep func(json.RawMessage) bool) {
	if cehttp.DetectMode(r.Header.Get("Content-Type")) != binding.ModeBatch {
		return
	}
	var batch []json.RawMessage
	if json.Unmarshal(readBody(r), &batch) != nil {
		return
	}
	kept := []json.RawMessage{}
	for _, el := range batch {
		if keep(el) {
			kept = append(kept, el)
		}
	}
	b, _ := json.Marshal(kept)
	setBody(r, b)
}

// rcvSetReplyBody replaces the body of a recorded reply, keeping its
// Content-Length right.
func rcvSetReplyBody(rec *httptest.ResponseRecorder, b []byte) {
	rec.Body = bytes.NewBuffer(b)
	rec.Header().Set("Content-Length", strconv.Itoa(len(b)))
}
