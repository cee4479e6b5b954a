package event

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// plainValid may only say "valid" where the full check finds nothing;
// these tests build events from pools of usual and unusual attribute
// values and compare the two on every one.

// Pools of values per attribute: the usual shapes (which the fast path
// should take), near misses one byte away from them, and the edge cases
// of the general checks.
var (
	poolID = []string{"7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d", "1", "", "abcdefgh", "abcdefghi",
		"0123456789abcdef", "0123456789abcdefg", "0123456789abcdef0123456789abcdef0", "a\x7fb",
		"a\x1fbcdefghijk", "é", "abcdefgh\x80", "\xffabcdefgh", "a\u0085bcdefgh", "a\ufffebcdefgh",
		"~~~~~~~~", " ", "                                  \x00"}
	poolSource = []string{"https://example.com/orders", "http://example.com/orders", "/src", "",
		"https://", "https://example.com", "https://EXAMPLE.com/orders", "https://example.com/a b",
		"https://example.com/orders?x=1#f", "https://example.com/%zz", "https://[::1]:8080/x",
		"https://exam\x80ple.com/orders", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
		"https://example.com:8080/orders", "https:///////////", ":x", "a b", "https://example.com/orders#a#b"}
	poolType = []string{"com.example.order.created", "com.example.t", "", "a\nb", "a😀bcdefghij",
		"com.example.order.created\x7f", "com.example.\x00rder.created"}
	poolSubject = []string{"orders/12345", "x", "", "orders/1234\x01", "orders/12345orders/12345orders/12345 ", "\xed\xa0\x80orders"}
	poolTime    = []string{"2026-11-26T10:00:00.123Z", "2026-11-26T10:00:00Z", "2026-11-26t10:00:00.123456z",
		"2026-11-26T10:00:00.1234567Z", "2026-11-26T10:00:00.123456789Z", "2026-11-26T10:00:00.Z",
		"2026-11-26T10:00:00+05:30", "2026-11-26T10:00:00.5-08:00", "2016-12-31T23:59:60Z",
		"2016-12-31T23:59:60.5Z", "2026-11-26T23:59:60Z", "2026-02-29T10:00:00Z", "2024-02-29T10:00:00Z",
		"2026-13-26T10:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26 10:00:00Z", "2026-11-26T10:00:00", "yesterday",
		"2026-11-26T10:00:00.12a4Z", "2026-11-26T10:00:00.123+", "2026-11-26T10:00:00.12\x80Z"}
	poolContentType = []string{"application/json", "text/plain", "application/json; charset=utf-8", "",
		"not a media type", "application/jsonx", "text/plain; a=\"\u0085\"", "Application/JSON"}
	poolSchema      = []string{"https://example.com/schema", "", "/schema", "https://x/s#v1", "https://example.com/schema.json?v=1"}
	poolTraceparent = []string{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
		"00-0AF7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	poolExtName = []string{"traceparent", "partitionkey", "sequence", "dataref", "expirytime", "recordedtime",
		"myext", "abcdefghijklmnopqrstuvwxy", "", "My-Ext", "id", "data", "tracestate", "z", "a1b2c3d4e"}
)

// poolValue draws an extension value: its text and its kind are drawn
// apart, so that texts meet kinds they do not fit.
func poolValue(r *rand.Rand) Value {
	pools := [][]string{poolTraceparent, poolSubject, poolSchema, poolSource, poolTime}
	pool := pools[r.IntN(len(pools))]
	text := pool[0]
	if r.IntN(2) == 0 {
		text = pool[r.IntN(len(pool))]
	}
	switch k := Kind(r.IntN(10)); k {
	case KindBoolean:
		return Boolean(r.IntN(2) == 0)
	case KindInteger:
		return Integer(int32(r.IntN(100)))
	case KindBinary:
		return Binary([]byte(text))
	case 0, 8, 9:
		if r.IntN(4) == 0 {
			return Value{kind: k, s: text}
		}
		return String(text)
	default:
		return Value{kind: k, s: text}
	}
}

// randomEvent builds an event from the pools; each attribute is present
// with some probability, and a byte of one value may be changed.
func randomEvent(r *rand.Rand) Event {
	pick := func(pool []string) string {
		s := pool[0] // mostly the usual value
		if r.IntN(4) == 0 {
			s = pool[r.IntN(len(pool))]
		}
		if s != "" && r.IntN(16) == 0 { // one byte changed
			b := []byte(s)
			b[r.IntN(len(b))] = "\x00\x1f -./:Zz9a\x7f\x80\xff%#"[r.IntN(16)]
			s = string(b)
		}
		return s
	}
	var e Event
	if r.IntN(16) != 0 {
		e.SetID(pick(poolID))
	}
	if r.IntN(16) != 0 {
		e.SetSource(pick(poolSource))
	}
	if r.IntN(16) != 0 {
		e.SetSpecVersion(SpecVersion)
		if r.IntN(16) == 0 {
			e.SetSpecVersion([]string{"0.3", ""}[r.IntN(2)])
		}
	}
	if r.IntN(16) != 0 {
		e.SetType(pick(poolType))
	}
	if r.IntN(2) == 0 {
		e.SetSubject(pick(poolSubject))
	}
	if r.IntN(2) == 0 {
		e.SetTime(pick(poolTime))
	}
	if r.IntN(2) == 0 {
		e.SetDataContentType(pick(poolContentType))
	}
	if r.IntN(4) == 0 {
		e.SetDataSchema(pick(poolSchema))
	}
	ext := make([]Extension, r.IntN(3))
	for i := range ext {
		ext[i] = Extension{Name: pick(poolExtName), Value: poolValue(r)}
		if r.IntN(4) != 0 { // mostly a value that fits the name
			switch ext[i].Name {
			case "traceparent":
				ext[i].Value = String(poolTraceparent[0])
			case "dataref":
				ext[i].Value = URIRef(poolSource[0])
			case "expirytime", "recordedtime":
				ext[i].Value = Timestamp(poolTime[0])
			case "partitionkey", "sequence":
				ext[i].Value = String("x")
			}
		}
	}
	if len(ext) == 2 && ext[0].Name == ext[1].Name && r.IntN(4) != 0 {
		ext = ext[:1] // a name twice only sometimes
	}
	if len(ext) > 0 && r.IntN(8) == 0 { // a name twice
		ext = append(ext, ext[r.IntN(len(ext))])
	}
	if r.IntN(4) != 0 { // mostly sorted, sometimes not
		for i := 1; i < len(ext); i++ {
			for j := i; j > 0 && ext[j].Name < ext[j-1].Name; j-- {
				ext[j], ext[j-1] = ext[j-1], ext[j]
			}
		}
	}
	e.SetSortedExtensions(ext)
	return e
}

