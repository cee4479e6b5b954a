// Package benchhttp measures CloudEvents HTTP receivers on loopback: it
// serves each receiver under comparison (ours on fasthttp and on net/http,
// sdk-go's, and bare net/http and fasthttp handlers as the practical
// limits), each in a child process by package bench's protocol, and
// drives them with one load generator built on fasthttp's client.
// "ce bench http" and "make bench-http" use it.
//
// Every load is bounded in time and in request count and targets a
// loopback address.
package benchhttp

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/valyala/fasthttp"

	"github.com/openevents/openevents/event"
	"github.com/openevents/openevents/event/binding"
	"github.com/openevents/openevents/event/format/jsonformat"
	"github.com/openevents/openevents/internal/bench"
	"github.com/openevents/openevents/runtime/config"
	"github.com/openevents/openevents/runtime/host"
	cehttp "github.com/openevents/openevents/transports/http"
	cefasthttp "github.com/openevents/openevents/transports/http/fasthttp"
)

// The receivers under comparison.
const (
	OpenEventsFast    = "openevents-fasthttp" // cefasthttp.Server
	OpenEventsNetHTTP = "openevents-nethttp"  // cehttp.Server (the net/http Handler)
	SDKGo             = "sdk-go"              // sdk-go client.StartReceiver
	BareNetHTTP       = "bare-nethttp"        // net/http handler: read body, check ce-id
	BareFastHTTP      = "bare-fasthttp"       // fasthttp handler: read body, check ce-id
	Runtime           = "ce-run"              // the function runtime: host (noop) behind the fast server
)

// Servers lists every receiver kind, in the order results are printed.
var Servers = []string{OpenEventsFast, OpenEventsNetHTTP, SDKGo, BareNetHTTP, BareFastHTTP, Runtime}

// Body is the 50-byte JSON data of every benchmark event.
const Body = `{"order":12345,"sku":"A-10","qty":2,"total":19.99}`

// Known reports whether kind is one of Servers.
func Known(kind string) bool { return slices.Contains(Servers, kind) }

// Server returns the bench.Serve of the receiver kind.
func Server(kind string) bench.Serve {
	return func(ctx context.Context, ln net.Listener, served *atomic.Int64) error {
		return Serve(ctx, kind, ln, served)
	}
}

