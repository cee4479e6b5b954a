package heapwatch

import (
	"testing"
	"time"
)

var sink [][]byte

// TestSamplerSeesAnAllocation: 32 MiB held while the sampler runs raise
// its peak by most of that (garbage in the base reading may be swept
// meanwhile) and count as allocated.
func TestSamplerSeesAnAllocation(t *testing.T) {
	s := Start(time.Millisecond)
	const size = 32 << 20
	for range 32 {
		sink = append(sink, make([]byte, size/32))
	}
	time.Sleep(20 * time.Millisecond)
	allocated := s.Stop()
	sink = nil
	if grew := s.Peak() - s.Base().Objects; grew < size*3/4 {
		t.Errorf("peak grew by %d bytes while %d were held", grew, size)
	}
	if allocated < size {
		t.Errorf("%d bytes allocated, want at least %d", allocated, size)
	}
}