func checkPlainValid(t *testing.T, e *Event) (fast bool) {
	t.Helper()
	fast = e.plainValid()
	full := e.appendViolations(nil)
	if fast && len(full) > 0 {
		t.Fatalf("plainValid accepts an event the full check refuses (%v): %+v", full, e)
	}
	if got := e.AppendViolations(nil); len(got) != len(full) {
		t.Fatalf("AppendViolations = %v, full check %v", got, full)
	}
	return fast
}

func TestPlainValidAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	var fast, valid int
	for range iterations(300000) {
		e := randomEvent(r)
		if checkPlainValid(t, &e) {
			fast++
		}
		if len(e.appendViolations(nil)) == 0 {
			valid++
		}
	}
	// The pools are built so that both answers are common; a fast path
	// that never says "valid" would pass the loop above.
	t.Logf("plainValid took %d of %d valid events", fast, valid)
	if fast < valid/4 || valid < 1000 {
		t.Fatalf("plainValid took %d of %d valid events", fast, valid)
	}
}

// TestPlainValidTakesUsualEvents pins the shapes the fast path is for.
func TestPlainValidTakesUsualEvents(t *testing.T) {
	for name, edit := range map[string]func(*Event){
		"typical":          func(*Event) {},
		"short id":         func(e *Event) { e.SetID("1") },
		"http source":      func(e *Event) { e.SetSource("http://example.com/orders") },
		"relative source":  func(e *Event) { e.SetSource("/src") },
		"no subject":       func(e *Event) { e.Delete(AttrSubject) },
		"long subject":     func(e *Event) { e.SetSubject(strings.Repeat("orders/12345/", 8)) },
		"time no fraction": func(e *Event) { e.SetTime("2026-11-26T10:00:00Z") },
		"time micros":      func(e *Event) { e.SetTime("2026-11-26T10:00:00.123456Z") },
		"time nanos":       func(e *Event) { e.SetTime("2026-11-26T10:00:00.123456789Z") },
		"time offset":      func(e *Event) { e.SetTime("2026-11-26T10:00:00.123+01:00") },
		"text/plain":       func(e *Event) { e.SetDataContentType("text/plain; charset=utf-8") },
		"dataschema":       func(e *Event) { e.SetDataSchema("https://example.com/schema") },
		"plain extensions": func(e *Event) {
			e.SetExtension("myext", String("x"))
			e.SetExtension("count", Integer(3))
			e.SetExtension("ok", Boolean(true))
		},
	} {
		e := typical()
		edit(&e)
		if !checkPlainValid(t, &e) {
			t.Errorf("%s: plainValid = false, want the fast path to take it", name)
		}
	}
}

func FuzzPlainValid(f *testing.F) {
	f.Add("7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d", "https://example.com/orders", "com.example.order.created",
		"orders/12345", "2026-11-26T10:00:00.123Z", "application/json",
		"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", uint8(0x7f))
	for i := range 8 {
		r := rand.New(rand.NewPCG(uint64(i), 33))
		f.Add(poolID[r.IntN(len(poolID))], poolSource[r.IntN(len(poolSource))], poolType[r.IntN(len(poolType))],
			poolSubject[r.IntN(len(poolSubject))], poolTime[r.IntN(len(poolTime))],
			poolContentType[r.IntN(len(poolContentType))], poolExtName[r.IntN(len(poolExtName))],
			poolTraceparent[r.IntN(len(poolTraceparent))], uint8(r.IntN(256)))
	}
	f.Fuzz(func(t *testing.T, id, source, typ, subject, tm, ct, extName, extValue string, present uint8) {
		var e Event
		for bit, set := range []func(){
			func() { e.SetID(id) }, func() { e.SetSource(source) }, func() { e.SetSpecVersion(SpecVersion) },
			func() { e.SetType(typ) }, func() { e.SetSubject(subject) }, func() { e.SetTime(tm) },
			func() { e.SetDataContentType(ct) }, func() { e.SetExtension(extName, String(extValue)) },
		} {
			if present&(1<<bit) != 0 {
				set()
			}
		}
		checkPlainValid(t, &e)
	})
}
