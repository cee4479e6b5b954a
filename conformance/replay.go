package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/openevents/openevents/event/binding"
)

// DefaultReplayMaxBytes is ReadReplay's default bound on a file's size.
const DefaultReplayMaxBytes = 4 << 20

// replayBodyLimit bounds how much of a refusal's response body is kept
// for the error message.
const replayBodyLimit = 1 << 10

// ReplayEvent is one event of a replay file.
type ReplayEvent struct {
	// File names the file, Index is the event's place in it (1 for the
	// first document) and Line the line its document starts on.
	File  string
	Index int
	Line  int
	// Mode is ModeBinary or ModeStructured.
	Mode Mode
	// Attributes are the context attributes in file order, then the
	// extensions in file order.
	Attributes []ReplayAttribute
	// Header holds the TransportExtensions, name and value, in file
	// order.
	Header [][2]string
	// Data is the data as written; HasData tells an empty Data from
	// none.
	Data    string
	HasData bool
	// Omitted names the attributes and headers left out because their
	// value was empty or null, in file order.
	Omitted []string
}

// ReplayAttribute is one attribute of a ReplayEvent: its name on the
// wire (datacontentencoding for that project's "dataecontentncoding")
// and its value as the file's text.
type ReplayAttribute struct {
	Name      string
	Value     string
	Extension bool
}

// Attribute returns the value of the named attribute and whether the
// event has it.
func (e *ReplayEvent) Attribute(name string) (string, bool) {
	for _, a := range e.Attributes {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// String names the event for a person: file, index and line.
func (e *ReplayEvent) String() string {
	return fmt.Sprintf("%s#%d (line %d)", e.File, e.Index, e.Line)
}

// replayAttributes maps the keys ContextAttributes may hold to the
// attribute names sent on the wire.
var replayAttributes = map[string]string{
	"specversion":     "specversion",
	"id":              "id",
	"source":          "source",
	"type":            "type",
	"datacontenttype": "datacontenttype",
	"dataschema":      "dataschema",
	"subject":         "subject",
	"time":            "time",
	"schemaurl":       "schemaurl", // 0.3
	// 0.3: the cloudevents/conformance project's field carries this
	// spelling of datacontentencoding; both are read.
	"dataecontentncoding": "datacontentencoding",
	"datacontentencoding": "datacontentencoding",
}

// ReadReplayFile reads the replay file at path, refusing one larger than
// maxBytes (DefaultReplayMaxBytes when 0 or less). See ReadReplay.
func ReadReplayFile(path string, maxBytes int64) ([]ReplayEvent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: replay: %w", err)
	}
	defer func() { _ = f.Close() }()
	return ReadReplay(f, path, maxBytes)
}

// ReadReplay reads the events of one YAML event file of the
// cloudevents/conformance project from r, so that files written for that
// project's tools keep working here; Replay sends them.
//
// A file holds one event per YAML document (documents separated by
// "---"), each a mapping of at most four keys:
//
//	Mode: binary or structured (absent: binary)
//	ContextAttributes: the attributes (specversion, id, source, type,
//	  datacontenttype, dataschema, subject, time, and the 0.3 schemaurl
//	  and datacontentencoding, which that project spells
//	  "dataecontentncoding"), with the extensions in a mapping
//	  named Extensions inside it
//	TransportExtensions: extra HTTP headers
//	Data: the data, as text
//
// Every value is read as the text written in the file: an unquoted
// "specversion: 1.0" is the string "1.0", not a number, and "count: 5"
// the extension value "5". As that project's tools do, white space
// around an attribute or header value is trimmed (its files write some
// values as "|" blocks, which end in a newline), and an attribute or
// header that is empty then, or null ("subject:" with nothing after it),
// is left out and named in ReplayEvent.Omitted. Data is kept as written.
// Anything else (an unknown key, a sequence where text belongs, an
// alias) is refused with its line, never skipped.
//
// name is the file's name for the events and errors. ReadReplay reads
// at most maxBytes (DefaultReplayMaxBytes when 0 or less) and refuses a
// longer file whole. The events come back in file order; an error names the file and
// the line of each problem, all of them joined, and no event is returned
// with it.
func ReadReplay(r io.Reader, name string, maxBytes int64) ([]ReplayEvent, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultReplayMaxBytes
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("conformance: replay: %s: %w", name, err)
	}
	if int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("conformance: replay: %s: larger than the limit of %d bytes (--max-file-size)", name, maxBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var events []ReplayEvent
	var errs []error
	index := 0 // the event's number: documents that hold one
	for doc := 1; ; doc++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A syntax error ends the stream: the decoder cannot
			// resynchronise.
			errs = append(errs, fmt.Errorf("conformance: replay: %s: document %d: %w", name, doc, err))
			break
		}
		if n.Kind == yaml.DocumentNode && (len(n.Content) == 0 || replayNull(n.Content[0])) {
			continue // an empty document (comments only) holds no event
		}
		index++
		e, err := readReplayEvent(&n, name, index)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		events = append(events, e)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return events, nil
}

func replayNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// readReplayEvent reads one document.
func readReplayEvent(doc *yaml.Node, name string, index int) (ReplayEvent, error) {
	e := ReplayEvent{File: name, Index: index, Line: doc.Line, Mode: ModeBinary}
	var errs []error
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, fmt.Errorf("conformance: replay: %s:%d: event %d: %s", name, n.Line, index, fmt.Sprintf(format, args...)))
	}
	root := doc
	if doc.Kind == yaml.DocumentNode {
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		bad(root, "want a mapping of Mode, ContextAttributes, TransportExtensions and Data")
		return e, errors.Join(errs...)
	}
	e.Line = root.Line
	seenAttrs := false
	replayPairs(root, bad, func(k, v *yaml.Node) {
		switch k.Value {
		case "Mode":
			s, ok := replayScalar(v, bad, "Mode")
			s = strings.TrimSpace(s)
			switch {
			case !ok:
			case s == "" || s == string(ModeBinary):
				e.Mode = ModeBinary
			case s == string(ModeStructured):
				e.Mode = ModeStructured
			default:
				bad(v, "Mode %q: want binary or structured", s)
			}
		case "ContextAttributes":
			seenAttrs = true
			readReplayAttributes(&e, v, bad)
		case "TransportExtensions":
			replayPairs(v, bad, func(hk, hv *yaml.Node) {
				if s, ok := replayScalar(hv, bad, "TransportExtensions."+hk.Value); ok {
					if !replayHeaderName(hk.Value) {
						bad(hk, "TransportExtensions: %q is not an HTTP header name", hk.Value)
					}
					if s = strings.TrimSpace(s); s == "" {
						e.Omitted = append(e.Omitted, hk.Value)
						return
					}
					e.Header = append(e.Header, [2]string{hk.Value, s})
				}
			})
		case "Data":
			if s, ok := replayScalar(v, bad, "Data"); ok && !replayNull(v) {
				e.Data, e.HasData = s, true
			}
		default:
			bad(k, "unknown key %q: want Mode, ContextAttributes, TransportExtensions or Data", k.Value)
		}
	})
	if !seenAttrs {
		bad(root, "no ContextAttributes")
	}
	return e, errors.Join(errs...)
}

// readReplayAttributes reads ContextAttributes into e.
func readReplayAttributes(e *ReplayEvent, m *yaml.Node, bad func(*yaml.Node, string, ...any)) {
	var exts []ReplayAttribute
	seen := map[string]bool{}
	add := func(k *yaml.Node, a ReplayAttribute) {
		a.Value = strings.TrimSpace(a.Value)
		if a.Value == "" {
			e.Omitted = append(e.Omitted, a.Name)
			return
		}
		if seen[a.Name] {
			bad(k, "attribute %s is given twice", a.Name)
			return
		}
		seen[a.Name] = true
		if a.Extension {
			exts = append(exts, a)
		} else {
			e.Attributes = append(e.Attributes, a)
		}
	}
	replayPairs(m, bad, func(k, v *yaml.Node) {
		if k.Value == "Extensions" {
			replayPairs(v, bad, func(xk, xv *yaml.Node) {
				if s, ok := replayScalar(xv, bad, "Extensions."+xk.Value); ok {
					add(xk, ReplayAttribute{Name: xk.Value, Value: s, Extension: true})
				}
			})
			return
		}
		wire, known := replayAttributes[k.Value]
		if !known {
			bad(k, "unknown attribute %q in ContextAttributes: extensions go in ContextAttributes.Extensions", k.Value)
			return
		}
		if s, ok := replayScalar(v, bad, k.Value); ok {
			add(k, ReplayAttribute{Name: wire, Value: s})
		}
	})
	e.Attributes = append(e.Attributes, exts...)
}

// replayPairs calls f for each key and value of mapping m, refusing
// anything but a mapping with scalar keys. A null m (a key with nothing
// after it) is an empty mapping.
func replayPairs(m *yaml.Node, bad func(*yaml.Node, string, ...any), f func(k, v *yaml.Node)) {
	if replayNull(m) {
		return
	}
	if m.Kind == yaml.AliasNode {
		bad(m, "aliases are not supported: write the value out")
		return
	}
	if m.Kind != yaml.MappingNode {
		bad(m, "want a mapping")
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			bad(k, "want a plain key")
			continue
		}
		f(k, v)
	}
}

