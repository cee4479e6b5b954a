package conformance

// receiverFaults are seeded violations of how a provider reads requests: JSON data, media types, structured bodies, attribute names and types.
var receiverFaults = []fault{}
