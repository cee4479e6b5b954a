package jsonformat

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/eventtest"
)

// mutationBytes are the bytes TestFastPathAgrees writes into, inserts into
// and checks at every position of its base documents: structure, white
// space, escapes, controls, non-ASCII and number and name characters.
const mutationBytes = "\"\\ \n\t\x00\x01\x1f\x7f\x80\xc3\xa9\xff{}[]:,.-+eE019aAzZ_tfnu/"

// mutations returns docs and every document that differs from one of them
// by one byte replaced, inserted or deleted.
func mutations(docs ...string) []string {
	var out []string
	for _, doc := range docs {
		out = append(out, doc)
		for p := 0; p <= len(doc); p++ {
			if p < len(doc) {
				out = append(out, doc[:p]+doc[p+1:])
			}
			for _, c := range []byte(mutationBytes) {
				out = append(out, doc[:p]+string(c)+doc[p:])
				if p < len(doc) && doc[p] != c {
					out = append(out, doc[:p]+string(c)+doc[p+1:])
				}
			}
		}
	}
	return out
}

// fastPathDocs are the events whose shapes the fast path takes or must
// refuse, besides the test corpus.
var fastPathDocs = []string{
	eventtest.Typical,
	eventtest.Large,
	typicalEvent,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","dataschema":"https://x/s","zz":-123456789,"ab":true,"m":false,"data":"x"}`,
	`{ "specversion" : "1.0" , "id" : "é" , "source" : "/s" , "type" : "t" , "b" : 0 , "a" : "x" , "data" : [ 1 , 2 ] }`,
	"{\n\t\"specversion\": \"1.0\",\n\t\"id\": \"1\",\n\t\"source\": \"/s\",\n\t\"type\": \"t\",\n\t\"c\": \"\",\n\t\"subject\": \"\"\n}",
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","e1":1,"e1":2}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","x":"a\"b","y":1.5,"z":null,"data_base64":"AA=="}`,
	`{"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"https://x","datacontentencoding":"base64","data":"AAE="}`,
	`{"specversion":"1.0","id":"1","source":"/s","type":"t","abcdefgh":"12345678","abcdefghijklmnopq":2147483647,"n":-0}`,
}

// atAllocationEnd returns a copy of s that ends where its heap allocation
// ends, so that under -race checkptr reports any word load (load64At) that
// reads past the end of the input.
func atAllocationEnd(s string) []byte {
	const size = 8192 // a size class: the allocation is exactly this long
	if len(s) > size {
		return []byte(s)
	}
	buf := make([]byte, size)
	b := buf[size-len(s):]
	copy(b, s)
	return b
}

// decodeBoth decodes in by the public path (fast path on) and by the
// general path alone, and fails t when they differ in anything.
func decodeBoth(t *testing.T, in string) {
	t.Helper()
	var fast, general event.Event
	fast.SetExtension("stale", event.Integer(1)) // Decode must replace all
	general.SetExtension("stale", event.Integer(1))
	errFast := Decode(atAllocationEnd(in), &fast)
	g := decoder{general: true}
	g.init([]byte(in))
	errGeneral := g.decode([]byte(in), &general)
	if !reflect.DeepEqual(errFast, errGeneral) {
		t.Fatalf("%q:\n fast path error    %v\n general path error %v", in, errFast, errGeneral)
	}
	if !fast.Equal(&general) || fast.HasData() != general.HasData() || fast.IsBinaryData() != general.IsBinaryData() ||
		!reflect.DeepEqual(fast.Validate(), general.Validate()) {
		t.Fatalf("%q: events differ:\n fast    %+v\n general %+v", in, fast, general)
	}

	batch := "[" + eventtest.Typical + "," + in + "," + typicalEvent + "]"
	fastEvents, errFast := DecodeBatch(atAllocationEnd(batch), nil)
	g = decoder{general: true}
	g.init([]byte(batch))
	generalEvents, errGeneral := g.decodeBatch([]byte(batch), nil)
	if !reflect.DeepEqual(errFast, errGeneral) || len(fastEvents) != len(generalEvents) {
		t.Fatalf("batch with %q:\n fast path    %d events, %v\n general path %d events, %v",
			in, len(fastEvents), errFast, len(generalEvents), errGeneral)
	}
	for i := range fastEvents {
		if !fastEvents[i].Equal(&generalEvents[i]) {
			t.Fatalf("batch with %q: event %d differs", in, i)
		}
	}
}

// TestFastPathAgrees checks that Decode and DecodeBatch with fastMembers
// return exactly what the general path alone returns (events, errors,
// offsets, pointers) on the corpus and on every one-byte mutation of
// documents of the shapes the fast path takes.
func TestFastPathAgrees(t *testing.T) {
	cases, err := eventtest.Corpus()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		decodeBoth(t, string(c.Data))
	}
	docs := mutations(fastPathDocs...)
	if testing.Short() {
		docs = mutations(fastPathDocs[:2]...)
	}
	for _, in := range docs {
		decodeBoth(t, in)
	}
	// The common documents at every offset from the stop index's 64-byte
	// words, so that each string ends in the word it starts in and in a
	// later one.
	for pad := range 64 {
		for _, doc := range fastPathDocs[:3] {
			decodeBoth(t, strings.Repeat(" ", pad)+doc)
		}
	}
	// Extension names and values at the edges of the fast path's word
	// loads, and integers at the edges of its digit count.
	for n := 0; n <= 18; n++ {
		name := strings.Repeat("a", n)
		for _, v := range []string{`""`, `"` + name + `"`, "1", "-1", "123456789", "1234567890", "-999999999", "0", "00", "true"} {
			decodeBoth(t, obj(fmt.Sprintf(`"%s":%s,"b%s":1`, name, v, name)))
			decodeBoth(t, fmt.Sprintf(`{"%s":%s}`, name, v))
		}
	}
}

