package builtin_test

import (
	"context"
	"fmt"
	"os"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/runtime/builtin"
	"github.com/openevents/openevents/runtime/filter"
)

func ExampleFilter() {
	f, err := filter.ParseJSON([]byte(`[{"suffix": {"type": ".created"}}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fn := builtin.Filter(f, builtin.Log(os.Stdout))
	for _, typ := range []string{"com.example.created", "com.example.deleted"} {
		e := event.New("1", "/shop", typ)
		if _, err := fn.Call(context.Background(), &e); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Printf("%+v\n", fn.Stats())
	// Output:
	// {"specversion":"1.0","id":"1","source":"/shop","type":"com.example.created"}
	// {Matched:1 Skipped:1}
}
