package main

import "github.com/openevents/openevents/event"

// newUUID returns a random (version 4) UUID, the default event id of ce
// send and the unique topic suffix of the tests. It is event.NewID; the
// name stays so that its callers need not change.
func newUUID() string { return event.NewID() }
