package sdkgo

import (
	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
)

// Format is the JSON event format (application/cloudevents+json) of
// package jsonformat as an sdk-go format: it implements the Format
// interface of github.com/cloudevents/sdk-go/v2/binding/format, so sdk-go
// code can use the strict decoder and encoder, for example with
// format.Add(sdkgo.Format{}), which replaces sdk-go's own JSON format in
// sdk-go's global registry. This package never registers it itself.
//
// The zero value is ready to use and safe for concurrent use. There is no
// batch variant: sdk-go's format interface has no batch methods (its own
// batch format refuses both of them).
type Format struct{}

// MediaType returns "application/cloudevents+json".
func (Format) MediaType() string { return jsonformat.MediaType }

// Marshal converts se with [FromSDK] and encodes it with
// [jsonformat.Marshal]. It returns the error of either; se is not
// modified and the result shares no memory with it.
func (Format) Marshal(se *sdk.Event) ([]byte, error) {
	e, err := FromSDK(se)
	if err != nil {
		return nil, err
	}
	return jsonformat.Marshal(&e)
}

// Unmarshal decodes b with [jsonformat.Decode] and converts the event with
// [ToSDK] into se. It returns a [*jsonformat.SyntaxError], an
// [*event.ValidationError] or a [*ConversionError]; on error se is left
// unchanged. b is not retained.
func (Format) Unmarshal(b []byte, se *sdk.Event) error {
	var e event.Event
	if err := jsonformat.Decode(b, &e); err != nil {
		return err
	}
	out, err := ToSDK(&e)
	if err != nil {
		return err
	}
	*se = out
	return nil
}
