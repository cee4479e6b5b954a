package event

import "strings"

// Validate checks e against every MUST of the CloudEvents 1.0 core
// specification that one event can be checked for, and the type rules of
// the documented extensions it carries. It returns nil or a
// [*ValidationError] listing every violation; a valid event costs no
// allocation.
//
// Validate only reads e. If [Event.Check] found e valid and e has not
// changed since, Validate returns nil at once without checking again.
func (e *Event) Validate() error {
	// Small enough to inline: an event Check passed costs no call.
	if e.set&bitChecked != 0 {
		return nil
	}
	return e.validate()
}

// validate is Validate without the remembered verdict. The usual valid
// event is passed by plainValid alone; the full check, which builds the
// violations, runs for the rest.
func (e *Event) validate() error {
	if e.plainValid() {
		return nil
	}
	vs := violations{list: e.appendViolations(nil)}
	return vs.err()
}

// Check is Validate for the owner of e: it runs the full check and, when e
// is valid, remembers that in e until the next change to an attribute, so
// later Validate calls on the unchanged event cost nothing. Decoders call
// it on the events they build. Because it writes to e, it must not run
// concurrently with any other use of e.
func (e *Event) Check() error {
	if e.set&bitChecked != 0 {
		return nil
	}
	if e.plainValid() {
		e.set |= bitChecked
		return nil
	}
	vs := violations{list: e.appendViolations(nil)}
	if len(vs.list) == 0 {
		e.set |= bitChecked
	}
	return vs.err()
}

// AppendViolations appends the violations of e to dst and returns the
// extended slice (it checks e even if Check remembered it valid); decoders
// use it to merge their own findings with the model's. Pointers are "/"
// plus the attribute name.
func (e *Event) AppendViolations(dst []Violation) []Violation {
	if e.plainValid() {
		return dst
	}
	return e.appendViolations(dst)
}

// appendViolations is the full check, which builds the violations.
func (e *Event) appendViolations(dst []Violation) []Violation {
	vs := violations{list: dst}
	// The four required attributes are almost always present and non-empty;
	// one test for that spares the per-attribute calls, and the checks run
	// in the same order either way.
	const requiredBits = bitID | bitSource | bitSpecVersion | bitType
	complete := e.set&requiredBits == requiredBits && e.id != "" && e.source != "" && e.specVersion != "" && e.typ != ""
	if !complete {
		e.required(&vs, bitID, AttrID, e.id, "CORE-ATTR-ID-1", "CORE-ATTR-ID-2")
	}
	if e.id != "" && !printableASCII(e.id) {
		checkString(&vs, AttrID, e.id)
	}
	if !complete {
		e.required(&vs, bitSource, AttrSource, e.source, "CORE-ATTR-SOURCE-1", "CORE-ATTR-SOURCE-2")
	}
	if e.source != "" && !validURIRef(e.source) {
		vs.add("CORE-ATTR-SOURCE-2", AttrSource, "is not a URI-reference (RFC 3986 §4.1)")
	}
	if !complete {
		e.required(&vs, bitSpecVersion, AttrSpecVersion, e.specVersion, "CORE-ATTR-SPECVERSION-1", "CORE-ATTR-SPECVERSION-2")
	}
	if e.specVersion != "" && e.specVersion != SpecVersion {
		vs.add("CORE-ATTR-SPECVERSION-3", AttrSpecVersion, "is "+quote(e.specVersion)+", not the supported \"1.0\"")
	}
	if !complete {
		e.required(&vs, bitType, AttrType, e.typ, "CORE-ATTR-TYPE-1", "CORE-ATTR-TYPE-2")
	}
	if e.typ != "" && !printableASCII(e.typ) {
		checkString(&vs, AttrType, e.typ)
	}

	// "application/json", by far the most common value, is both a media
	// type and a printable String; only other values need the checks.
	if e.set&bitDataContentType != 0 && e.dataContentType != "application/json" {
		if !validMediaType(e.dataContentType) {
			vs.add("CORE-ATTR-DATACONTENTTYPE-1", AttrDataContentType, "is not a media type (RFC 2046): "+quote(e.dataContentType))
		} else if !printableASCII(e.dataContentType) {
			checkString(&vs, AttrDataContentType, e.dataContentType)
		}
	}
	if e.set&bitDataSchema != 0 {
		if e.dataSchema == "" {
			vs.add("CORE-ATTR-DATASCHEMA-1", AttrDataSchema, "is present but empty")
		} else if !validAbsoluteURI(e.dataSchema) {
			vs.add("CORE-ATTR-DATASCHEMA-1", AttrDataSchema, "is not an absolute URI (RFC 3986 §4.3): "+quote(e.dataSchema))
		}
	}
	if e.set&bitSubject != 0 {
		if e.subject == "" {
			vs.add("CORE-ATTR-SUBJECT-1", AttrSubject, "is present but empty")
		} else if !printableASCII(e.subject) {
			checkString(&vs, AttrSubject, e.subject)
		}
	}
	if e.set&bitTime != 0 && !validTimestamp(e.timeVal) {
		vs.add("CORE-ATTR-TIME-1", AttrTime, "is not an RFC 3339 timestamp: "+quote(e.timeVal))
	}

	for i := range e.ext {
		e.checkExtension(&vs, i, &e.ext[i])
	}
	return vs.list
}