// Serve runs the receiver kind on ln until ctx ends, then shuts it down
// and returns. It takes ownership of ln and adds each event the receiver
// accepts to served.
func Serve(ctx context.Context, kind string, ln net.Listener, served *atomic.Int64) error {
	h := binding.HandlerFunc(func(_ context.Context, e *event.Event) error {
		if e.ID() == "" {
			return binding.ErrRejected
		}
		served.Add(1)
		return nil
	})
	switch kind {
	case OpenEventsFast:
		s, err := cefasthttp.NewServer(h)
		if err != nil {
			return err
		}
		return serveUntil(ctx, func() error { return s.Serve(ln) }, s.Shutdown)
	case Runtime:
		// What ce run's HTTP trigger does per event with its defaults
		// (runtime/app): the host's dispatch (slot, metrics, outcome)
		// around a function, under the default per-event timeout, which
		// ce run enforces cooperatively, through the context.
		hst, err := host.New(bench.RuntimeNoop(h), host.WithTimeout(config.DefaultTimeout), host.WithCooperativeTimeout(true))
		if err != nil {
			return err
		}
		defer hst.Close()
		s, err := cefasthttp.NewServer(hst.Trigger("http"))
		if err != nil {
			return err
		}
		return serveUntil(ctx, func() error { return s.Serve(ln) }, s.Shutdown)
	case OpenEventsNetHTTP:
		s, err := cehttp.NewServer(h)
		if err != nil {
			return err
		}
		return serveUntil(ctx, func() error { return s.Serve(ln) }, s.Shutdown)
	case BareNetHTTP:
		s := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if bareNetHTTP(w, r) {
				served.Add(1)
			}
		})}
		return serveUntil(ctx, func() error {
			if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}, s.Shutdown)
	case BareFastHTTP:
		s := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
			if bareFastHTTP(ctx) {
				served.Add(1)
			}
		}, NoDefaultServerHeader: true, NoDefaultContentType: true}
		return serveUntil(ctx, func() error { return s.Serve(ln) }, s.ShutdownWithContext)
	case SDKGo:
		p, err := cloudevents.NewHTTP(cloudevents.WithListener(ln))
		if err != nil {
			return err
		}
		c, err := cloudevents.NewClient(p)
		if err != nil {
			return err
		}
		err = c.StartReceiver(ctx, func(e cloudevents.Event) error {
			if e.ID() == "" {
				return errors.New("no id")
			}
			served.Add(1)
			return nil
		})
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	return errors.New("benchhttp: unknown server " + strconv.Quote(kind))
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// bareNetHTTP reads the body, checks ce-id and reports whether it
// accepted the request.
func bareNetHTTP(w http.ResponseWriter, r *http.Request) bool {
	bp, _ := bodyPool.Get().(*[]byte)
	b := (*bp)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	*bp = b
	bodyPool.Put(bp)
	if r.Header.Get("Ce-Id") == "" {
		w.WriteHeader(http.StatusBadRequest)
		return false
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// bareFastHTTP is bareNetHTTP on fasthttp.
func bareFastHTTP(ctx *fasthttp.RequestCtx) bool {
	_ = ctx.PostBody()
	if len(ctx.Request.Header.Peek("ce-id")) == 0 {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		return false
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	return true
}

func serveUntil(ctx context.Context, serve func() error, shutdown func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- serve() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := shutdown(sctx)
	if serr := <-done; serr != nil && err == nil {
		err = serr
	}
	return err
}

// Load describes one measurement.
type Load struct {
	Connections int           // concurrent connections, each with one request in flight
	Duration    time.Duration // measured time, after Warmup
	Warmup      time.Duration // load before measuring, not counted
	MaxRequests int           // stop earlier after this many measured requests
	Batch       int           // events per request in batched mode; 0 for one binary-mode event
}

// Result is one measurement of one receiver.
type Result struct {
	Server       string  `json:"server"`
	Mode         string  `json:"mode"`
	Requests     int64   `json:"requests"`
	Events       int64   `json:"events"`
	Errors       int64   `json:"errors"`
	Seconds      float64 `json:"seconds"`
	EventsPerSec float64 `json:"events_per_sec"`
	P50Micros    float64 `json:"p50_us"`
	P99Micros    float64 `json:"p99_us"`
}

// NewRequest builds the request every connection repeats: one binary-mode
// event with a 50-byte JSON body, or a batch of n such events.
func NewRequest(req *fasthttp.Request, url string, batch int) error {
	req.SetRequestURI(url)
	req.Header.SetMethod(fasthttp.MethodPost)
	if batch <= 0 {
		req.Header.Set("ce-specversion", "1.0")
		req.Header.Set("ce-id", "7f6c9f2e-2a4c-4e3a-9d6b-5b0b8f0c1a2d")
		req.Header.Set("ce-source", "https://example.com/orders")
		req.Header.Set("ce-type", "com.example.order.created")
		req.Header.SetContentType("application/json")
		req.SetBodyString(Body)
		return nil
	}
	events := make([]event.Event, batch)
	for i := range events {
		e := &events[i]
		e.SetSpecVersion("1.0")
		e.SetID("7f6c9f2e-" + strconv.Itoa(i))
		e.SetSource("https://example.com/orders")
		e.SetType("com.example.order.created")
		e.SetDataContentType("application/json")
		e.SetData([]byte(Body))
	}
	b, err := jsonformat.AppendBatch(nil, events)
	if err != nil {
		return err
	}
	req.Header.SetContentType(jsonformat.BatchMediaType)
	req.SetBody(b)
	return nil
}

// Drive loads the receiver at url (which must be a loopback address) and
// measures it.
func Drive(ctx context.Context, server, url string, l Load) (Result, error) {
	if l.Connections <= 0 || l.Duration <= 0 || l.MaxRequests <= 0 {
		return Result{}, errors.New("benchhttp: connections, duration and max requests must be positive")
	}
	addr, err := loopbackAddr(url)
	if err != nil {
		return Result{}, err
	}
	hc := &fasthttp.HostClient{Addr: addr, MaxConns: l.Connections, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	var template fasthttp.Request
	if err := NewRequest(&template, url, l.Batch); err != nil {
		return Result{}, err
	}
	perConn := l.MaxRequests/l.Connections + 1
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		requests  atomic.Int64
		errs      atomic.Int64
		wg        sync.WaitGroup
	)
	lat := make([][]uint32, l.Connections)
	var start time.Time
	for i := range l.Connections {
		lat[i] = make([]uint32, 0, perConn)
		wg.Go(func() {
			var req fasthttp.Request
			var resp fasthttp.Response
			template.CopyTo(&req)
			for !stop.Load() && ctx.Err() == nil {
				t0 := time.Now()
				err := hc.Do(&req, &resp)
				d := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				if err != nil || resp.StatusCode() >= 300 {
					errs.Add(1)
					if err != nil {
						time.Sleep(time.Millisecond) // do not spin on a dead server
					}
					continue
				}
				if len(lat[i]) < perConn {
					lat[i] = append(lat[i], uint32(min(d.Microseconds(), 1<<31)))
				}
				if requests.Add(1) >= int64(l.MaxRequests) {
					stop.Store(true)
				}
			}
		})
	}
	sleep(ctx, l.Warmup)
	start = time.Now()
	measuring.Store(true)
	deadline := time.NewTimer(l.Duration)
	tick := time.NewTicker(10 * time.Millisecond)
	for !stop.Load() {
		select {
		case <-deadline.C:
			stop.Store(true)
		case <-ctx.Done():
			stop.Store(true)
		case <-tick.C:
		}
	}
	elapsed := time.Since(start)
	measuring.Store(false)
	deadline.Stop()
	tick.Stop()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	var all []uint32
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	n := requests.Load()
	per := int64(1)
	mode := "binary"
	if l.Batch > 0 {
		per, mode = int64(l.Batch), "batch"
	}
	r := Result{
		Server: server, Mode: mode, Requests: n, Events: n * per, Errors: errs.Load(),
		Seconds: elapsed.Seconds(), EventsPerSec: float64(n*per) / elapsed.Seconds(),
		P50Micros: percentile(all, 0.50), P99Micros: percentile(all, 0.99),
	}
	if n == 0 {
		return r, errors.New("benchhttp: " + server + " answered no request with 2xx (" + strconv.FormatInt(r.Errors, 10) + " errors)")
	}
	return r, nil
}

func percentile(sorted []uint32, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return float64(sorted[i])
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// loopbackAddr returns host:port of url and refuses anything but a
// loopback address: the generator never loads another machine.
func loopbackAddr(url string) (string, error) {
	rest, ok := cutPrefix(url, "http://")
	if !ok {
		return "", errors.New("benchhttp: only http:// URLs are driven")
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] == '/' {
			rest = rest[:i]
			break
		}
	}
	host, _, err := net.SplitHostPort(rest)
	if err != nil {
		return "", err
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", errors.New("benchhttp: refusing to load " + host + ": not a loopback address")
	}
	return rest, nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}
