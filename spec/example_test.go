package spec_test

import (
	"fmt"

	"github.com/openevents/openevents/spec"
)

func ExampleCatalog_Lookup() {
	r, ok := spec.Default().Lookup("CORE-ATTR-ID-1")
	if !ok {
		fmt.Println("not found")
		return
	}
	fmt.Println(r.ID, r.Level, r.Doc, r.Level.IsMust())
	// Output: CORE-ATTR-ID-1 REQUIRED core true
}

func ExampleLevel_IsMust() {
	for _, l := range []spec.Level{spec.LevelMustNot, spec.LevelShould, spec.LevelMay} {
		fmt.Println(l, l.IsMust())
	}
	// Output:
	// MUST NOT true
	// SHOULD false
	// MAY false
}
