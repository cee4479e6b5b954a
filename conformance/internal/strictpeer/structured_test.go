package strictpeer

import (
	"net/http"
	"strings"
	"testing"
)

// TestStructuredStatus covers what a JSON-format body is accepted or refused
// for.
func TestStructuredStatus(t *testing.T) {
	srv := newServer(t, Options{})
	ok, bad := http.StatusNoContent, http.StatusBadRequest
	cases := []struct {
		name string
		body string
		want int
	}{
		{"minimal", object(""), ok},
		{"white space around", " \t\r\n" + object("") + "\n ", ok},
		{"spec example", `{
			"specversion" : "1.0",
			"type" : "com.github.pull_request.opened",
			"source" : "https://github.com/cloudevents/spec/pull",
			"subject" : "123",
			"id" : "A234-1234-1234",
			"time" : "2018-04-05T17:31:00Z",
			"comexampleextension1" : "value",
			"comexampleothervalue" : 5,
			"unsetextension": null,
			"datacontenttype" : "text/xml",
			"data" : "<much wow=\"xml\"/>"
		}`, ok},

		{"empty body", "", bad},
		{"only white space", "  ", bad},
		{"not JSON", "hello", bad},
		{"array", "[" + object("") + "]", bad},
		{"string", `"x"`, bad},
		{"trailing bytes", object("") + "x", bad},
		{"two objects", object("") + object(""), bad},
		{"trailing comma", object(`,`), bad},
		{"byte order mark", "\xef\xbb\xbf" + object(""), bad},
		{"invalid UTF-8 in string", object(`,"ext":"a` + "\xff" + `"`), bad},
		{"invalid UTF-8 in data", object(`,"data":"` + "\xc0\xa0" + `"`), bad},
		{"raw control in string", object(`,"ext":"a` + "\x01" + `"`), bad},
		{"single quotes", `{'specversion':'1.0'}`, bad},
		{"leading zero", object(`,"ext":01`), bad},
		{"bad escape", object(`,"ext":"\x"`), bad},
		{"short unicode escape", object(`,"ext":"\u12"`), bad},
		{"unterminated", object("")[:20], bad},
		{"nested too deep", object(`,"data":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)), bad},
		{"nested deep but allowed", object(`,"data":` + strings.Repeat("[", 100) + strings.Repeat("]", 100)), ok},

		{"duplicate id", object(`,"id":"2"`), bad},
		{"duplicate via escape", object(`,"\u0069d":"2"`), bad},
		{"duplicate null", object(`,"ext":null,"ext":null`), bad},
		{"duplicate data", object(`,"data":1,"data":2`), bad},
		{"duplicate inside data", object(`,"data":{"a":1,"a":2}`), bad},
		{"same name in sibling objects", object(`,"data":[{"a":1},{"a":2}]`), ok},
		{"same name nested", object(`,"data":{"a":{"a":1}}`), ok},

		{"missing specversion", `{"id":"1","source":"/s","type":"t"}`, bad},
		{"null specversion", `{"specversion":null,"id":"1","source":"/s","type":"t"}`, bad},
		{"specversion 0.3", `{"specversion":"0.3","id":"1","source":"/s","type":"t"}`, bad},
		{"specversion number", `{"specversion":1.0,"id":"1","source":"/s","type":"t"}`, bad},
		{"missing id", `{"specversion":"1.0","source":"/s","type":"t"}`, bad},
		{"null id", `{"specversion":"1.0","id":null,"source":"/s","type":"t"}`, bad},
		{"empty id", `{"specversion":"1.0","id":"","source":"/s","type":"t"}`, bad},
		{"numeric id", `{"specversion":"1.0","id":1,"source":"/s","type":"t"}`, bad},
		{"missing source", `{"specversion":"1.0","id":"1","type":"t"}`, bad},
		{"missing type", `{"specversion":"1.0","id":"1","source":"/s"}`, bad},
		{"boolean subject", object(`,"subject":true`), bad},
		{"null subject", object(`,"subject":null`), ok},
		{"null time", object(`,"time":null`), ok},
		{"empty subject", object(`,"subject":""`), bad},
		{"time", object(`,"time":"2018-04-05T17:31:00.5-07:00"`), ok},
		{"time leap second", object(`,"time":"2016-12-31T23:59:60Z"`), ok},
		{"time comma fraction", object(`,"time":"2018-04-05T17:31:00,5Z"`), bad},
		{"time hour 24", object(`,"time":"2018-04-05T24:00:00Z"`), bad},
		{"dataschema", object(`,"dataschema":"urn:example:schema"`), ok},
		{"dataschema fragment", object(`,"dataschema":"https://example.com/s.json#/defs/a"`), bad},
		{"dataschema empty", object(`,"dataschema":""`), bad},
		{"source empty", `{"specversion":"1.0","id":"1","source":"","type":"t"}`, bad},
		{"source IPv6", `{"specversion":"1.0","id":"1","source":"http://[2001:db8::7]:8080/c","type":"t"}`, ok},
		{"source with zone", `{"specversion":"1.0","id":"1","source":"http://[fe80::1%eth0]/","type":"t"}`, bad},
		{"source bad percent", `{"specversion":"1.0","id":"1","source":"/a%zz","type":"t"}`, bad},
		{"datacontenttype", object(`,"datacontenttype":"application/json; charset=utf-8"`), ok},
		{"datacontenttype invalid", object(`,"datacontenttype":"json"`), bad},
		{"datacontenttype trailing ;", object(`,"datacontenttype":"text/plain;"`), bad},

		{"extension integer", object(`,"ext":5`), ok},
		{"extension negative", object(`,"ext":-5`), ok},
		{"extension minus zero", object(`,"ext":-0`), ok},
		{"extension int32 max", object(`,"ext":2147483647`), ok},
		{"extension int32 min", object(`,"ext":-2147483648`), ok},
		{"extension above int32", object(`,"ext":2147483648`), bad},
		{"extension below int32", object(`,"ext":-2147483649`), bad},
		{"extension fraction", object(`,"ext":1.5`), bad},
		{"extension point zero", object(`,"ext":1.0`), bad},
		{"extension exponent", object(`,"ext":1e2`), bad},
		{"extension true", object(`,"ext":true`), ok},
		{"extension false", object(`,"ext":false`), ok},
		{"extension null", object(`,"ext":null`), ok},
		{"extension empty string", object(`,"ext":""`), ok},
		{"extension object", object(`,"ext":{}`), bad},
		{"extension array", object(`,"ext":[]`), bad},
		{"extension named data_x", object(`,"data_x":"1"`), bad},
		{"upper-case name", object(`,"Ext":"1"`), bad},
		{"upper-case null member", object(`,"Ext":null`), bad},
		{"upper-case core name", `{"SpecVersion":"1.0","specversion":"1.0","id":"1","source":"/s","type":"t"}`, bad},
		{"empty name", object(`,"":"1"`), bad},
		{"escaped control", object(`,"ext":"a\u0000"`), bad},
		{"escaped newline", object(`,"ext":"a\nb"`), bad},
		{"raw DEL", object(`,"ext":"a` + "\x7f" + `"`), bad},
		{"escaped C1", object(`,"ext":"\u0085"`), bad},
		{"noncharacter", object(`,"ext":"\uFFFF"`), bad},
		{"noncharacter raw", object(`,"ext":"` + "\uFDD0" + `"`), bad},
		{"lone high surrogate", object(`,"ext":"\uD800"`), bad},
		{"lone low surrogate", object(`,"ext":"\uDEAD"`), bad},
		{"reversed pair", object(`,"ext":"\uDEAD\uD800"`), bad},
		{"surrogate pair", object(`,"ext":"\uD800\uDEAD"`), ok},
		{"escaped solidus", object(`,"ext":"a\/b"`), ok},

		{"data object", object(`,"data":{"a":1}`), ok},
		{"data null", object(`,"data":null`), ok},
		{"data lone surrogate in JSON", object(`,"data":"\uD800"`), ok},
		{"data text", object(`,"datacontenttype":"text/plain","data":"hi"`), ok},
		{"data text lone surrogate", object(`,"datacontenttype":"text/plain","data":"\uD800"`), bad},
		{"data text number", object(`,"datacontenttype":"text/plain","data":5`), bad},
		{"data text null", object(`,"datacontenttype":"text/plain","data":null`), bad},
		{"data text object", object(`,"datacontenttype":"text/plain","data":{}`), bad},
		{"data +json suffix", object(`,"datacontenttype":"application/vnd.x+json","data":[1]`), ok},
		{"data_base64", object(`,"data_base64":"AAEC/w=="`), ok},
		{"data_base64 empty", object(`,"data_base64":""`), ok},
		{"data_base64 and data", object(`,"data_base64":"AA==","data":1`), bad},
		{"data_base64 and null data", object(`,"data_base64":"AA==","data":null`), bad},
		{"data_base64 null", object(`,"data_base64":null`), ok},
		{"data_base64 null beside data", object(`,"data_base64":null,"data":1`), ok},
		{"data_base64 number", object(`,"data_base64":5`), bad},
		{"data_base64 no padding", object(`,"data_base64":"AA"`), bad},
		{"data_base64 url alphabet", object(`,"data_base64":"-_8="`), bad},
		{"data_base64 line break", object(`,"data_base64":"AAAA\nAAAA"`), bad},
		{"data_base64 pad bits", object(`,"data_base64":"AB=="`), bad},
		{"data_base64 space", object(`,"data_base64":"AA== "`), bad},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			post(t, srv, []header{ceJSON}, c.body, c.want)
		})
	}
}

// TestBatchStatus covers the JSON batch format.
func TestBatchStatus(t *testing.T) {
	srv := newServer(t, Options{Reply: true}) // batches never get a reply
	ok, bad := http.StatusNoContent, http.StatusBadRequest
	cases := []struct {
		name string
		body string
		want int
	}{
		{"empty", "[]", ok},
		{"empty with space", " [ ] ", ok},
		{"one", "[" + object("") + "]", ok},
		{"two", "[" + object("") + "," + object(`,"data_base64":"AA=="`) + "]", ok},
		{"object instead of array", object(""), bad},
		{"second invalid", "[" + object("") + `,{"specversion":"1.0"}]`, bad},
		{"element not object", "[" + object("") + ",1]", bad},
		{"null element", "[null]", bad},
		{"nested array", "[[" + object("") + "]]", bad},
		{"other specversion", "[" + object("") + `,{"specversion":"0.3","id":"1","source":"/s","type":"t"}]`, bad},
		{"trailing comma", "[" + object("") + ",]", bad},
		{"trailing bytes", "[]]", bad},
		{"empty body", "", bad},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, srv, []header{ceBatch}, c.body, c.want)
			if c.want == ok && r.body != "" {
				t.Errorf("batch answered with a body: %q", r.body)
			}
		})
	}
}
