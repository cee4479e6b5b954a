package conformance

// replyFaults are seeded violations of how a provider writes its replies: headers on the wire, Content-Type, timestamps, percent-encoding.
var replyFaults = []fault{}
