package phone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/store"
)

// memStore is an in-memory Store for the Verifier's tests. It honours the
// Store contract where the tests depend on it: UpdatePhoneChallenge is a
// true compare-and-set on Version, and InTx rolls back every write of a
// failed function. It gives transactions no isolation from one another, so
// concurrent transactions really race and only the compare-and-set keeps a
// code single use. The SQL implementation is checked by
// internal/store/storetest.
type memStore struct {
	mu         sync.Mutex
	challenges map[memKey]Challenge
	counters   map[string]memCounter

	// retryTx makes InTx run the function, roll it back and run it again,
	// as the SQL store does after a serialization failure at commit.
	retryTx bool
	// onGet, if set, is called (without the lock) after each
	// PhoneChallenge read, before it returns, so that a test can hold
	// concurrent readers until all have read the same state.
	onGet func()
}

type memKey struct{ binding, purpose string }

type memCounter struct {
	start time.Time
	hits  int
}

type memTxKey struct{}

// memTx collects the undo steps of one transaction.
type memTx struct{ undo []func() }

func newMemStore() *memStore {
	return &memStore{challenges: map[memKey]Challenge{}, counters: map[string]memCounter{}}
}

var _ Store = (*memStore)(nil)

func (m *memStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(memTxKey{}).(*memTx); ok {
		return fn(ctx) // nested: join the outer transaction
	}
	runs := 1
	if m.retryTx {
		runs = 2
	}
	for i := range runs {
		tx := &memTx{}
		err := fn(context.WithValue(ctx, memTxKey{}, tx))
		if err != nil || i < runs-1 {
			m.rollback(tx)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) rollback(tx *memTx) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(tx.undo) - 1; i >= 0; i-- {
		tx.undo[i]()
	}
}

// record registers undo, to run under m.mu, if ctx carries a transaction.
// Called with m.mu held.
func record(ctx context.Context, undo func()) {
	if tx, ok := ctx.Value(memTxKey{}).(*memTx); ok {
		tx.undo = append(tx.undo, undo)
	}
}

func cloneChallenge(c Challenge) Challenge {
	c.NumberIndex = bytes.Clone(c.NumberIndex)
	c.CodeHash = bytes.Clone(c.CodeHash)
	return c
}

func (m *memStore) PhoneChallenge(_ context.Context, bindingID, purpose string) (Challenge, error) {
	m.mu.Lock()
	c, ok := m.challenges[memKey{bindingID, purpose}]
	m.mu.Unlock()
	if m.onGet != nil {
		m.onGet()
	}
	if !ok {
		return Challenge{}, fmt.Errorf("mem: challenge: %w", store.ErrNotFound)
	}
	return cloneChallenge(c), nil
}

func (m *memStore) CreatePhoneChallenge(ctx context.Context, c Challenge) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{c.BindingID, c.Purpose}
	if _, ok := m.challenges[k]; ok {
		return fmt.Errorf("mem: create challenge: %w", store.ErrConflict)
	}
	m.challenges[k] = cloneChallenge(c)
	record(ctx, func() { delete(m.challenges, k) })
	return nil
}

func (m *memStore) UpdatePhoneChallenge(ctx context.Context, prevVersion int64, c Challenge) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{c.BindingID, c.Purpose}
	old, ok := m.challenges[k]
	if !ok {
		return fmt.Errorf("mem: update challenge: %w", store.ErrNotFound)
	}
	if old.Version != prevVersion {
		return fmt.Errorf("mem: update challenge: version %d, want %d: %w", old.Version, prevVersion, store.ErrConflict)
	}
	m.challenges[k] = cloneChallenge(c)
	record(ctx, func() { m.challenges[k] = old })
	return nil
}

func (m *memStore) DeletePhoneChallenges(ctx context.Context, bindingID string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for k, c := range m.challenges {
		if k.binding == bindingID {
			delete(m.challenges, k)
			record(ctx, func() { m.challenges[k] = c })
			n++
		}
	}
	return n, nil
}

