package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

var errBoom = errors.New("boom")

func testEngine(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if got := s.Engine(); !slices.Contains([]string{"sqlite", "postgres"}, got) {
		t.Errorf("Engine() = %q, want sqlite or postgres", got)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping() after Close = %v, want store.ErrUnavailable", err)
	}
}

func testTxRollback(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	a, b := dataKey("a", "kek-1"), dataKey("b", "kek-1")

	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.PutDataKey(ctx, a); err != nil {
			return err
		}
		if err := s.PutDataKey(ctx, b); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := s.DataKey(ctx, "a"); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx() = %v, want errBoom", err)
	}
	for _, owner := range []string{"a", "b"} {
		if _, err := s.DataKey(ctx, owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DataKey(%q) after rollback error = %v, want store.ErrNotFound", owner, err)
		}
	}

	// A store error inside the transaction rolls back the earlier writes
	// too, and keeps its meaning.
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.PutDataKey(ctx, a); err != nil {
			return err
		}
		return s.PutDataKey(ctx, a)
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("InTx(put twice) = %v, want store.ErrConflict", err)
	}
	if _, err := s.DataKey(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DataKey(a) after rolled-back conflict error = %v, want store.ErrNotFound", err)
	}

	// And a transaction that succeeds commits everything.
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.PutDataKey(ctx, a); err != nil {
			return err
		}
		return s.PutDataKey(ctx, b)
	})
	if err != nil {
		t.Fatalf("InTx() = %v, want nil", err)
	}
	for _, owner := range []string{"a", "b"} {
		if _, err := s.DataKey(ctx, owner); err != nil {
			t.Errorf("DataKey(%q) after commit error = %v, want nil", owner, err)
		}
	}
}

func testTxNested(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	nested := func(fail bool) error {
		return s.InTx(ctx, func(ctx context.Context) error {
			if err := s.PutDataKey(ctx, dataKey("outer", "kek-1")); err != nil {
				return err
			}
			if err := s.InTx(ctx, func(ctx context.Context) error {
				return s.PutDataKey(ctx, dataKey("inner", "kek-1"))
			}); err != nil {
				return err
			}
			if fail {
				return errBoom
			}
			return nil
		})
	}
	if err := nested(true); !errors.Is(err, errBoom) {
		t.Fatalf("InTx(nested, failing) = %v, want errBoom", err)
	}
	for _, owner := range []string{"outer", "inner"} {
		if _, err := s.DataKey(ctx, owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DataKey(%q) after outer rollback error = %v, want store.ErrNotFound (the inner InTx must join the outer)", owner, err)
		}
	}
	if err := nested(false); err != nil {
		t.Fatalf("InTx(nested) = %v, want nil", err)
	}
	for _, owner := range []string{"outer", "inner"} {
		if _, err := s.DataKey(ctx, owner); err != nil {
			t.Errorf("DataKey(%q) after commit error = %v, want nil", owner, err)
		}
	}

	// A transaction of one store is not joined by another store.
	other := open(t, e)
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := other.PutDataKey(ctx, dataKey("elsewhere", "kek-1")); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx() = %v, want errBoom", err)
	}
	if _, err := other.DataKey(ctx, "elsewhere"); err != nil {
		t.Errorf("other store's DataKey(elsewhere) error = %v, want nil (it is not part of the first store's transaction)", err)
	}
}

func testTxRetry(t *testing.T, e Engine) {
	ctx := context.Background()
	const attempts = 3
	s := open(t, e, sqlstore.WithRetry(attempts, time.Microsecond, time.Microsecond))
	retryable := e.Retryable(t)
	if got := s.Classify(retryable); got != sqlstore.ClassRetry {
		t.Fatalf("engine's Retryable() error %v classifies as %v, want %v", retryable, got, sqlstore.ClassRetry)
	}

	tests := []struct {
		name      string
		failUntil int   // fn fails on runs 1..failUntil
		failWith  error // with this error
		wantCalls int
		wantErr   error
		wantKey   bool
	}{
		{name: "retried once", failUntil: 1, failWith: retryable, wantCalls: 2, wantKey: true},
		{name: "retried to the last attempt", failUntil: attempts - 1, failWith: retryable, wantCalls: attempts, wantKey: true},
		{name: "gives up", failUntil: attempts, failWith: retryable, wantCalls: attempts, wantErr: store.ErrConflict},
		{name: "other errors are not retried", failUntil: 1, failWith: errBoom, wantCalls: 1, wantErr: errBoom},
		{name: "store errors are not retried", failUntil: 1, failWith: store.ErrNotFound, wantCalls: 1, wantErr: store.ErrNotFound},
	}
	for i, tt := range tests {
		owner := fmt.Sprintf("retry-%d", i)
		calls := 0
		err := s.InTx(ctx, func(ctx context.Context) error {
			calls++
			// Each run writes; a run that fails must leave nothing
			// behind, or the next run's put would conflict.
			if err := s.PutDataKey(ctx, dataKey(owner, "kek-1")); err != nil {
				return err
			}
			if calls <= tt.failUntil {
				return fmt.Errorf("injected: %w", tt.failWith)
			}
			return nil
		})
		if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: InTx() = %v, want %v", tt.name, err, tt.wantErr)
		}
		if calls != tt.wantCalls {
			t.Errorf("%s: fn ran %d times, want %d", tt.name, calls, tt.wantCalls)
		}
		_, err = s.DataKey(ctx, owner)
		if tt.wantKey && err != nil || !tt.wantKey && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: DataKey() error = %v, want the key stored: %v", tt.name, err, tt.wantKey)
		}
	}

	// A cancelled context stops the retries.
	cctx, cancel := context.WithCancel(ctx)
	calls := 0
	err := s.InTx(cctx, func(ctx context.Context) error {
		calls++
		cancel()
		return retryable
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("InTx(cancelled) = %v after %d runs, want context.Canceled after 1", err, calls)
	}
}

func testTxPanic(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	func() {
		defer func() {
			if r := recover(); r != "fn panicked" {
				t.Errorf("recovered %v, want the panic to reach the caller", r)
			}
		}()
		_ = s.InTx(ctx, func(ctx context.Context) error {
			if err := s.PutDataKey(ctx, dataKey("a", "kek-1")); err != nil {
				return err
			}
			panic("fn panicked")
		})
	}()
	if _, err := s.DataKey(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DataKey(a) after panic error = %v, want store.ErrNotFound", err)
	}
	// The transaction was rolled back, not left holding a lock.
	if err := s.PutDataKey(ctx, dataKey("a", "kek-1")); err != nil {
		t.Errorf("PutDataKey() after panic = %v, want nil", err)
	}
}

// dataKey returns a key for owner with fixed contents.
func dataKey(owner, kekID string) envelope.DataKey {
	return envelope.DataKey{
		Owner:   owner,
		KEKID:   kekID,
		Wrapped: []byte("wrapped:" + owner + ":" + kekID),
		Created: time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC),
	}
}
