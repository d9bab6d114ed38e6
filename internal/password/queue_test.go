package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blocker replaces argon2 in tests: computations of the password "block"
// announce themselves on started and wait for release; all others run
// argon2 at once. It records every call.
type blocker struct {
	started chan struct{}
	release chan struct{}
	calls   atomic.Int32
	mu      sync.Mutex
	params  []Params
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blocker) derive(pw, salt []byte, p Params) []byte {
	b.calls.Add(1)
	b.mu.Lock()
	b.params = append(b.params, p)
	b.mu.Unlock()
	if string(pw) == "block" {
		b.started <- struct{}{}
		<-b.release
	}
	return argon2id(pw, salt, p)
}

// waitForWaiting polls until exactly n password checks wait for a slot.
// The 30-second guard is not a performance assertion: it turns a broken
// gate, which would otherwise hang until go test's timeout, into a failure.
func waitForWaiting(t *testing.T, h *Hasher, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for h.Stats().Waiting != n {
		if time.Now().After(deadline) {
			t.Fatalf("Stats().Waiting = %d, want %d", h.Stats().Waiting, n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

type hashResult struct {
	encoded string
	err     error
}

// hashAsync starts Hash in a goroutine and returns where its result lands.
func hashAsync(ctx context.Context, h *Hasher, pw string) <-chan hashResult {
	c := make(chan hashResult, 1)
	go func() {
		s, err := h.Hash(ctx, pw)
		c <- hashResult{s, err}
	}()
	return c
}

func TestErrBusyWhenQueueFull(t *testing.T) {
	b := newBlocker()
	// A wait longer than any test run: ErrBusy can only come from the
	// full queue.
	h := newTiny(t, 1, WithMaxQueue(1), WithMaxWait(time.Hour), withDerive(b.derive))
	ctx := context.Background()

	first := hashAsync(ctx, h, "block")
	<-b.started // the only slot is taken
	second := hashAsync(ctx, h, "queued")
	waitForWaiting(t, h, 1) // the only queue place is taken

	if _, err := h.Hash(ctx, "third"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash() with a full queue error = %v, want ErrBusy", err)
	}
	if err := h.DummyVerify(ctx, "third"); !errors.Is(err, ErrBusy) {
		t.Errorf("DummyVerify() with a full queue error = %v, want ErrBusy", err)
	}
	if _, _, err := h.Verify(ctx, "third", referenceVectors[0].encoded); !errors.Is(err, ErrBusy) {
		t.Errorf("Verify() with a full queue error = %v, want ErrBusy", err)
	}

	close(b.release)
	for name, c := range map[string]<-chan hashResult{"first": first, "second": second} {
		if r := <-c; r.err != nil {
			t.Errorf("%s Hash() error = %v, want nil", name, r.err)
		}
	}
	if got := b.calls.Load(); got != 2 {
		t.Errorf("argon2 ran %d times, want 2 (the busy calls must not compute)", got)
	}
	if s := h.Stats(); s.InUse != 0 || s.Waiting != 0 {
		t.Errorf("Stats() = %+v at rest, want nothing in use or waiting", s)
	}
}

func TestErrBusyWithoutQueue(t *testing.T) {
	b := newBlocker()
	h := newTiny(t, 1, WithMaxQueue(0), WithMaxWait(time.Hour), withDerive(b.derive))
	first := hashAsync(context.Background(), h, "block")
	<-b.started
	if _, err := h.Hash(context.Background(), "second"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash() with no queue error = %v, want ErrBusy", err)
	}
	close(b.release)
	if r := <-first; r.err != nil {
		t.Errorf("first Hash() error = %v", r.err)
	}
}

func TestErrBusyAfterMaxWait(t *testing.T) {
	b := newBlocker()
	// The slot stays taken until the waiter has given up, so the outcome
	// does not depend on how long anything takes.
	h := newTiny(t, 1, WithMaxWait(time.Millisecond), withDerive(b.derive))
	first := hashAsync(context.Background(), h, "block")
	<-b.started
	if _, err := h.Hash(context.Background(), "waits too long"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash() after max wait error = %v, want ErrBusy", err)
	}
	if s := h.Stats(); s.Waiting != 0 {
		t.Errorf("Stats().Waiting = %d after giving up, want 0", s.Waiting)
	}
	close(b.release)
	if r := <-first; r.err != nil {
		t.Errorf("first Hash() error = %v", r.err)
	}
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	b := newBlocker()
	h := newTiny(t, 1, withDerive(b.derive))
	first := hashAsync(context.Background(), h, "block")
	<-b.started

	ctx, cancel := context.WithCancel(context.Background())
	waiting := hashAsync(ctx, h, "cancelled")
	waitForWaiting(t, h, 1)
	cancel()
	if r := <-waiting; !errors.Is(r.err, context.Canceled) {
		t.Errorf("Hash() cancelled while waiting error = %v, want context.Canceled", r.err)
	}
	if s := h.Stats(); s.Waiting != 0 {
		t.Errorf("Stats().Waiting = %d after cancellation, want 0", s.Waiting)
	}

	close(b.release)
	if r := <-first; r.err != nil {
		t.Errorf("first Hash() error = %v", r.err)
	}
	if got := b.calls.Load(); got != 1 {
		t.Errorf("argon2 ran %d times, want 1", got)
	}
	// The slot is free again.
	if _, err := h.Hash(context.Background(), "after"); err != nil {
		t.Errorf("Hash() after cancellation error = %v", err)
	}
}

func TestContextAlreadyCancelled(t *testing.T) {
	b := newBlocker()
	h := newTiny(t, 1, withDerive(b.derive))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "password"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash(cancelled ctx) error = %v, want context.Canceled", err)
	}
	if _, _, err := h.Verify(ctx, "password", referenceVectors[0].encoded); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify(cancelled ctx) error = %v, want context.Canceled", err)
	}
	if got := b.calls.Load(); got != 0 {
		t.Errorf("argon2 ran %d times, want 0", got)
	}
}

// Slots are memory: a stored hash made with twice the current memory takes
// two slots, and later requests queue behind it rather than overtake it.
func TestSlotsWeighMemory(t *testing.T) {
	b := newBlocker()
	h := newTiny(t, 2, withDerive(b.derive)) // 128 KiB
	ctx := context.Background()
	first := hashAsync(ctx, h, "block") // holds 64 KiB
	<-b.started

	big := referenceVectors[2] // m=128: needs both slots
	bigDone := make(chan error, 1)
	go func() {
		ok, rehash, err := h.Verify(ctx, big.password, big.encoded)
		if err == nil && (!ok || !rehash) {
			err = errors.New("want ok and needsRehash")
		}
		bigDone <- err
	}()
	waitForWaiting(t, h, 1)
	// 64 KiB are free, but the big request is first in line.
	small := hashAsync(ctx, h, "small")
	waitForWaiting(t, h, 2)
	if s := h.Stats(); s.InUse != 64 || s.Capacity != 128 {
		t.Errorf("Stats() = %+v, want 64 of 128 KiB in use", s)
	}

	close(b.release)
	if r := <-first; r.err != nil {
		t.Errorf("first Hash() error = %v", r.err)
	}
	if err := <-bigDone; err != nil {
		t.Errorf("Verify(m=128) error = %v", err)
	}
	if r := <-small; r.err != nil {
		t.Errorf("small Hash() error = %v", r.err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.params) != 3 || b.params[1].Memory != 128 || b.params[2].Memory != 64 {
		t.Errorf("computations ran with %+v, want the m=128 one before the later m=64 one", b.params)
	}
}
