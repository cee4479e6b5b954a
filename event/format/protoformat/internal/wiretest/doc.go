// Package wiretest holds the tests that check package protoformat byte for
// byte against the generated io.cloudevents.v1 types. They live apart from
// protoformat's own tests because those link sdk-go's protobuf format,
// which registers the same message names: one test binary cannot hold both.
package wiretest
