package fasthttp_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp's idle-worker sweeper sleeps up to 10 s between checks
		// of its stop channel, so it outlives Shutdown by up to that long;
		// it does exit (Server.Shutdown documents it).
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		// fasthttp keeps the Date header fresh with one process-wide
		// goroutine, started by the first server and never stopped.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}
