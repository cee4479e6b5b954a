package mqtt_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openevents/openevents/event/binding"
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
	_ cemqtt.SubscriberOption = cemqtt.WithErrorHandler(nil)

	_ cemqtt.Option = cemqtt.WithVersion(cemqtt.Version5)
	_ cemqtt.Option = cemqtt.WithTLS(nil)
	_ cemqtt.Option = cemqtt.WithKeepAlive(0)
	_ cemqtt.Option = cemqtt.WithMaxMessageBytes(1)

	// For example, neither of these compiles:
	//	_ cemqtt.SubscriberOption = cemqtt.WithRetain(true)       // missing method applySubscriber
	//	_ cemqtt.PublisherOption  = cemqtt.WithMaxAttributes(1) // missing method applyPublisher
)

// optionSides lists every option function with the sides it applies to.
var optionSides = map[string]struct {
	fn                    any
	publisher, subscriber bool
}{
	"WithVersion":          {cemqtt.WithVersion, true, true},
	"WithQoS":              {cemqtt.WithQoS, true, true},
	"WithClientID":         {cemqtt.WithClientID, true, true},
	"WithTLS":              {cemqtt.WithTLS, true, true},
	"WithCredentials":      {cemqtt.WithCredentials, true, true},
	"WithSessionExpiry":    {cemqtt.WithSessionExpiry, true, true},
	"WithKeepAlive":        {cemqtt.WithKeepAlive, true, true},
	"WithConnectTimeout":   {cemqtt.WithConnectTimeout, true, true},
	"WithReconnectBackoff": {cemqtt.WithReconnectBackoff, true, true},
	"WithMaxMessageBytes":  {cemqtt.WithMaxMessageBytes, true, true},
	"WithMode":             {cemqtt.WithMode, true, false},
	"WithRetain":           {cemqtt.WithRetain, true, false},
	"WithCleanStart":       {cemqtt.WithCleanStart, false, true},
	"WithErrorHandler":     {cemqtt.WithErrorHandler, false, true},
	"WithMaxAttributes":    {cemqtt.WithMaxAttributes, false, true},
}

// TestOptionSides checks the declared result type of every option
// function, which is what the compiler checks at a call of NewPublisher
// or NewSubscriber: a subscriber-only option's type does not implement
// PublisherOption, so passing it to NewPublisher is a compile error, and
// the other way round. It also parses the package so that a new With…
// function must be listed here with its sides.
func TestOptionSides(t *testing.T) {
	publisherType := reflect.TypeFor[cemqtt.PublisherOption]()
	subscriberType := reflect.TypeFor[cemqtt.SubscriberOption]()
	for name, o := range optionSides {
		ft := reflect.TypeOf(o.fn)
		if ft.NumOut() != 1 {
			t.Errorf("%s returns %d values", name, ft.NumOut())
			continue
		}
		out := ft.Out(0)
		if got := out.Implements(publisherType); got != o.publisher {
			t.Errorf("%s returns %v: a PublisherOption: %t, want %t", name, out, got, o.publisher)
		}
		if got := out.Implements(subscriberType); got != o.subscriber {
			t.Errorf("%s returns %v: a SubscriberOption: %t, want %t", name, out, got, o.subscriber)
		}
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !ast.IsExported(fd.Name.Name) || !strings.HasPrefix(fd.Name.Name, "With") {
				continue
			}
			if _, ok := optionSides[fd.Name.Name]; !ok {
				t.Errorf("option %s (%s) is not in optionSides: add it with the sides it applies to", fd.Name.Name, name)
			}
		}
	}
}
