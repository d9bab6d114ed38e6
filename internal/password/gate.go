package password

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// gate is a weighted semaphore over memory (KiB) with a bounded FIFO queue.
//
// Weights are in KiB rather than slots so that a stored hash made with more
// memory than the current Params (an older configuration) takes its real
// share: the sum of the memory of all running computations never exceeds
// capacity, whatever the stored rows say. The queue is FIFO, so a large
// request at the head is not starved by a stream of small ones; the price
// is that small requests behind it wait too, which is what a memory bound
// means.
//
// Waiting is bounded three ways: at most maxQueue waiters (the next one
// gets ErrBusy at once), at most maxWait each (then ErrBusy), and the
// caller's context. So 1,000 simultaneous attempts cost at most maxQueue
// parked goroutines beyond the running computations, and each of the rest
// returns immediately.
type gate struct {
	mu       sync.Mutex
	capacity int64
	used     int64
	maxQueue int
	maxWait  time.Duration
	queue    []*waiter
}

type waiter struct {
	need  int64
	ready chan struct{} // closed when the weight has been granted
}

func newGate(capacity int64, maxQueue int, maxWait time.Duration) *gate {
	return &gate{capacity: capacity, maxQueue: maxQueue, maxWait: maxWait}
}

// acquire takes need KiB, waiting if necessary. It returns ErrBusy when the
// queue is full or the wait exceeds maxWait, and the context's error
// (wrapped) when ctx ends first. need must not exceed capacity; the Hasher
// checks that before.
func (g *gate) acquire(ctx context.Context, need int64) error {
	if need > g.capacity {
		return fmt.Errorf("%w: needs %d KiB, more than the %d KiB of all slots", ErrParamsOutOfBounds, need, g.capacity)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("password: waiting for a hashing slot: %w", err)
	}
	g.mu.Lock()
	if len(g.queue) == 0 && g.used+need <= g.capacity {
		g.used += need
		g.mu.Unlock()
		return nil
	}
	if len(g.queue) >= g.maxQueue {
		g.mu.Unlock()
		return ErrBusy
	}
	w := &waiter{need: need, ready: make(chan struct{})}
	g.queue = append(g.queue, w)
	g.mu.Unlock()

	timer := time.NewTimer(g.maxWait)
	defer timer.Stop()
	var err error
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		err = fmt.Errorf("password: waiting for a hashing slot: %w", ctx.Err())
	case <-timer.C:
		err = ErrBusy
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-w.ready:
		// Granted while we were giving up: hand the weight back, since
		// the caller will not compute.
		g.used -= need
	default:
		g.removeLocked(w)
	}
	// Either way, waiters behind us may fit now.
	g.grantLocked()
	return err
}

// release returns n KiB and wakes the waiters that now fit.
func (g *gate) release(n int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.used -= n
	if g.used < 0 {
		panic("password: gate released more than acquired")
	}
	g.grantLocked()
}

// grantLocked grants waiters in order while the head fits.
func (g *gate) grantLocked() {
	for len(g.queue) > 0 {
		w := g.queue[0]
		if g.used+w.need > g.capacity {
			return
		}
		g.used += w.need
		close(w.ready)
		g.queue[0] = nil
		g.queue = g.queue[1:]
	}
}

func (g *gate) removeLocked(w *waiter) {
	for i, q := range g.queue {
		if q == w {
			copy(g.queue[i:], g.queue[i+1:])
			g.queue[len(g.queue)-1] = nil
			g.queue = g.queue[:len(g.queue)-1]
			return
		}
	}
}

// stats returns the KiB in use and the number of waiters.
func (g *gate) stats() (used int64, waiting int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.used, len(g.queue)
}