// FuzzFastPathAgrees is TestFastPathAgrees on fuzzed input.
func FuzzFastPathAgrees(f *testing.F) {
	fuzzSeeds(f)
	for _, doc := range fastPathDocs {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		decodeBoth(t, string(in))
	})
}

// TestFastPathTaken checks that the common shapes do take the fast path,
// so that TestFastPathAgrees compares two paths and not one with itself.
func TestFastPathTaken(t *testing.T) {
	for _, in := range fastPathDocs[:5] {
		var d decoder
		d.init([]byte(in))
		var e event.Event
		o := object{index: -1}
		if d.expect('{', "") != nil || !d.fastMembers(&e, nil, &o) {
			t.Errorf("fast path refused %q", in)
		}
	}
}

// skipValueDocs are JSON values (and near misses) for TestSkipValueAgrees.
var skipValueDocs = []string{
	`{"order":12345,"customer":"c-42","items":[{"sku":"A-1","qty":2,"price":4.5},{"sku":"B-7","qty":1,"price":10.99}],"total":19.99,"paid":true}`,
	`[0,-1,1.5e3,12345678,1234567.1234567,0.12345678,1E+2,-0.0,123456789012345678901234567890]`,
	` { "a" : [ true , false , null , "x\"y\\z\u00e9" ] , "bb" : { } , "c" : [ ] , "dddddddddddddddd" : "é😀" } `,
	`{"a":{"b":{"c":[[[[{"d":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"}]]]]}}}`,
	` { "a" : [ true , false , null , "x\"y\\z\u00e9\n" ] , "bb" : { } , "c" : [ ] } `,
	`{"":0,"a":"1","ab":[2],"abc":{},"abcd":-4,"abcde":5.5,"abcdef":true,"abcdefg":"7","abcdefgh":8,"abcdefghi":{"j":null}}`,
	`"a string that is longer than sixteen bytes"`,
	`12345`, `"x"`, `null`, `true`,
}

// valueEnd runs the detailed scan alone and returns where it stopped, or
// -1 if it refused the input.
func valueEnd(in []byte) int {
	s := scanner{in: in}
	if s.valueDetailed() != nil {
		return -1
	}
	return s.pos
}

func skipValueAgrees(t *testing.T, in []byte) {
	t.Helper()
	want := valueEnd(in)
	end, ok := skipValue(atAllocationEnd(string(in)), 0)
	if !ok {
		end = -1
	}
	if end != want {
		t.Fatalf("skipValue(%q) = %d, the detailed scan %d", in, end, want)
	}
	// skipCommon may give up on what it cannot take, but what it takes it
	// must take right.
	if end, ok := skipCommon(atAllocationEnd(string(in)), 0); ok && end != want {
		t.Fatalf("skipCommon(%q) = %d, the detailed scan %d", in, end, want)
	}
}

// TestSkipCommonTaken checks that skipCommon takes the values it is made
// for, so that TestSkipValueAgrees tests it and not only skipGeneral.
func TestSkipCommonTaken(t *testing.T) {
	for _, doc := range []string{
		skipValueDocs[0], skipValueDocs[1], skipValueDocs[3], skipValueDocs[4], skipValueDocs[5],
	} {
		in := []byte(doc + `,"next":1}`)
		want := len(strings.TrimRight(doc, " "))
		if end, ok := skipCommon(in, 0); !ok || end != want {
			t.Errorf("skipCommon(%q) = %d, %v; want %d, true", in, end, ok, want)
		}
	}
}

// TestSkipValueAgrees checks that skipValue accepts exactly what
// valueDetailed accepts, and ends where it ends, on every one-byte
// mutation of documents that take each of its fast paths.
func TestSkipValueAgrees(t *testing.T) {
	docs := mutations(skipValueDocs...)
	for _, in := range docs {
		skipValueAgrees(t, []byte(in))
		skipValueAgrees(t, []byte(in+`,"next":1}`)) // a value inside a longer input
	}
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	skipValueAgrees(t, []byte(deep))
	skipValueAgrees(t, []byte("["+deep+"]"))
	skipValueAgrees(t, []byte(strings.Repeat(`{"a":`, maxDepth)+"1"+strings.Repeat("}", maxDepth)))
}

// FuzzSkipValueAgrees is TestSkipValueAgrees on fuzzed input.
func FuzzSkipValueAgrees(f *testing.F) {
	for _, doc := range skipValueDocs {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		skipValueAgrees(t, in)
	})
}
