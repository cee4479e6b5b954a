// Package heapwatch reads the Go heap from runtime/metrics for the
// hostile-input tests, which bound what an attack makes a server hold: the
// live heap objects, goroutine stacks and bytes allocated, and a Sampler
// that records the peak of the live heap while an attack is held.
package heapwatch

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// Reading is one read of the heap metrics.
type Reading struct {
	Objects   uint64 // bytes of live heap objects (and not yet swept dead ones)
	Stacks    uint64 // bytes of goroutine stacks
	Allocated uint64 // bytes allocated since the program started
}

// Read returns the heap metrics now.
func Read() Reading {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
		{Name: "/gc/heap/allocs:bytes"},
	}
	metrics.Read(s)
	return Reading{Objects: s[0].Value.Uint64(), Stacks: s[1].Value.Uint64(), Allocated: s[2].Value.Uint64()}
}

// A Sampler reads the heap every interval from Start until Stop and keeps
// the highest Objects seen.
type Sampler struct {
	base Reading
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
	end  Reading
}

// Start collects garbage, takes the base reading and starts sampling.
func Start(interval time.Duration) *Sampler {
	runtime.GC()
	s := &Sampler{base: Read(), stop: make(chan struct{}), done: make(chan struct{})}
	s.peak.Store(s.base.Objects)
	go func() {
		defer close(s.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			s.note(Read().Objects)
			select {
			case <-s.stop:
				s.end = Read()
				s.note(s.end.Objects)
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *Sampler) note(objects uint64) {
	if objects > s.peak.Load() {
		s.peak.Store(objects) // one writer: the sampling goroutine
	}
}

// Base is the reading taken by Start.
func (s *Sampler) Base() Reading { return s.base }

// Peak is the highest Objects seen so far; it may be read while sampling.
func (s *Sampler) Peak() uint64 { return s.peak.Load() }

// Stop ends sampling and returns the bytes allocated since Start.
func (s *Sampler) Stop() (allocated uint64) {
	close(s.stop)
	<-s.done
	return s.end.Allocated - s.base.Allocated
}
