package filter_test

import (
	"encoding/json"
	"fmt"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/filter"
)

func ExampleNew() {
	// The filters of a subscription, as a YAML or JSON decoder gives them.
	var cfg any
	_ = json.Unmarshal([]byte(`[
		{"prefix": {"type": "com.example.order."}},
		{"not": {"exact": {"source": "/test"}}}
	]`), &cfg)
	f, err := filter.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	created := event.New("1", "/shop", "com.example.order.created")
	test := event.New("2", "/test", "com.example.order.created")
	fmt.Println(f.Match(&created), f.Match(&test))

	_, err = filter.New([]any{cfg, map[string]any{"all": []any{}}})
	fmt.Println(err)
	// Output:
	// true false
	// filter: filters[0]: is an array, want an object with one dialect member (SUBS-FILTER-7)
	// filter: filters[1].all: is an empty array, want at least one filter expression (SUBS-FILTER-ALL-2)
}
