package jsonformat

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"github.com/openevents/openevents/event"
)

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		obj(""),
		obj(`"subject":"a\"b","time":"2020-01-01T00:00:00Z","data":{"a":[1,2.5,null,true]}`),
		obj(`"datacontenttype":"text/plain","data":"x\u00e9\ud83d\ude00"`),
		obj(`"data_base64":"AAEC"`),
		obj(`"ext":1,"b":false,"s":"\u0041"`),
		`{"specversion":"0.3","id":"1","source":"/s","type":"t","datacontentencoding":"base64","data":"AA=="}`,
		`{"id":1,,}`, `[`, `"`, `{"a":"\udead"}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecode checks that decoding never panics, that whatever is accepted
// is valid JSON that encodes, and that decode→encode→decode is stable.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		var e event.Event
		if err := Decode(in, &e); err != nil {
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		out, err := Append(nil, &e)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", in, err)
		}
		var e2 event.Event
		if err := Decode(out, &e2); err != nil {
			t.Fatalf("re-decode of %q failed: %v", out, err)
		}
		if !e.Equal(&e2) {
			t.Fatalf("unstable round trip:\n in  %q\n out %q", in, out)
		}
		out2, err := Append(nil, &e2)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("encoding not stable: %q vs %q (%v)", out, out2, err)
		}
	})
}

// FuzzDecodeBatch checks the batch decoder the same way.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(`[` + obj("") + `,` + obj(`"a":1`) + `]`))
	f.Add([]byte(`[1,` + obj("") + `]`))
	var dec Decoder // reused across inputs, as a receive loop would
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, in []byte) {
		events, err := DecodeBatch(in, nil)
		mu.Lock()
		reused, rerr := dec.DecodeBatch(in, nil)
		if !reflect.DeepEqual(rerr, err) || len(reused) != len(events) {
			t.Fatalf("%q: Decoder gave %d events, %v; DecodeBatch %d, %v", in, len(reused), rerr, len(events), err)
		}
		for i := range events {
			if !reused[i].Equal(&events[i]) {
				t.Fatalf("%q: Decoder's event %d differs", in, i)
			}
		}
		mu.Unlock()
		if err != nil {
			return
		}
		out, err := AppendBatch(nil, events)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", in, err)
		}
		again, err := DecodeBatch(out, nil)
		if err != nil || len(again) != len(events) {
			t.Fatalf("re-decode of %q: %d events, %v", out, len(again), err)
		}
		for i := range events {
			if !events[i].Equal(&again[i]) {
				t.Fatalf("event %d changed in round trip", i)
			}
		}
	})
}
