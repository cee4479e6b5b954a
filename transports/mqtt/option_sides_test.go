package mqtt_test

import (
	"reflect"
	"testing"

	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/internal/optiontest"
	cemqtt "github.com/openevents/openevents/transports/mqtt"
)

// An option for the other side does not compile: the option functions
// return PublisherOption, SubscriberOption, or Option (both). These
// assertions are checked by the compiler; TestOptionSides checks the
// negative half, which cannot be written as code that compiles.
var (
	_ cemqtt.PublisherOption  = cemqtt.WithMode(binding.ModeBinary)
	_ cemqtt.PublisherOption  = cemqtt.WithRetain(true)
	_ cemqtt.SubscriberOption = cemqtt.WithMaxAttributes(1)
	_ cemqtt.SubscriberOption = cemqtt.WithCleanStart(true)
	_ cemqtt.SubscriberOption = cemqtt.WithErrorHook(nil)
	_ cemqtt.PublisherOption  = cemqtt.WithTopic("t")

	_ cemqtt.Option = cemqtt.WithVersion(cemqtt.Version5)
	_ cemqtt.Option = cemqtt.WithTLS(nil)
	_ cemqtt.Option = cemqtt.WithKeepAlive(0)
	_ cemqtt.Option = cemqtt.WithMaxMessageBytes(1)

	// For example, neither of these compiles:
	//	_ cemqtt.SubscriberOption = cemqtt.WithRetain(true)       // missing method applySubscriber
	//	_ cemqtt.PublisherOption  = cemqtt.WithMaxAttributes(1) // missing method applyPublisher
)

// optionSides lists every option function with the sides it applies to.
var optionSides = map[string]optiontest.Sides{
	"WithVersion":          {Fn: cemqtt.WithVersion, First: true, Second: true},
	"WithQoS":              {Fn: cemqtt.WithQoS, First: true, Second: true},
	"WithClientID":         {Fn: cemqtt.WithClientID, First: true, Second: true},
	"WithTLS":              {Fn: cemqtt.WithTLS, First: true, Second: true},
	"WithCredentials":      {Fn: cemqtt.WithCredentials, First: true, Second: true},
	"WithSessionExpiry":    {Fn: cemqtt.WithSessionExpiry, First: true, Second: true},
	"WithKeepAlive":        {Fn: cemqtt.WithKeepAlive, First: true, Second: true},
	"WithConnectTimeout":   {Fn: cemqtt.WithConnectTimeout, First: true, Second: true},
	"WithReconnectBackoff": {Fn: cemqtt.WithReconnectBackoff, First: true, Second: true},
	"WithMaxMessageBytes":  {Fn: cemqtt.WithMaxMessageBytes, First: true, Second: true},
	"WithMode":             {Fn: cemqtt.WithMode, First: true, Second: false},
	"WithRetain":           {Fn: cemqtt.WithRetain, First: true, Second: false},
	"WithCleanStart":       {Fn: cemqtt.WithCleanStart, First: false, Second: true},
	"WithErrorHook":        {Fn: cemqtt.WithErrorHook, First: false, Second: true},
	"WithErrorHandler":     {Fn: cemqtt.WithErrorHandler, First: false, Second: true},
	"WithTopic":            {Fn: cemqtt.WithTopic, First: true, Second: false},
	"WithMaxAttributes":    {Fn: cemqtt.WithMaxAttributes, First: false, Second: true},
	"WithConcurrency":      {Fn: cemqtt.WithConcurrency, First: false, Second: true},
}

// TestOptionSides checks the declared result type of every option
// function, which is what the compiler checks at a call of NewPublisher
// or NewSubscriber: a subscriber-only option's type does not implement
// PublisherOption, so passing it to NewPublisher is a compile error, and
// the other way round. It also parses the package so that a new With…
// function must be listed here with its sides.
func TestOptionSides(t *testing.T) {
	optiontest.Check(t, reflect.TypeFor[cemqtt.PublisherOption](), reflect.TypeFor[cemqtt.SubscriberOption](), optionSides)
}
