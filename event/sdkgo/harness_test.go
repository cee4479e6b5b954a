package sdkgo_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/sdkgo"
)

// outcome is what both decoders made of one input.
type outcome struct {
	oursErr error
	ours    event.Event

	sdkErr error // from json.Unmarshal, Validate, or a recovered panic
	panic  bool  // sdk-go panicked
	se     sdk.Event

	conv    event.Event // FromSDK(se), when sdk-go accepted
	convErr error
}

func run(data []byte) (o outcome) {
	o.oursErr = jsonformat.Decode(data, &o.ours)
	o.sdkErr = sdkDecode(data, &o.se)
	if o.sdkErr != nil {
		o.panic = errors.Is(o.sdkErr, errSDKPanic)
		return o
	}
	o.conv, o.convErr = sdkgo.FromSDK(&o.se)
	return o
}

var errSDKPanic = errors.New("sdk-go panicked")

// sdkDecode is how an sdk-go user reads a structured event: json.Unmarshal
// and Validate. A panic inside sdk-go is turned into an error, so that the
// harness can report it as a finding instead of dying with it.
func sdkDecode(data []byte, se *sdk.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errSDKPanic, r)
		}
	}()
	if err := json.Unmarshal(data, se); err != nil {
		return err
	}
	return se.Validate()
}

func (o *outcome) oursVerdict() string {
	if o.oursErr != nil {
		return "reject"
	}
	return "accept"
}

// sdkVerdict is "reject", "accept", or "differs" when both accepted but
// the converted sdk-go event is not the one we decoded (or does not
// convert).
func (o *outcome) sdkVerdict() string {
	switch {
	case o.sdkErr != nil:
		return "reject"
	case o.oursErr == nil && (o.convErr != nil || len(diff(&o.ours, &o.conv)) > 0):
		return "differs"
	}
	return "accept"
}

// primaryRule is the requirement ID our decoder reports first.
func primaryRule(err error) string {
	var se *jsonformat.SyntaxError
	var ve *event.ValidationError
	switch {
	case errors.As(err, &se):
		return se.Rule
	case errors.As(err, &ve) && len(ve.Violations) > 0:
		return ve.Violations[0].Rule
	}
	return ""
}

// diff lists what differs between two events: attribute names and "data".
// Timestamps are compared as instants: sdk-go holds them as time.Time, so
// only their text, not their value, can change on the way through.
func diff(a, b *event.Event) []string {
	var d []string
	a.Attributes(func(name string, v event.Value) bool {
		if w, ok := b.Lookup(name); !ok || !sameValue(v, w) {
			d = append(d, name)
		}
		return true
	})
	b.Attributes(func(name string, _ event.Value) bool {
		if !a.Has(name) {
			d = append(d, name)
		}
		return true
	})
	if a.HasData() != b.HasData() || a.IsBinaryData() != b.IsBinaryData() || !bytes.Equal(a.Data(), b.Data()) {
		d = append(d, "data")
	}
	return d
}

func sameValue(v, w event.Value) bool {
	if v.Kind() == event.KindTimestamp && w.Kind() == event.KindTimestamp {
		// Not Value.Time: it refuses the lower-case t and z RFC 3339
		// allows.
		tv, err1 := time.Parse(time.RFC3339Nano, strings.ToUpper(v.Text()))
		tw, err2 := time.Parse(time.RFC3339Nano, strings.ToUpper(w.Text()))
		if err1 == nil && err2 == nil {
			return tv.Equal(tw)
		}
	}
	return v.Equal(w)
}

// Categories of sdk-go deviations, as DEVIATIONS.md at the repository root
// describes them. testdata/deviations.json files every corpus disagreement
// under one of them.
var categories = map[string]string{
	"SDKGO-1":  "String values are not checked; lone surrogate escapes become U+FFFD",
	"SDKGO-2":  "an empty string is taken as an absent attribute",
	"SDKGO-3":  "null is not always taken as absent",
	"SDKGO-4":  "white space before a buffered data member is kept, breaking data_base64",
	"SDKGO-5":  "only a fixed, case-sensitive list of media types counts as JSON",
	"SDKGO-6":  "timestamps are read by time.Parse",
	"SDKGO-7":  "URIs are read by net/url",
	"SDKGO-8":  "media types are read by mime.ParseMediaType",
	"SDKGO-9":  "a member given twice: the last one wins",
	"SDKGO-10": "any JSON number is an Integer, truncated",
	"SDKGO-11": "upper-case extension names are lower-cased; an empty name ends the event",
	"SDKGO-12": "id, source and type are trimmed of white space",
	"SDKGO-13": "numbers beyond float64 in data are refused",
	"SDKGO-14": "spec version 0.3 handling",
}

// explain accounts for the differences between what we decoded and what
// sdk-go decoded (converted with FromSDK), when both accepted the input.
// It returns the categories that explain every difference, and false if
// some difference is explained by none: a new finding, or a bug in the
// adapter. Each rule is a condition on the input as we decoded it, so a
// category cannot excuse a difference it does not cause:
//
//   - SDKGO-5: the datacontenttype is JSON by the specification but not by
//     sdk-go's list, so sdk-go read a data string as text: the data may
//     differ, or not be JSON at all.
//   - SDKGO-7: a source or dataschema that net/url does not print back as
//     it was given: sdk-go holds the rewritten text, or (dataschema) none.
//   - SDKGO-14: a 0.3 event with a member named like a 1.0 attribute
//     (dataschema): sdk-go keeps it as an extension of that name.
func explain(o *outcome) ([]string, bool) {
	var changed []string
	changed = append(changed, diff(&o.ours, &o.conv)...)
	if o.convErr != nil {
		var ve *event.ValidationError
		var ce *sdkgo.ConversionError
		switch {
		case errors.As(o.convErr, &ve):
			for _, v := range ve.Violations {
				changed = append(changed, v.Attribute)
			}
		case errors.As(o.convErr, &ce):
			changed = append(changed, ce.Attribute)
		default:
			return nil, false
		}
	}
	cause := map[string]string{}
	if o.ours.HasData() && !o.ours.IsBinaryData() && o.ours.Has(event.AttrDataContentType) &&
		event.IsJSONMediaType(o.ours.DataContentType()) && !sdkIsJSON(o.ours.DataContentType()) {
		cause["data"] = "SDKGO-5"
	}
	for _, name := range []string{event.AttrSource, event.AttrDataSchema} {
		if v, ok := o.ours.Lookup(name); ok && !urlRoundTrips(v.Text()) {
			cause[name] = "SDKGO-7"
		}
	}
	if c, ok := o.se.Context.(*sdk.EventContextV03); ok {
		for name := range c.Extensions {
			if event.IsCoreAttribute(name) {
				cause[name] = "SDKGO-14"
			}
		}
	}
	var cats []string
	for _, name := range changed {
		c, ok := cause[name]
		if !ok {
			return nil, false
		}
		if !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	slices.Sort(cats)
	return cats, true
}

// sdkIsJSON is sdk-go's test for JSON data (event/content_type.go): the
// media type before any ';', compared exactly against four names.
func sdkIsJSON(ct string) bool {
	mt := ct
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		mt = strings.TrimSpace(ct[:i])
	}
	switch mt {
	case "application/json", "text/json", "application/cloudevents+json", "application/cloudevents-batch+json", "":
		return true
	}
	return false
}

// urlRoundTrips reports whether net/url prints s back as it was, as sdk-go
// needs to hold it unchanged.
func urlRoundTrips(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.String() == s
}
