package strictpeer

import (
	"net/http"
	"testing"
)

// TestBinaryStatus covers what a binary-mode request is accepted or refused
// for.
func TestBinaryStatus(t *testing.T) {
	srv := newServer(t, Options{})
	ok, bad := http.StatusNoContent, http.StatusBadRequest
	cases := []struct {
		name    string
		headers []header
		body    string
		want    int
	}{
		{"minimal", minimal(), "", ok},
		{"with data and type", append(minimal(), header{"Content-Type", "text/plain"}), "hi", ok},
		{"data without Content-Type", minimal(), "raw", ok},
		{"header names in any case", []header{{"CE-SPECVERSION", "1.0"}, {"Ce-Id", "1"}, {"cE-sOuRcE", "/s"}, {"ce-TYPE", "t"}}, "", ok},
		{"all optional attributes", append(minimal(),
			header{"ce-subject", "sub"}, header{"ce-time", "2018-04-05T17:31:00Z"},
			header{"ce-dataschema", "https://example.com/schema"}, header{"Content-Type", "application/json"}), "{}", ok},
		{"extension", with(minimal(), "ce-comexampleextension1", "value"), "", ok},
		{"extension named data", with(minimal(), "ce-data", "x"), "", ok},
		{"name longer than 20", with(minimal(), "ce-abcdefghijklmnopqrstuvwxyz0123456789", "x"), "", ok},
		{"documented extension not checked", with(minimal(), "ce-traceparent", "not-a-trace"), "", ok},
		{"empty extension value", with(minimal(), "ce-ext", ""), "", ok},
		{"non-ce headers ignored", append(minimal(), header{"X-Id", "\"unterminated"}, header{"cesubject", "%zz"}), "", ok},

		{"no headers", nil, "", bad},
		{"missing specversion", without(minimal(), "ce-specversion"), "", bad},
		{"missing id", without(minimal(), "ce-id"), "", bad},
		{"missing source", without(minimal(), "ce-source"), "", bad},
		{"missing type", without(minimal(), "ce-type"), "", bad},
		{"empty id", with(minimal(), "ce-id", ""), "", bad},
		{"empty type", with(minimal(), "ce-type", `""`), "", bad},
		{"specversion 0.3", with(minimal(), "ce-specversion", "0.3"), "", bad},
		{"specversion 1.0.2", with(minimal(), "ce-specversion", "1.0.2"), "", bad},
		{"specversion 1", with(minimal(), "ce-specversion", "1"), "", bad},
		{"header twice", append(minimal(), header{"ce-id", "2"}), "", bad},
		{"header twice, cases differ", append(minimal(), header{"CE-ID", "1"}), "", bad},
		{"ce-datacontenttype", append(minimal(), header{"ce-datacontenttype", "text/plain"}), "", bad},
		{"ce-datacontenttype with Content-Type", append(minimal(), header{"ce-datacontenttype", "text/plain"}, header{"Content-Type", "text/plain"}), "x", bad},
		{"empty attribute name", with(minimal(), "ce-", "x"), "", bad},
		{"underscore in name", with(minimal(), "ce-foo_bar", "x"), "", bad},
		{"data_base64 header", with(minimal(), "ce-data_base64", "eA=="), "", bad},
		{"empty subject", with(minimal(), "ce-subject", ""), "", bad},
		{"quoted empty subject", with(minimal(), "ce-subject", `""`), "", bad},

		{"percent upper hex", with(minimal(), "ce-subject", "%E2%82%AC"), "", ok},
		{"percent lower hex", with(minimal(), "ce-subject", "%e2%82%ac"), "", ok},
		{"needlessly encoded", with(minimal(), "ce-specversion", "%31%2E%30"), "", ok},
		{"percent at end", with(minimal(), "ce-subject", "100%"), "", bad},
		{"percent one digit", with(minimal(), "ce-subject", "%4"), "", bad},
		{"percent not hex", with(minimal(), "ce-subject", "%G1"), "", bad},
		{"percent then space", with(minimal(), "ce-subject", "a% 1"), "", bad},
		{"overlong UTF-8", with(minimal(), "ce-subject", "%C0%A0"), "", bad},
		{"encoded surrogate", with(minimal(), "ce-subject", "%ED%A0%80"), "", bad},
		{"truncated UTF-8", with(minimal(), "ce-subject", "%E2%82"), "", bad},
		{"lone continuation byte", with(minimal(), "ce-subject", "%80"), "", bad},
		{"decoded newline", with(minimal(), "ce-subject", "a%0Ab"), "", bad},
		{"decoded NUL", with(minimal(), "ce-subject", "%00"), "", bad},
		{"decoded DEL", with(minimal(), "ce-subject", "%7F"), "", bad},
		{"decoded C1 control", with(minimal(), "ce-subject", "%C2%80"), "", bad},
		{"noncharacter U+FDD0", with(minimal(), "ce-subject", "%EF%B7%90"), "", bad},
		{"noncharacter U+FFFE", with(minimal(), "ce-subject", "%EF%BF%BE"), "", bad},
		{"noncharacter U+10FFFF", with(minimal(), "ce-subject", "%F4%8F%BF%BF"), "", bad},
		{"U+FFFD is a character", with(minimal(), "ce-subject", "%EF%BF%BD"), "", ok},
		{"raw UTF-8 byte", with(minimal(), "ce-subject", "caf\xc3\xa9"), "", bad},
		{"raw tab", with(minimal(), "ce-subject", "a\tb"), "", bad},

		{"quoted value", with(minimal(), "ce-subject", `"hello world"`), "", ok},
		{"quoted with escapes", with(minimal(), "ce-subject", `"say \"hi\""`), "", ok},
		{"unterminated quote", with(minimal(), "ce-subject", `"abc`), "", bad},
		{"lone quote", with(minimal(), "ce-subject", `5"`), "", bad},
		{"backslash ends quote", with(minimal(), "ce-subject", `"abc\`), "", bad},
		{"quoted malformed percent", with(minimal(), "ce-subject", `"50%"`), "", bad},

		{"source absolute", with(minimal(), "ce-source", "https://github.com/cloudevents"), "", ok},
		{"source mailto", with(minimal(), "ce-source", "mailto:cncf-wg-serverless@lists.cncf.io"), "", ok},
		{"source urn", with(minimal(), "ce-source", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"), "", ok},
		{"source phone-like", with(minimal(), "ce-source", "1-555-123-4567"), "", ok},
		{"source with space", with(minimal(), "ce-source", "/a%20b"), "", bad},
		{"source colon in first segment", with(minimal(), "ce-source", "1:2"), "", bad},
		{"source broken IP literal", with(minimal(), "ce-source", "http://[::1/x"), "", bad},
		{"time lower-case", with(minimal(), "ce-time", "2018-04-05t17:31:00.123z"), "", ok},
		{"time offset", with(minimal(), "ce-time", "2018-04-05T17:31:00%2B02:00"), "", ok},
		{"time without offset", with(minimal(), "ce-time", "2018-04-05T17:31:00"), "", bad},
		{"time February 30", with(minimal(), "ce-time", "2018-02-30T00:00:00Z"), "", bad},
		{"time date only", with(minimal(), "ce-time", "2018-04-05"), "", bad},
		{"dataschema relative", with(minimal(), "ce-dataschema", "/schema"), "", bad},
		{"dataschema fragment", with(minimal(), "ce-dataschema", "https://example.com/s#x"), "", bad},
		{"Content-Type empty", append(minimal(), header{"Content-Type", ""}), "x", bad},
		{"Content-Type no subtype", append(minimal(), header{"Content-Type", "text"}), "x", bad},
		{"Content-Type trailing slash", append(minimal(), header{"Content-Type", "text/"}), "x", bad},
		{"Content-Type bare parameter", append(minimal(), header{"Content-Type", "text/plain; charset"}), "x", bad},
		{"Content-Type quoted parameter", append(minimal(), header{"Content-Type", `text/plain; charset="utf-8"`}), "x", ok},
		{"Content-Type twice", append(minimal(), header{"Content-Type", "text/plain"}, header{"Content-Type", "text/plain"}), "x", bad},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			post(t, srv, c.headers, c.body, c.want)
		})
	}
}
