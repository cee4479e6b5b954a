package http

import (
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/transports/http/internal/receive"
)

// DetectMode returns the content mode of a request with the given
// Content-Type (HTTP-MODE-2): a media type starting with
// application/cloudevents-batch is batched, one starting with
// application/cloudevents structured, anything else (no Content-Type
// included) binary. The match ignores case and parameters; the batch
// prefix is tested first because the structured one is its prefix.
func DetectMode[S string | []byte](contentType S) binding.Mode {
	return receive.DetectMode(contentType)
}