func (m *memStore) PrunePhoneChallenges(ctx context.Context, before time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for k, c := range m.challenges {
		if c.KeepUntil.Before(before) {
			delete(m.challenges, k)
			record(ctx, func() { m.challenges[k] = c })
			n++
		}
	}
	return n, nil
}

func (m *memStore) ThrottleCount(_ context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.counters[key]
	if !ok || !now.Before(c.start.Add(window)) {
		return 0, time.Time{}, nil
	}
	return c.hits, c.start, nil
}

func (m *memStore) ThrottleHit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, existed := m.counters[key]
	c := old
	if !existed || !now.Before(c.start.Add(window)) {
		c = memCounter{start: now}
	}
	c.hits++
	m.counters[key] = c
	record(ctx, func() {
		if existed {
			m.counters[key] = old
		} else {
			delete(m.counters, key)
		}
	})
	return c.hits, c.start, nil
}

func (m *memStore) ThrottleReset(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.counters[key]; ok {
		delete(m.counters, key)
		record(ctx, func() { m.counters[key] = old })
	}
	return nil
}

func (m *memStore) ThrottlePrune(context.Context, time.Time) (int64, error) {
	return 0, errors.New("mem: ThrottlePrune not used by the phone package")
}

// challenge returns the stored challenge without going through the hooks.
func (m *memStore) challenge(bindingID, purpose string) (Challenge, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.challenges[memKey{bindingID, purpose}]
	return cloneChallenge(c), ok
}

// TestMemStoreContract checks that the test store itself keeps the
// contract the Verifier's tests rely on, so that they cannot pass through a
// lenient fake.
func TestMemStoreContract(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	c := Challenge{BindingID: "b", Purpose: "p", Version: 1}
	if err := m.CreatePhoneChallenge(ctx, c); err != nil {
		t.Fatalf("CreatePhoneChallenge() = %v, want nil", err)
	}
	if err := m.CreatePhoneChallenge(ctx, c); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second CreatePhoneChallenge() = %v, want ErrConflict", err)
	}
	c2 := c
	c2.Version = 2
	if err := m.UpdatePhoneChallenge(ctx, 5, c2); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdatePhoneChallenge(stale) = %v, want ErrConflict", err)
	}
	if err := m.UpdatePhoneChallenge(ctx, 1, c2); err != nil {
		t.Errorf("UpdatePhoneChallenge(current) = %v, want nil", err)
	}
	if err := m.UpdatePhoneChallenge(ctx, 1, c2); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdatePhoneChallenge(replayed) = %v, want ErrConflict", err)
	}
	other := Challenge{BindingID: "x", Purpose: "p", Version: 2}
	if err := m.UpdatePhoneChallenge(ctx, 1, other); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdatePhoneChallenge(missing) = %v, want ErrNotFound", err)
	}
	if _, err := m.PhoneChallenge(ctx, "x", "p"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PhoneChallenge(missing) = %v, want ErrNotFound", err)
	}

	// A failed transaction leaves nothing behind.
	boom := errors.New("boom")
	err := m.InTx(ctx, func(ctx context.Context) error {
		if err := m.CreatePhoneChallenge(ctx, Challenge{BindingID: "y", Purpose: "p", Version: 1}); err != nil {
			return err
		}
		c3 := c2
		c3.Version = 3
		if err := m.UpdatePhoneChallenge(ctx, 2, c3); err != nil {
			return err
		}
		if _, _, err := m.ThrottleHit(ctx, "k", time.Hour, time.Unix(0, 0)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx() = %v, want boom", err)
	}
	if _, ok := m.challenge("y", "p"); ok {
		t.Errorf("created challenge survived a rolled-back transaction")
	}
	if got, _ := m.challenge("b", "p"); got.Version != 2 {
		t.Errorf("after rollback version = %d, want 2", got.Version)
	}
	if n, _, _ := m.ThrottleHit(ctx, "k", time.Hour, time.Unix(0, 0)); n != 1 {
		t.Errorf("after rollback, next hit count = %d, want 1", n)
	}
}
