package eventtest

// Typical is the benchmark event every OpenEvents benchmark uses, in the
// JSON format (355 bytes), as the foundation issue describes it: seven
// attributes, a traceparent extension and a small JSON object as data.
// Sharing it keeps the figures of the codecs and bindings comparable.
const Typical = `{"specversion":"1.0","id":"7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d",` +
	`"source":"https://example.com/orders","type":"com.example.order.created",` +
	`"subject":"orders/12345","time":"2026-11-26T10:00:00.123Z",` +
	`"datacontenttype":"application/json",` +
	`"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",` +
	`"data":{"order":12345,"total":19.99,"paid":true}}`

// Large is Typical with a larger data object (about 140 bytes, with a
// nested array of objects): 453 bytes in all. It was the benchmark event
// before Typical was brought to the size, and the codec
// benchmarks still report it, so that data-heavy events stay measured.
const Large = `{"specversion":"1.0","id":"7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d",` +
	`"source":"https://example.com/orders","type":"com.example.order.created",` +
	`"subject":"orders/12345","time":"2026-11-26T10:00:00.123Z",` +
	`"datacontenttype":"application/json",` +
	`"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",` +
	`"data":{"order":12345,"customer":"c-42","items":[{"sku":"A-1","qty":2,"price":4.5},` +
	`{"sku":"B-7","qty":1,"price":10.99}],"total":19.99,"paid":true}}`
