package telemetry

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"time"
)

// Defaults of the options.
const (
	// DefaultQueueSize is how many ended spans may wait for export.
	DefaultQueueSize = 2048
	// DefaultBatchSize is the most spans one export request carries.
	DefaultBatchSize = 512
	// DefaultBatchTimeout is how long a batch that is not full waits
	// before it is sent.
	DefaultBatchTimeout = 5 * time.Second
	// DefaultExportTimeout bounds one export request, its retries
	// included.
	DefaultExportTimeout = 10 * time.Second
	// DefaultServiceName is the service.name of the spans' resource.
	DefaultServiceName = "ce-run"
)

// Upper bounds of the options, against typing errors.
const (
	MaxQueueSize     = 1 << 20
	MaxBatchSize     = 1 << 16
	MaxBatchTimeout  = time.Hour
	MaxExportTimeout = time.Hour
)

// MaxAttributeLength is the length in characters beyond which a span
// attribute's value is cut: an event's id, source, type or subject, or
// an error's text.
const MaxAttributeLength = 4096

// ErrConfig is wrapped by the errors of [New] for a bad endpoint or
// option.
var ErrConfig = errors.New("telemetry: bad configuration")

// ErrExport is wrapped by the errors [WithErrorHook] is told of: a
// failed export, or spans not exported at shutdown.
var ErrExport = errors.New("telemetry: spans not exported")

// An Option configures a [Tracer]. Options are applied in order and
// checked together by [New], which reports every bad value at once.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	queueSize     int
	batchSize     int
	batchTimeout  time.Duration
	exportTimeout time.Duration
	headers       map[string]string
	tls           *tls.Config
	serviceName   string
	onError       func(error)
}

func defaultConfig() config {
	return config{
		queueSize:     DefaultQueueSize,
		batchSize:     DefaultBatchSize,
		batchTimeout:  DefaultBatchTimeout,
		exportTimeout: DefaultExportTimeout,
		serviceName:   DefaultServiceName,
		onError:       func(error) {},
	}
}

// WithQueueSize sets how many ended spans may wait for export; default
// [DefaultQueueSize], 1 to [MaxQueueSize]. A span ended while the queue
// is full is dropped, and counted (see [Tracer.Stats]): tracing never
// holds up an event.
func WithQueueSize(n int) Option { return optionFunc(func(c *config) { c.queueSize = n }) }

// WithBatchSize sets the most spans one export request carries; default
// [DefaultBatchSize], 1 to [MaxBatchSize] and at most the queue size.
func WithBatchSize(n int) Option { return optionFunc(func(c *config) { c.batchSize = n }) }

// WithBatchTimeout sets how long the first span of a batch that is not
// full waits before the batch is sent; default [DefaultBatchTimeout],
// more than 0 and at most [MaxBatchTimeout].
func WithBatchTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.batchTimeout = d })
}

// WithExportTimeout bounds each export request, its retries included;
// default [DefaultExportTimeout], more than 0 and at most
// [MaxExportTimeout]. A batch whose export fails or times out is
// reported through [WithErrorHook] and not sent again.
func WithExportTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.exportTimeout = d })
}

// WithHeaders sets HTTP headers sent with every export request (an
// authorization header, say); default none. The map is copied.
func WithHeaders(h map[string]string) Option {
	h = maps.Clone(h)
	return optionFunc(func(c *config) { c.headers = h })
}

// WithTLS sets the TLS configuration of an https endpoint; default the
// system's roots and TLS 1.2 at least. It is an error with an http
// endpoint. The configuration must not be changed afterwards.
func WithTLS(tc *tls.Config) Option { return optionFunc(func(c *config) { c.tls = tc }) }

// WithServiceName sets the service.name of the spans' resource; default
// [DefaultServiceName]. It may not be empty.
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) { c.serviceName = name })
}

// WithErrorHook sets a function told of every failed export and, at
// [Tracer.Shutdown], of spans that were never exported; the errors wrap
// [ErrExport]. It is called from the exporting goroutine, or from
// Shutdown's; default none. nil is refused.
func WithErrorHook(f func(error)) Option { return optionFunc(func(c *config) { c.onError = f }) }

// check reports every bad value.
func (c *config) check() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("telemetry: "+format+": %w", append(a, ErrConfig)...))
	}
	if c.queueSize < 1 || c.queueSize > MaxQueueSize {
		bad("queue size %d is out of range 1..%d", c.queueSize, MaxQueueSize)
	}
	if c.batchSize < 1 || c.batchSize > MaxBatchSize {
		bad("batch size %d is out of range 1..%d", c.batchSize, MaxBatchSize)
	} else if c.batchSize > c.queueSize && c.queueSize >= 1 {
		bad("batch size %d is more than the queue size %d", c.batchSize, c.queueSize)
	}
	if c.batchTimeout <= 0 || c.batchTimeout > MaxBatchTimeout {
		bad("batch timeout %v is out of range (0, %v]", c.batchTimeout, MaxBatchTimeout)
	}
	if c.exportTimeout <= 0 || c.exportTimeout > MaxExportTimeout {
		bad("export timeout %v is out of range (0, %v]", c.exportTimeout, MaxExportTimeout)
	}
	if c.serviceName == "" {
		bad("service name is empty")
	}
	if c.onError == nil {
		bad("error hook is nil")
	}
	return errors.Join(errs...)
}
