package sdkgo_test

import (
	"fmt"

	sdk "github.com/cloudevents/sdk-go/v2/event"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/event/sdkgo"
)

func ExampleToSDK() {
	var e event.Event
	err := jsonformat.Decode([]byte(`{"specversion":"1.0","id":"42","source":"/orders","type":"com.example.order.created",
		"comexamplepriority":5,"data":{"order":1234}}`), &e)
	if err != nil {
		fmt.Println(err)
		return
	}

	se, err := sdkgo.ToSDK(&e)
	if err != nil {
		fmt.Println(err)
		return
	}
	prio := se.Extensions()["comexamplepriority"]
	fmt.Printf("%s %s %T(%v) %s\n", se.ID(), se.Source(), prio, prio, se.Data())

	back, err := sdkgo.FromSDK(&se)
	fmt.Println(back.Equal(&e), err)
	// Output:
	// 42 /orders int32(5) {"order":1234}
	// true <nil>
}

func ExampleFromSDK() {
	se := sdk.New()
	se.SetID("7")
	se.SetSource("https://example.com/sensors/3")
	se.SetType("com.example.reading")
	se.SetExtension("comexamplecalibrated", true)
	if err := se.SetData(sdk.ApplicationJSON, map[string]float64{"celsius": 21.5}); err != nil {
		fmt.Println(err)
		return
	}

	e, err := sdkgo.FromSDK(&se)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := e.Extension("comexamplecalibrated")
	fmt.Println(e.ID(), e.Source(), v.Kind(), v, string(e.Data()))

	// sdk-go's setter refuses a value outside the CloudEvents type
	// system, but its extension map is open to anything. Such a value is
	// an error, not a silent drop.
	if c, ok := se.Context.(*sdk.EventContextV1); ok {
		c.Extensions["comexamplenested"] = map[string]any{"a": 1}
	}
	_, err = sdkgo.FromSDK(&se)
	fmt.Println(err)
	// Output:
	// 7 https://example.com/sensors/3 Boolean true {"celsius":21.5}
	// sdkgo: comexamplenested: the Go type map[string]interface {} has no CloudEvents type: invalid CloudEvents value: map[string]interface {}{"a":1} (CORE-TYPE-1)
}

func ExampleFormat() {
	var f sdkgo.Format // what format.Add(sdkgo.Format{}) would register
	var se sdk.Event

	// sdk-go's own JSON format keeps the last of two ids; this one refuses.
	err := f.Unmarshal([]byte(`{"specversion":"1.0","id":"a","id":"b","source":"/s","type":"t"}`), &se)
	fmt.Println(err)

	err = f.Unmarshal([]byte(`{"specversion":"1.0","id":"a","source":"/s","type":"t","data_base64":"AAEC"}`), &se)
	fmt.Printf("%v %v % x\n", err, se.DataBase64, se.Data())
	out, err := f.Marshal(&se)
	fmt.Println(string(out), err)
	// Output:
	// jsonformat: member "id" appears twice at offset 30 (JSON-SYNTAX-3)
	// <nil> true 00 01 02
	// {"specversion":"1.0","id":"a","source":"/s","type":"t","data_base64":"AAEC"} <nil>
}