// replayScalar returns the text of a scalar node as written (so 1.0 stays
// "1.0"), refusing anything else.
func replayScalar(n *yaml.Node, bad func(*yaml.Node, string, ...any), what string) (string, bool) {
	switch {
	case replayNull(n):
		return "", true // null, ~ or nothing: no value
	case n.Kind == yaml.ScalarNode:
		return n.Value, true
	case n.Kind == yaml.AliasNode:
		bad(n, "%s: aliases are not supported: write the value out", what)
	default:
		bad(n, "%s: want text, not a mapping or sequence", what)
	}
	return "", false
}

// replayHeaderName reports whether s is an HTTP field name (RFC 9110
// token).
func replayHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Request builds the HTTP POST that carries e to url in its mode.
//
// Binary mode: each attribute is a ce- header, datacontenttype is
// Content-Type, the data is the body. A 1.0 event's header values are
// percent-encoded as the HTTP binding asks of a producer
// (HTTP-HEADER-VALUE-1); a 0.3 event's are sent as written, 0.3 having no
// such rule. Structured mode: a JSON object with every attribute as a
// JSON string, and the data as JSON when datacontenttype is absent or a
// JSON type (Data must then be JSON), as a JSON string otherwise; the
// Content-Type is application/cloudevents+json; charset=UTF-8. In both
// modes a TransportExtensions header replaces any header of the same
// name the event would set. Errors are a URL the request cannot be built
// for and, in structured mode, JSON-typed data that is not JSON.
func (e *ReplayEvent) Request(ctx context.Context, url string) (*http.Request, error) {
	var body []byte
	h := http.Header{}
	switch e.Mode {
	case ModeStructured:
		b, err := e.structured()
		if err != nil {
			return nil, err
		}
		body = b
		h.Set("Content-Type", "application/cloudevents+json; charset=UTF-8")
	default:
		v, _ := e.Attribute("specversion")
		encode := v != "0.3"
		for _, a := range e.Attributes {
			val := a.Value
			if encode {
				val = string(binding.AppendHeaderValue(nil, a.Value))
			}
			if a.Name == "datacontenttype" {
				h.Set("Content-Type", a.Value)
				continue
			}
			h.Set("Ce-"+a.Name, val)
		}
		body = []byte(e.Data)
	}
	for _, kv := range e.Header {
		h.Del(kv[0])
	}
	for _, kv := range e.Header {
		h.Add(kv[0], kv[1])
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("conformance: replay: %w", err)
	}
	req.Header = h
	return req, nil
}

// structured encodes e in the JSON event format, attributes in file
// order.
func (e *ReplayEvent) structured() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, a := range e.Attributes {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(a.Name)
		v, _ := json.Marshal(a.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	if e.HasData {
		if len(e.Attributes) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"data":`)
		ct, _ := e.Attribute("datacontenttype")
		if replayJSONType(ct) {
			var c bytes.Buffer
			if err := json.Compact(&c, []byte(e.Data)); err != nil {
				return nil, fmt.Errorf("conformance: replay: %s: structured mode with JSON data (datacontenttype %q), but Data is not JSON: %w", e, ct, err)
			}
			b.Write(c.Bytes())
		} else {
			v, _ := json.Marshal(e.Data)
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// replayJSONType reports whether a datacontenttype makes data JSON in the
// JSON format: absent, application/json or a +json suffix.
func replayJSONType(ct string) bool {
	if ct == "" {
		return true
	}
	t, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return t == "application/json" || strings.HasSuffix(t, "+json") || strings.HasPrefix(t, "text/json")
}

// ReplayError is a delivery the receiver refused: a status outside 2xx,
// with the start of the response body.
type ReplayError struct {
	Status int
	// Body is the response body's first KiB.
	Body string
}

func (e *ReplayError) Error() string {
	msg := fmt.Sprintf("refused: %d %s", e.Status, http.StatusText(e.Status))
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// Replay sends e to url with client (nil: http.DefaultClient) and
// returns the response status. The context bounds the exchange. A status
// outside 2xx comes back with a *ReplayError; a request that could not
// be built or sent with that error, and status 0. The response body is
// read (its first KiB kept for a ReplayError) and closed.
func Replay(ctx context.Context, client *http.Client, url string, e *ReplayEvent) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := e.Request(ctx, url)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("conformance: replay: %s: %w", e, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, replayBodyLimit))
	// Drain a bounded amount more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, &ReplayError{Status: resp.StatusCode, Body: string(b)}
	}
	return resp.StatusCode, nil
}
