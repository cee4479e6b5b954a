package external

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// This file is the exec protocol's wire form (docs/exec-protocol.md): one
// JSON event per line to the child, one answer line back.

// appendEventLine appends e in the JSON event format and a newline.
// jsonformat escapes control characters in strings, but writes data of a
// JSON content type byte for byte, so a line break between JSON tokens of
// the data would split the line. Outside strings a raw CR or LF can only
// be such whitespace (the encoder refuses data that is not one JSON value,
// JSON-DATA-3, and inside JSON strings they must be escaped), so turning
// each into a space keeps the event's meaning.
func appendEventLine(dst []byte, e *event.Event) ([]byte, error) {
	start := len(dst)
	dst, err := jsonformat.Append(dst, e)
	if err != nil {
		return dst, err
	}
	body := dst[start:]
	for i := bytes.IndexAny(body, "\r\n"); i >= 0; {
		body[i] = ' '
		j := bytes.IndexAny(body[i+1:], "\r\n")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return append(dst, '\n'), nil
}

// answerKind is what an answer line said.
type answerKind uint8

const (
	answerReply answerKind = iota + 1 // a reply event
	answerNone                        // null: handled, no reply
	answerError                       // an error object
)

// violation is a protocol violation found in an answer; the caller adds
// the child's pid to make a *ProtocolError.
type violation string

func (v violation) Error() string { return string(v) }

// decodeAnswer reads one answer line (without its newline). It returns
// answerReply with the event decoded into reply, answerNone, or
// answerError with the child's *ChildError; a violation for a line the
// protocol does not allow; or a *ReplyError (its Pid unset) for an event
// that does not validate.
func decodeAnswer(line []byte, reply *event.Event) (answerKind, *ChildError, error) {
	t := bytes.Trim(line, " \t\r\n")
	if string(t) == "null" {
		return answerNone, nil, nil
	}
	if len(t) == 0 || t[0] != '{' {
		return 0, nil, violation("an answer is a JSON object or null")
	}
	err := jsonformat.Decode(t, reply)
	if err == nil {
		return answerReply, nil, nil
	}
	if _, ok := errors.AsType[*jsonformat.SyntaxError](err); ok {
		return 0, nil, violation("the answer is not one JSON value (" + err.Error() + ")")
	}
	// Well-formed JSON that is not a valid event: an error object, or an
	// invalid reply if it claims to be an event.
	var members map[string]json.RawMessage
	if json.Unmarshal(t, &members) != nil {
		return 0, nil, violation("the answer is not one JSON object")
	}
	if _, ok := members["specversion"]; ok {
		return 0, nil, &ReplyError{Err: err}
	}
	var ce ChildError
	msg, ok := members["error"]
	if !ok || json.Unmarshal(msg, &ce.Message) != nil || ce.Message == "" {
		return 0, nil, violation(`an object without "specversion" must be an error object with a non-empty string "error"`)
	}
	if perm, ok := members["permanent"]; ok && string(perm) != "null" {
		if json.Unmarshal(perm, &ce.Permanent) != nil {
			return 0, nil, violation(`"permanent" of an error object must be true, false or null`)
		}
	}
	return answerError, &ce, nil
}
