// Package admin serves the function runtime's operational endpoints:
// /healthz (the process is up), /readyz (it takes events: not while
// starting, draining, saturated or with a stuck function) and /metrics
// (Prometheus text format). The runtime mounts them on its HTTP
// trigger's address, where those paths are reserved, or on an admin
// address of their own.
package admin

import (
	"io"
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Paths of the endpoints.
const (
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
)

// A Readiness says whether the runtime takes events now; a non-nil error
// says why not.
type Readiness interface {
	Ready() error
}

// State is the runtime's own part of readiness: started, and not
// draining. Its zero value is "starting".
type State struct {
	started  atomic.Bool
	draining atomic.Bool
}

// Started marks the runtime as started: every trigger takes events.
func (s *State) Started() { s.started.Store(true) }

// Draining marks the runtime as draining: it is stopping intake.
func (s *State) Draining() { s.draining.Store(true) }

// Ready reports why the runtime does not take events, or nil.
func (s *State) Ready() error {
	switch {
	case s.draining.Load():
		return errDraining
	case !s.started.Load():
		return errStarting
	}
	return nil
}

type stateError string

func (e stateError) Error() string { return string(e) }

const (
	errStarting = stateError("starting")
	errDraining = stateError("draining")
)

// Routes returns the three endpoints by path. /readyz is 200 "ready" when
// every one of checks is ready, else 503 with the first reason; /metrics
// serves g.
func Routes(g prometheus.Gatherer, checks ...Readiness) map[string]http.Handler {
	return map[string]http.Handler{
		HealthPath: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "ok\n")
		}),
		ReadyPath: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			for _, c := range checks {
				if err := c.Ready(); err != nil {
					w.WriteHeader(http.StatusServiceUnavailable)
					_, _ = io.WriteString(w, "not ready: "+err.Error()+"\n")
					return
				}
			}
			_, _ = io.WriteString(w, "ready\n")
		}),
		MetricsPath: promhttp.HandlerFor(g, promhttp.HandlerOpts{}),
	}
}

// Mux returns the endpoints as one handler, for an admin address of
// their own.
func Mux(g prometheus.Gatherer, checks ...Readiness) http.Handler {
	mux := http.NewServeMux()
	for path, h := range Routes(g, checks...) {
		mux.Handle(path, h)
	}
	return mux
}