func (e *Event) required(vs *violations, bit attrBit, name, v, absent, empty string) {
	if e.set&bit == 0 {
		vs.add(absent, name, "is required but absent")
	} else if v == "" {
		vs.add(empty, name, "must not be empty")
	}
}

// checkString reports the String problem of s (CORE-TYPE-STRING-1..3).
// The hot callers in AppendViolations first try printableASCII themselves,
// which saves a call per attribute on the common all-printable value.
func checkString(vs *violations, attr, s string) {
	if printableASCII(s) {
		return
	}
	if rule, reason := stringProblemFrom(s, 0); rule != "" {
		vs.add(rule, attr, reason)
	}
}

// What checkExtension does with an extension, by its name.
const (
	extOther       = iota // any other name: checked as a plain extension
	extCore               // a core attribute's name
	extData               // "data", reserved
	extTraceparent        // the documented extensions, whose types are fixed
	extDataref
	extExpirytime
	extRecordedtime
	extPartitionkey
	extSequence
)

func extensionKind(name string) int {
	switch name {
	case AttrID, AttrSource, AttrSpecVersion, AttrType,
		AttrDataContentType, AttrDataSchema, AttrSubject, AttrTime:
		return extCore
	case "data":
		return extData
	case "traceparent":
		return extTraceparent
	case "dataref":
		return extDataref
	case "expirytime":
		return extExpirytime
	case "recordedtime":
		return extRecordedtime
	case "partitionkey":
		return extPartitionkey
	case "sequence":
		return extSequence
	}
	return extOther
}

func (e *Event) checkExtension(vs *violations, i int, x *Extension) {
	// The names extensionKind knows are all legal, so only other names
	// need the name checks; looking the name up first spares the common
	// documented extensions that walk, and the outcome is the same.
	kind := extensionKind(x.Name)
	if kind == extOther {
		if x.Name == "" {
			vs.add("CORE-NAMING-5", x.Name, "an attribute name cannot be empty")
			return
		}
		if !validName(x.Name) {
			vs.add("CORE-NAMING-1", x.Name, "is not a legal attribute name (only a-z and 0-9)")
			return
		}
	}
	if i > 0 && e.ext[i-1].Name >= x.Name {
		vs.add("CORE-ATTR-4", x.Name, "appears twice (or extensions are not sorted)")
		return
	}
	v := x.Value
	// Documented extensions fix their type. A String value is accepted
	// where the type is another string-encoded one, as long as its text
	// fits: formats such as JSON cannot tell those types apart.
	switch kind {
	case extCore:
		vs.add("CORE-ATTR-4", x.Name, "is a core attribute and cannot also be an extension")
	case extData:
		vs.add("CORE-NAMING-6", x.Name, "is reserved for the event data and cannot be an attribute")
	case extTraceparent:
		documentedType(vs, x.Name, "EXT-DISTTRACE-2", v.kind == KindString && validTraceparent(v.s))
	case extDataref:
		documentedType(vs, x.Name, "EXT-DATAREF-1", (v.kind == KindString || v.kind == KindURIRef) && validURIRef(v.s))
	case extExpirytime:
		documentedType(vs, x.Name, "EXT-EXPIRY-1", (v.kind == KindString || v.kind == KindTimestamp) && validTimestamp(v.s))
	case extRecordedtime:
		documentedType(vs, x.Name, "EXT-RECORDED-1", (v.kind == KindString || v.kind == KindTimestamp) && validTimestamp(v.s))
	case extPartitionkey:
		if documentedType(vs, x.Name, "EXT-PARTITION-1", v.kind == KindString && v.s != "") {
			checkString(vs, x.Name, v.s)
		}
	case extSequence:
		if documentedType(vs, x.Name, "EXT-SEQUENCE-1", v.kind == KindString && v.s != "") {
			checkString(vs, x.Name, v.s)
		}
	default:
		checkValue(vs, x.Name, v)
	}
}

func documentedType(vs *violations, name, rule string, ok bool) bool {
	if !ok {
		vs.add(rule, name, "does not have the type or form its extension specification gives it")
	}
	return ok
}

func checkValue(vs *violations, name string, v Value) {
	switch v.kind {
	case KindString:
		checkString(vs, name, v.s)
	case KindURI:
		if !validAbsoluteURI(v.s) {
			vs.add("CORE-TYPE-URI-1", name, "is not an absolute URI: "+quote(v.s))
		}
	case KindURIRef:
		if !validURIRef(v.s) {
			vs.add("CORE-TYPE-URIREF-1", name, "is not a URI-reference: "+quote(v.s))
		}
	case KindTimestamp:
		if !validTimestamp(v.s) {
			vs.add("CORE-TYPE-TIMESTAMP-1", name, "is not an RFC 3339 timestamp: "+quote(v.s))
		}
	case KindBoolean, KindInteger, KindBinary:
	default:
		vs.add("CORE-TYPE-1", name, "has no CloudEvents type")
	}
}

