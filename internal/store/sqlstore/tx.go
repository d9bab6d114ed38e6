package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/netid/netid/internal/store"
)

type txKey struct{}

// txState is what InTx puts in the context: the transaction and the store
// that owns it, so that a context from one store's transaction is not
// mistaken for another's.
type txState struct {
	s  *Store
	tx *sql.Tx
}

func (s *Store) txFrom(ctx context.Context) *sql.Tx {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.s == s {
		return st.tx
	}
	return nil
}

// InTx runs fn in one transaction and commits it if fn returns nil. Every
// store method called with the context handed to fn runs in that
// transaction. An InTx nested in another (called with such a context) joins
// the outer transaction: fn runs once, and the outer InTx commits or
// retries everything.
//
// On PostgreSQL the transaction is SERIALIZABLE; on SQLite it begins with
// BEGIN IMMEDIATE, which takes the write lock at once. When the engine
// reports a transient conflict (serialization failure, deadlock, busy
// database) from fn or from the commit, InTx rolls back, waits a short
// random time and runs fn again, up to the configured number of attempts;
// fn MUST therefore be idempotent and keep no state across runs. After the
// last attempt the error wraps store.ErrConflict. Any other error from fn
// rolls back and is returned unchanged, so that no partial write survives.
//
// fn must use only the context it is given for store calls, and must not
// share it with goroutines: SQLite has one writer, so a write on another
// connection while the transaction is open waits for the busy timeout.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	if s.gc != nil {
		return s.withRetry(ctx, func() error { return s.gc.submit(ctx, fn) })
	}
	return s.withRetry(ctx, func() error { return s.runTx(ctx, fn) })
}

// runTx runs fn once in a new transaction.
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: s.d.Isolation})
	if err != nil {
		return s.wrap("begin transaction", err)
	}
	if s.d.LogAppendLock != "" && store.LogAppendFrom(ctx) {
		if _, err := tx.ExecContext(ctx, s.d.LogAppendLock); err != nil {
			_ = tx.Rollback()
			return s.wrap("take the log-append lock", err)
		}
	}
	committed := false
	defer func() {
		// Also runs when fn panics: the connection goes back to the pool
		// clean, and the panic continues.
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, &txState{s: s, tx: tx})); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return s.wrap("commit", err)
	}
	return nil
}

// retryPolicy bounds retries after transient conflicts.
type retryPolicy struct {
	attempts  int
	base, max time.Duration
}

var defaultRetry = retryPolicy{attempts: 10, base: 2 * time.Millisecond, max: 250 * time.Millisecond}

// delay returns how long to wait after the given failed attempt (1-based):
// half of an exponentially growing, capped step, plus a random part of the
// other half, so that transactions that collided once spread out instead of
// colliding again in lockstep.
func (p retryPolicy) delay(attempt int) time.Duration {
	step := p.max
	if attempt-1 < 30 {
		if d := p.base << (attempt - 1); d > 0 && d < p.max {
			step = d
		}
	}
	half := step / 2
	return half + rand.N(step-half+1)
}

// withRetry runs op until it succeeds, fails with an error that is not
// ClassRetry, runs out of attempts or ctx ends.
func (s *Store) withRetry(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || (s.d.Classify(err) != ClassRetry && !errors.Is(err, errBatchAborted)) {
			return err
		}
		if attempt >= s.retry.attempts {
			return fmt.Errorf("sqlstore: gave up after %d attempts: %w: %w", attempt, store.ErrConflict, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("sqlstore: retry abandoned: %w (last error: %w)", ctx.Err(), err)
		}
		t := time.NewTimer(s.retry.delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("sqlstore: retry abandoned: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}
