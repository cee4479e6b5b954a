package binding_test

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/openevents/openevents/event/binding"
)

func TestAppendHeaderValue(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "com.example.ping", "com.example.ping"},
		{"empty", "", ""},
		{"space", "a b", "a%20b"},                                       // HTTP-HEADER-VALUE-9
		{"double quote", `say "hi"`, "say%20%22hi%22"},                  // HTTP-HEADER-VALUE-9
		{"percent", "100%", "100%25"},                                   // HTTP-HEADER-VALUE-10
		{"non-ASCII", "café", "caf%C3%A9"},                              // HTTP-HEADER-VALUE-11, -13, -14
		{"outside the BMP", "😀", "%F0%9F%98%80"},                        // HTTP-HEADER-VALUE-8
		{"spec example", "Euro € 😀", "Euro%20%E2%82%AC%20%F0%9F%98%80"}, // HTTP-HEADER-VALUE-18
		{"controls", "a\tb\x7f", "a%09b%7F"},                            // HTTP-HEADER-VALUE-12
		{"C1 control", "\u0085", "%C2%85"},                              // HTTP-HEADER-VALUE-12
		{"URI untouched", "https://example.com/a?b=c&d=e#f", "https://example.com/a?b=c&d=e#f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(binding.AppendHeaderValue(nil, tt.in))
			if got != tt.want {
				t.Fatalf("AppendHeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if binding.HeaderValueNeedsEncoding(tt.in) != (got != tt.in) {
				t.Errorf("HeaderValueNeedsEncoding(%q) disagrees with AppendHeaderValue", tt.in)
			}
			back, err := binding.DecodeHeaderValue(got)
			if err != nil || back != tt.in {
				t.Errorf("DecodeHeaderValue(%q) = %q, %v; want %q", got, back, err, tt.in)
			}
		})
	}
}

func TestDecodeHeaderValue(t *testing.T) {
	tests := []struct {
		name, in, want, rule string
	}{
		{name: "plain", in: "abc", want: "abc"},
		{name: "space", in: "a%20b", want: "a b"},
		{name: "percent", in: "100%25", want: "100%"},
		{name: "decoded once", in: "%2541", want: "%41"},        // HTTP-HEADER-VALUE-6
		{name: "lower-case hex", in: "caf%c3%a9", want: "café"}, // HTTP-HEADER-VALUE-15
		{name: "needless escape", in: "%61%62c", want: "abc"},   // HTTP-HEADER-VALUE-16
		{name: "outside the BMP", in: "%F0%9F%98%80", want: "😀"},
		{name: "quoted", in: `"a b"`, want: "a b"},                  // HTTP-HEADER-VALUE-7
		{name: "quoted pair", in: `"say \"hi\""`, want: `say "hi"`}, // HTTP-HEADER-VALUE-5
		{name: "quoted then decoded", in: `"a%20b"`, want: "a b"},
		{name: "quoted escape split by a pair", in: `"%\41"`, want: "A"},
		{name: "overlong space", in: "%C0%A0", rule: "HTTP-HEADER-VALUE-17"},
		{name: "lone continuation", in: "%80", rule: "HTTP-HEADER-VALUE-17"},
		{name: "surrogate", in: "%ED%A0%80", rule: "HTTP-HEADER-VALUE-17"},
		{name: "truncated sequence", in: "%E2%82", rule: "HTTP-HEADER-VALUE-17"},
		{name: "raw invalid UTF-8", in: "a\xffb", rule: "HTTP-HEADER-VALUE-17"},
		{name: "short escape", in: "a%2", rule: "HTTP-HEADER-VALUE-6"},
		{name: "bad hex", in: "a%zz", rule: "HTTP-HEADER-VALUE-6"},
		{name: "unterminated quote", in: `"abc`, rule: "HTTP-HEADER-VALUE-5"},
		{name: "trailing backslash", in: `"abc\`, rule: "HTTP-HEADER-VALUE-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := binding.DecodeHeaderValue(tt.in)
			b, berr := binding.AppendDecodedHeaderValue([]byte("x"), []byte(tt.in))
			if tt.rule != "" {
				var hv *binding.HeaderValueError
				if !errors.As(err, &hv) || hv.Rule != tt.rule || !errors.Is(err, binding.ErrHeaderValue) {
					t.Fatalf("DecodeHeaderValue(%q) = %q, %v; want a %s error", tt.in, got, err, tt.rule)
				}
				if berr == nil || string(b) != "x" {
					t.Fatalf("AppendDecodedHeaderValue(%q) = %q, %v; want an error and dst unchanged", tt.in, b, berr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DecodeHeaderValue(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if berr != nil || string(b) != "x"+tt.want {
				t.Fatalf("AppendDecodedHeaderValue(%q) = %q, %v; want %q", tt.in, b, berr, "x"+tt.want)
			}
		})
	}
}

func TestDecodeHeaderValueAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		if _, err := binding.DecodeHeaderValue("7f6c9f2e-2a4c-4e3a"); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("DecodeHeaderValue of a plain value allocates %v times, want 0", n)
	}
	dst := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := binding.AppendDecodedHeaderValue(dst[:0], []byte("a%20b%C3%A9")); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("AppendDecodedHeaderValue allocates %v times, want 0", n)
	}
}

func FuzzDecodeHeaderValue(f *testing.F) {
	for _, s := range []string{"a%20b", "100%25", "%C0%A0", `"a \"b\""`, "%F0%9F%98%80", "%zz", "caf%c3%a9", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := binding.DecodeHeaderValue(s)
		if err != nil {
			if !errors.Is(err, binding.ErrHeaderValue) {
				t.Fatalf("DecodeHeaderValue(%q): error %v is not ErrHeaderValue", s, err)
			}
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("DecodeHeaderValue(%q) = %q, not UTF-8", s, got)
		}
		enc := binding.AppendHeaderValue(nil, got)
		for _, c := range enc {
			if c < 0x21 || c > 0x7e || c == '"' {
				t.Fatalf("AppendHeaderValue(%q) = %q holds %q", got, enc, c)
			}
		}
		back, err := binding.DecodeHeaderValue(string(enc))
		if err != nil || back != got {
			t.Fatalf("round trip of %q: %q, %v", got, back, err)
		}
	})
}

func BenchmarkAppendHeaderValue(b *testing.B) {
	b.ReportAllocs()
	dst := make([]byte, 0, 64)
	for b.Loop() {
		dst = binding.AppendHeaderValue(dst[:0], "Euro € 😀 100%")
	}
}

func BenchmarkDecodeHeaderValue(b *testing.B) {
	b.ReportAllocs()
	dst := make([]byte, 0, 64)
	v := []byte("Euro%20%E2%82%AC%20%F0%9F%98%80%20100%25")
	for b.Loop() {
		var err error
		if dst, err = binding.AppendDecodedHeaderValue(dst[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}
