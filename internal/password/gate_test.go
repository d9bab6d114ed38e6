package password

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// Many goroutines acquiring different weights, some giving up through
// cancellation or the wait limit, must leave the gate empty, and must never
// hold more than its capacity.
func TestGateStress(t *testing.T) {
	const capacity = 8
	g := newGate(capacity, 16, 50*time.Microsecond)
	var (
		mu   sync.Mutex
		held int64
		peak int64
	)
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for range 200 {
				need := int64(1 + r.IntN(4))
				ctx, cancel := context.WithCancel(context.Background())
				if r.IntN(4) == 0 {
					cancel() // sometimes before, sometimes while waiting
				}
				go func() {
					if r := rand.IntN(2); r == 0 {
						cancel()
					}
				}()
				err := g.acquire(ctx, need)
				cancel()
				if err != nil {
					if !errors.Is(err, ErrBusy) && !errors.Is(err, context.Canceled) {
						t.Errorf("acquire() error = %v, want nil, ErrBusy or context.Canceled", err)
					}
					continue
				}
				mu.Lock()
				held += need
				peak = max(peak, held)
				mu.Unlock()
				runtime.Gosched() // hold it a moment, so that others queue
				mu.Lock()
				held -= need
				mu.Unlock()
				g.release(need)
			}
		}()
	}
	wg.Wait()
	if used, waiting := g.stats(); used != 0 || waiting != 0 {
		t.Errorf("gate after the storm: %d in use, %d waiting, want 0, 0", used, waiting)
	}
	if peak > capacity {
		t.Errorf("peak held = %d, want at most the capacity %d", peak, capacity)
	}
}

func TestGateRefusesMoreThanCapacity(t *testing.T) {
	g := newGate(8, 4, time.Hour)
	if err := g.acquire(context.Background(), 9); !errors.Is(err, ErrParamsOutOfBounds) {
		t.Errorf("acquire(9) on a gate of 8 error = %v, want ErrParamsOutOfBounds", err)
	}
	if used, waiting := g.stats(); used != 0 || waiting != 0 {
		t.Errorf("gate: %d in use, %d waiting, want 0, 0", used, waiting)
	}
}
