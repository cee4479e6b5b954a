// Package strictpeer is a second, independent CloudEvents 1.0.2 HTTP
// receiver, written from the specification text alone and using only the
// standard library. The conformance suite runs against it to show that a
// correct provider which shares no code with this project passes clean: a
// failure against this peer points at the suite, or at a reading of the
// specification that the two disagree on.
//
// The receiver is deliberately strict. Where the 1.0.2 text says MUST it
// enforces it; where the text lets a receiver fail (a MAY) it fails, so that
// a suite which depends on the lenient choice shows up. None of the
// documented extensions is implemented: every attribute that is not a core
// attribute is only a name and a value of the type system.
//
// Decisions where the text leaves room (section names are from the 1.0.2
// documents):
//
//   - Content mode (HTTP binding 3): the media type before any ';' decides,
//     compared without regard to case. A type that starts with
//     application/cloudevents but is neither the JSON format nor the JSON
//     batch format is refused with 415 (the binding allows forwarding such a
//     message as binary; the web hook document asks for 415 when the format
//     is not understood, and this peer forwards nothing).
//   - Binary mode, ce-datacontenttype (binding 3.1.1): the header MUST NOT be
//     present, so a message carrying it is refused with 400.
//   - Binary mode, header values (binding 3.1.3.2): each value is first
//     unquoted, every quoted-string in it losing its quotes and backslash
//     escapes (RFC 7230 3.2.6), then percent-decoded once. An unterminated
//     quoted-string, a '%' not followed by two hex digits, decoded bytes that
//     are not UTF-8, and raw bytes outside printable ASCII (the binding
//     requires header values to be printable US-ASCII) are refused with 400.
//     A space sent without encoding is accepted: the MUST binds the sender,
//     and the value is not ambiguous.
//   - Binary mode, an empty or missing Content-Type: missing means the event
//     has no datacontenttype; present but empty is not a media type, so 400.
//   - JSON: exactly one value, RFC 8259 grammar, UTF-8 only (a byte order
//     mark is not white space, so it is refused), no member name twice in any
//     object, the data included. Content-Type parameters such as charset are
//     not looked at.
//   - JSON Integer (JSON format 2.2): only an integer component with an
//     optional minus sign; 5.0 and 5e0 are refused as well as 5.5.
//   - JSON null: an attribute whose value is null is absent (JSON format
//     2.2). data: null is not absent: with a JSON datacontenttype, or none,
//     it is the JSON value null (JSON format 3.1.1), and a reply carries the
//     four bytes "null".
//   - data under a datacontenttype that is not JSON (JSON format 3.1.2): the
//     member must be a JSON string, whose text becomes the data; anything
//     else, null included, is refused, as the format allows.
//   - data_base64 must be a JSON string in the standard alphabet with padding
//     (RFC 4648 section 4); line breaks and non-zero pad bits are refused.
//     data_base64: null counts as absent, as the format's JSON schema
//     (cloudevents.json) allows null there; data: null next to data_base64
//     is two data members and is refused.
//   - dataschema is a URI in the sense of the type system, which names RFC
//     3986 section 4.3 absolute-URI: a scheme is required and a fragment is
//     not allowed.
//   - time follows the RFC 3339 section 5.6 grammar: 'T' and 'Z' in either
//     case, a second of 60 allowed (leap seconds are not looked up), the day
//     checked against the month.
//   - datacontenttype follows RFC 2045 section 5.1 as HTTP writes it
//     (RFC 7231 3.1.1.1): type "/" subtype, then parameters of token "="
//     token or quoted-string, white space only around ';'.
//   - An extension named data is accepted (1.0.2 does not reserve the name).
//     Attribute names longer than 20 characters are accepted (the limit is a
//     SHOULD for producers).
//   - Statuses: an accepted event or batch is answered 204 No Content (the
//     web hook document's status for "accepted and processed, no payload").
//     With Options.Reply a single event is answered 200 with itself in
//     binary mode.
//   - Reply Content-Type: the event's datacontenttype; for a structured event
//     whose data member was present without a datacontenttype,
//     application/json, as JSON format 3.1.2 says a re-encoded event SHOULD
//     state the implied type; otherwise no Content-Type at all.
//   - WebHook-Allowed-Rate is always "*": this receiver does not throttle.
package strictpeer
