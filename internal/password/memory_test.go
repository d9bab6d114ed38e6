package password

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// heapSampler records the peak of the heap while it runs, sampling
// runtime.ReadMemStats every millisecond. An argon2 buffer lives for tens
// of milliseconds, so no peak made of them goes unseen.
type heapSampler struct {
	stop, done     chan struct{}
	peakHeap, peak uint64 // HeapInuse, and Sys (all memory from the OS)
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			s.peakHeap = max(s.peakHeap, ms.HeapInuse)
			s.peak = max(s.peak, ms.Sys)
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the peaks in MiB.
func (s *heapSampler) Stop() (heapMiB, sysMiB float64) {
	close(s.stop)
	<-s.done
	return float64(s.peakHeap) / (1 << 20), float64(s.peak) / (1 << 20)
}

// burst launches n simultaneous Hash calls and returns how many succeeded
// and how many were turned away with ErrBusy; any other error is reported.
func burst(tb testing.TB, h *Hasher, n int) (ok, busy int) {
	tb.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := h.Hash(context.Background(), "correct horse battery staple")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrBusy):
				busy++
			default:
				tb.Errorf("Hash() error = %v, want nil or ErrBusy", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return ok, busy
}

// TestBurstMemoryBounded launches 1,000 simultaneous Hash calls with
// DefaultParams (64 MiB each) and 4 slots, and checks that the heap stays
// at the 4 running buffers plus a margin: far under the 512 MiB the whole
// process must stay under. It asserts on memory, not on time; with the
// default queue most calls are turned away at once and the rest wait at
// most DefaultMaxWait, so it runs for a few seconds.
func TestBurstMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("runs argon2 at 64 MiB for a few seconds; skipped with -short")
	}
	const attempts, slots = 1000, 4
	h, err := NewHasher(DefaultParams(), slots)
	if err != nil {
		t.Fatalf("NewHasher() error = %v", err)
	}
	runtime.GC()
	s := startHeapSampler()
	ok, busy := burst(t, h, attempts)
	heapMiB, sysMiB := s.Stop()
	t.Logf("%d attempts, %d slots: %d hashed, %d busy; peak heap in use %.0f MiB, peak from the OS %.0f MiB",
		attempts, slots, ok, busy, heapMiB, sysMiB)

	if ok+busy != attempts {
		t.Errorf("%d hashed + %d busy = %d, want %d", ok, busy, ok+busy, attempts)
	}
	// The calls that found a free slot never fail.
	if ok < slots {
		t.Errorf("%d calls hashed, want at least the %d that found a slot", ok, slots)
	}
	// 4 buffers of 64 MiB, plus 64 MiB for everything else the test binary holds.
	const boundMiB = slots*64 + 64
	if heapMiB > boundMiB {
		t.Errorf("peak heap in use = %.0f MiB, want at most %d MiB", heapMiB, boundMiB)
	}
	if s := h.Stats(); s.InUse != 0 || s.Waiting != 0 {
		t.Errorf("Stats() after the burst = %+v, want nothing in use or waiting", s)
	}
}