// Advice returns SHOULD-level findings about e: advice, not errors. A
// valid event may have advice.
func (e *Event) Advice() []Violation {
	var vs violations
	if e.source != "" && validURIRef(e.source) && schemeLen(e.source) == 0 {
		vs.add("CORE-ATTR-SOURCE-3", AttrSource, "is a relative reference; an absolute URI is recommended")
	}
	for _, x := range e.ext {
		if len(x.Name) > 20 {
			vs.add("CORE-NAMING-2", x.Name, "is longer than 20 characters")
		}
	}
	return vs.list
}

func quote(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		s = s[:maxLen] + "…"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			const hex = "0123456789abcdef"
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// plainValid is the fast path of the checks in appendViolations: it
// reports true only for an event in which appendViolations would find
// nothing. It never decides that an event is invalid; when it returns
// false, the full check runs and says why. It decides the usual values
// with word-at-a-time checks (printable ASCII strings, an "https://"
// source with a plain tail, a timestamp ending in Z, a traceparent) and
// calls the exact lexical checks for the rest; it leaves to the full
// check non-ASCII strings, extensions with a core or reserved name, the
// documented extensions other than traceparent, and unsorted extensions.
func (e *Event) plainValid() bool {
	// Present and non-empty (CORE-ATTR-ID-1/2, CORE-ATTR-SOURCE-1/2,
	// CORE-ATTR-SPECVERSION-1/2/3, CORE-ATTR-TYPE-1/2; foldPrintable
	// refuses "" for id and type).
	const required = bitID | bitSource | bitSpecVersion | bitType
	if e.set&required != required || e.specVersion != SpecVersion || e.source == "" {
		return false
	}
	// The String checks of id, type and subject (CORE-TYPE-STRING-1..3),
	// folded together; a present subject may not be "" either
	// (CORE-ATTR-SUBJECT-1).
	bad, good := foldPrintable(e.id, 0, highs)
	bad, good = foldPrintable(e.typ, bad, good)
	if e.set&bitSubject != 0 {
		bad, good = foldPrintable(e.subject, bad, good)
	}
	if bad&highs != 0 || good&highs != highs {
		return false
	}
	// CORE-ATTR-SOURCE-2. The usual source, "https://" and a plain tail,
	// is a URI-reference by plainHierURI's reasoning, without its walk.
	if !(strings.HasPrefix(e.source, "https://") && hierTail(e.source[8:])) && !validURIRef(e.source) {
		return false
	}
	// CORE-ATTR-DATACONTENTTYPE-1, CORE-ATTR-DATASCHEMA-1,
	// CORE-ATTR-TIME-1.
	if e.set&bitDataContentType != 0 && e.dataContentType != "application/json" &&
		!(validMediaType(e.dataContentType) && printableASCII(e.dataContentType)) {
		return false
	}
	if e.set&bitDataSchema != 0 && (e.dataSchema == "" || !validAbsoluteURI(e.dataSchema)) {
		return false
	}
	if e.set&bitTime != 0 {
		// validTimestamp, with its frameless part called directly.
		switch timestampHead(e.timeVal) {
		case tsInvalid:
			return false
		case tsTail:
			if !timestampTail(e.timeVal) {
				return false
			}
		}
	}
	// Extensions: sorted with no name twice (CORE-ATTR-4), legal names
	// (CORE-NAMING-1, CORE-NAMING-5) that are not core or reserved ones
	// (CORE-ATTR-4, CORE-NAMING-6), and values of their type
	// (EXT-DISTTRACE-2 for traceparent). A lone traceparent, the most
	// common extension, skips the loop.
	ext := e.ext
	if len(ext) == 1 && ext[0].Name == "traceparent" && ext[0].Value.kind == KindString {
		return validTraceparent(ext[0].Value.s)
	}
	for i := range ext {
		x := &ext[i]
		if i > 0 && ext[i-1].Name >= x.Name {
			return false
		}
		if x.Name == "traceparent" {
			if x.Value.kind != KindString || !validTraceparent(x.Value.s) {
				return false
			}
			continue
		}
		if extensionKind(x.Name) != extOther || !validName(x.Name) || !plainValue(x.Value) {
			return false
		}
	}
	return true
}

// plainValue is the fast path of checkValue: true only for a value it
// accepts.
func plainValue(v Value) bool {
	switch v.kind {
	case KindString:
		return printableASCII(v.s)
	case KindBoolean, KindInteger, KindBinary:
		return true
	case KindURI:
		return validAbsoluteURI(v.s)
	case KindURIRef:
		return validURIRef(v.s)
	case KindTimestamp:
		return validTimestamp(v.s)
	}
	return false
}
