package receive

import (
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
)

const (
	prefixBatch      = "application/cloudevents-batch"
	prefixStructured = "application/cloudevents"
)

// DetectMode is cehttp.DetectMode (HTTP-MODE-2): batched for a media type
// starting with application/cloudevents-batch, structured for one starting
// with application/cloudevents, binary otherwise. The batch prefix is
// tested first because the structured one is its prefix.
func DetectMode[S string | []byte](contentType S) binding.Mode {
	ct := trimSpace(contentType)
	switch {
	case HasPrefixFold(ct, prefixBatch):
		return binding.ModeBatch
	case HasPrefixFold(ct, prefixStructured):
		return binding.ModeStructured
	}
	return binding.ModeBinary
}

// FormatSupported reports whether the media type of a structured or batched
// request names the JSON format, the only one this package decodes
// (HTTP-FORMAT-1, HTTP-BATCH-4); others are answered 415.
func FormatSupported[S string | []byte](contentType S, mode binding.Mode) bool {
	want := jsonformat.MediaType
	if mode == binding.ModeBatch {
		want = jsonformat.BatchMediaType
	}
	return mediaTypeIs(contentType, want)
}

// mediaTypeIs reports whether the media type of ct, without parameters and
// ignoring case, is want.
func mediaTypeIs[S string | []byte](ct S, want string) bool {
	ct = trimSpace(ct)
	end := len(ct)
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' {
			end = i
			break
		}
	}
	for end > 0 && (ct[end-1] == ' ' || ct[end-1] == '\t') {
		end--
	}
	return end == len(want) && HasPrefixFold(ct, want)
}

func trimSpace[S string | []byte](s S) S {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
}

// HasPrefixFold reports whether s starts with prefix, ASCII case folded;
// prefix is lower case.
func HasPrefixFold[S string | []byte](s S, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
