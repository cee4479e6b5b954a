package strictpeer

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"
)

// kind is the type-system type an attribute value arrived as. Binary mode
// only ever yields strings: headers carry no type.
type kind uint8

const (
	kindString kind = iota // String and the string-encoded types
	kindInteger
	kindBoolean
)

// attrValue is one attribute value.
type attrValue struct {
	kind kind
	s    string
	n    int32
	b    bool
}

// canonical is the value's canonical string encoding (core spec, type
// system), which is what a binary-mode header carries.
func (v attrValue) canonical() string {
	switch v.kind {
	case kindInteger:
		return strconv.FormatInt(int64(v.n), 10)
	case kindBoolean:
		return strconv.FormatBool(v.b)
	}
	return v.s
}

// event is a decoded CloudEvent.
type event struct {
	attrs   map[string]attrValue
	data    []byte
	hasData bool
	// impliedJSON marks a structured event whose data member came without
	// a datacontenttype, so application/json is implied for it.
	impliedJSON bool
}

func newEvent() *event {
	return &event{attrs: make(map[string]attrValue)}
}

// validate applies the core specification's rules to the attributes. It is
// the same for every mode, so both decoders end in it; the decoders have
// already made sure that the core attributes hold strings.
func (ev *event) validate() error {
	// specversion first: under another version the other rules differ, so
	// "unsupported" is the only useful thing to say.
	sv, ok := ev.attrs["specversion"]
	switch {
	case !ok:
		return errors.New("missing required attribute specversion")
	case sv.s != "1.0":
		return fmt.Errorf("unsupported specversion %q", sv.s)
	}

	names := make([]string, 0, len(ev.attrs))
	for name := range ev.attrs {
		names = append(names, name)
	}
	sort.Strings(names) // the first problem reported is then always the same
	for _, name := range names {
		if !validName(name) {
			return fmt.Errorf("invalid attribute name %q: only a-z and 0-9 are allowed", name)
		}
		if v := ev.attrs[name]; v.kind == kindString {
			if err := checkString(v.s); err != nil {
				return fmt.Errorf("attribute %s: %w", name, err)
			}
		}
	}

	for _, name := range []string{"id", "source", "type"} {
		v, ok := ev.attrs[name]
		if !ok {
			return fmt.Errorf("missing required attribute %s", name)
		}
		if v.s == "" {
			return fmt.Errorf("attribute %s must not be empty", name)
		}
	}
	if err := uriReference(ev.attrs["source"].s); err != nil {
		return fmt.Errorf("source is not a URI-reference: %w", err)
	}
	if v, ok := ev.attrs["subject"]; ok && v.s == "" {
		return errors.New("attribute subject must not be empty")
	}
	if v, ok := ev.attrs["dataschema"]; ok {
		if err := absoluteURI(v.s); err != nil {
			return fmt.Errorf("dataschema is not an absolute URI: %w", err)
		}
	}
	if v, ok := ev.attrs["time"]; ok {
		if err := timestamp(v.s); err != nil {
			return fmt.Errorf("time is not an RFC 3339 timestamp: %w", err)
		}
	}
	if v, ok := ev.attrs["datacontenttype"]; ok {
		if err := mediaType(v.s); err != nil {
			return fmt.Errorf("datacontenttype is not a media type: %w", err)
		}
	}
	return nil
}

// validName reports whether name is a legal attribute name: one or more
// ASCII lower-case letters or digits. The 20-character limit is a SHOULD
// for producers, so a receiver does not enforce it.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// checkString applies the String type's character rules. The decoders hand
// over unpaired surrogates as invalid UTF-8, so one test covers both.
func checkString(s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return errors.New("invalid UTF-8 or unpaired surrogate")
		case r <= 0x1F || (r >= 0x7F && r <= 0x9F):
			return fmt.Errorf("control character U+%04X", r)
		case isNoncharacter(r):
			return fmt.Errorf("noncharacter U+%04X", r)
		}
		i += size
	}
	return nil
}

// isNoncharacter reports the 66 code points Unicode sets aside as
// noncharacters: U+FDD0..U+FDEF and the last two of every plane.
func isNoncharacter(r rune) bool {
	return (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
}
