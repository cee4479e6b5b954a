package host

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/openevents/openevents/event"
)

// Extension attributes the host adds to an event it gives the dead-letter
// sink. All else is the event as Dispatch got it (the host overwrites
// these three if the event has them already).
const (
	// DeadLetterAttempts is an Integer: how many attempts failed.
	DeadLetterAttempts = "deadletterattempts"
	// DeadLetterError is a String: the last attempt's error, cut to
	// [MaxDeadLetterError] bytes, with control characters made spaces.
	DeadLetterError = "deadlettererror"
	// DeadLetterTrigger is a String: the name of the trigger the event
	// came from (absent if that name is empty).
	DeadLetterTrigger = "deadlettertrigger"
)

// MaxDeadLetterError is the most bytes of [DeadLetterError]'s value.
const MaxDeadLetterError = 1024

// deadLetter sends a copy of e, with the dead-letter attributes, to the
// dead-letter sink. The copy shares e's strings and data, which are valid
// until Dispatch returns, but has its own extension slice, so that e
// itself is not changed.
func (t *Trigger) deadLetter(ctx context.Context, e *event.Event, attempts int, err error) error {
	c := *e
	ext := make([]event.Extension, len(e.Extensions()), len(e.Extensions())+3)
	copy(ext, e.Extensions())
	c.SetSortedExtensions(ext)
	c.SetExtension(DeadLetterAttempts, event.Integer(int32(attempts)))
	c.SetExtension(DeadLetterError, event.String(attributeText(err.Error(), MaxDeadLetterError)))
	if t.name != "" {
		c.SetExtension(DeadLetterTrigger, event.String(attributeText(t.name, MaxDeadLetterError)))
	}
	if t.h.cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.h.cfg.timeout)
		defer cancel()
	}
	return t.h.cfg.deadLetter.Send(ctx, &c)
}

// attributeText makes s a valid CloudEvents String (CORE-TYPE-STRING-1..3)
// of at most limit bytes: control characters become spaces, invalid UTF-8
// and noncharacters U+FFFD, and a cut is marked with "…".
func attributeText(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len()+utf8.RuneLen(r) > limit-len("…") {
			b.WriteString("…")
			break
		}
		switch {
		case r < 0x20 || 0x7f <= r && r <= 0x9f:
			r = ' '
		case 0xfdd0 <= r && r <= 0xfdef || r&0xfffe == 0xfffe:
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}
