package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/netid/netid/internal/store"
)

// Store implements every domain store interface on one database/sql
// handle. Engine packages (internal/store/sqlite, internal/store/postgres)
// open it; domain packages only ever see it through their own Store
// interfaces and store.TxRunner.
type Store struct {
	db         *sql.DB
	d          Dialect
	migrations []migration
	now        func() time.Time
	retry      retryPolicy
	stmts      stmtCache
	// gc runs write transactions in shared commits when the dialect asks
	// for it (SQLite); nil otherwise.
	gc *committer
}

var _ store.TxRunner = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the Store read the time from now instead of time.Now. The
// only time the store takes for itself is when a migration was applied;
// domain methods receive their times from the caller.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithRetry sets how InTx (and a single statement outside a transaction)
// retries after a transient conflict: at most attempts runs in all, waiting
// between runs a random time up to base*2^(run-1), capped at max. Values
// below 1 (attempts) or 0 (durations) keep the defaults: 10 attempts, 2ms,
// 250ms.
func WithRetry(attempts int, base, max time.Duration) Option {
	return func(s *Store) {
		if attempts >= 1 {
			s.retry.attempts = attempts
		}
		if base > 0 {
			s.retry.base = base
		}
		if max > 0 {
			s.retry.max = max
		}
	}
}

// WithGroupCommit turns the dialect's group commit on or off
// (Dialect.GroupCommit). The engines choose well; this exists to measure
// the difference (BenchmarkConcurrentWrites).
func WithGroupCommit(on bool) Option {
	return func(s *Store) { s.d.GroupCommit = on }
}

// WithMigrations replaces the dialect's migrations with those in fsys (same
// file name rules). Tests use it to exercise Migrate with migrations that
// fail.
func WithMigrations(fsys fs.FS) Option {
	return func(s *Store) { s.d.Migrations = fsys }
}

// New returns a Store over db, an open handle of the engine d describes.
// The Store owns db: Close closes it. New does not touch the database; call
// Migrate or PendingMigrations next.
func New(db *sql.DB, d Dialect, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil database handle")
	}
	s := &Store{db: db, d: d, now: time.Now, retry: defaultRetry}
	for _, o := range opts {
		o(s)
	}
	if err := s.d.validate(); err != nil {
		return nil, err
	}
	ms, err := loadMigrations(s.d.Migrations)
	if err != nil {
		return nil, err
	}
	s.migrations = ms
	if s.d.GroupCommit {
		s.gc = newCommitter(s)
	}
	return s, nil
}

// Engine returns the engine name: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.d.Name }

// Ping checks that the engine answers, for readiness probes. Any failure
// wraps store.ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping %s: %w: %w", s.d.Name, store.ErrUnavailable, err)
	}
	return nil
}

// Close closes the database handle. Calls in flight may fail.
func (s *Store) Close() error {
	if s.gc != nil {
		s.gc.close()
	}
	s.stmts.close()
	return s.db.Close()
}

// Classify reports what err, an error from this store's engine or from a
// store method, means to the store.
func (s *Store) Classify(err error) Class { return s.d.Classify(err) }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q returns the transaction that ctx carries for this store, or the pool.
// Every statement of every method goes through it, which is how a method
// joins the caller's InTx.
func (s *Store) q(ctx context.Context) querier {
	if tx := s.txFrom(ctx); tx != nil {
		return tx
	}
	return s.db
}

// do runs fn, the body of one store method, and wraps its error for the
// caller. Inside a transaction fn runs once: a retryable error must abort
// the whole transaction, and InTx retries that. Outside one, fn runs as
// autocommit statements and is retried on its own, so fn must be safe to
// run again after a retryable failure (a failed statement wrote nothing).
func (s *Store) do(ctx context.Context, op string, fn func(q querier) error) error {
	if tx := s.txFrom(ctx); tx != nil {
		return s.wrap(op, fn(cachedQuerier{s, tx, nil}))
	}
	if s.gc == nil {
		return s.wrap(op, s.withRetry(ctx, func() error { return fn(cachedQuerier{s: s}) }))
	}
	// With group commit, fn runs on the pool until its first write; a
	// method that writes then runs again, whole, as a transaction of the
	// committer, so that its write shares a commit with others. What it
	// read before is read again in the transaction.
	var wrote bool
	err := s.withRetry(ctx, func() error { return fn(cachedQuerier{s: s, wrote: &wrote}) })
	if !wrote {
		return s.wrap(op, err)
	}
	return s.wrap(op, s.InTx(ctx, func(ctx context.Context) error { return fn(cachedQuerier{s, s.txFrom(ctx), nil}) }))
}

// wrap prefixes err with the operation and maps the engine's meaning onto
// the store sentinels. The driver error stays in the chain, so that InTx
// can still classify it and so that logs show the cause.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	switch s.d.Classify(err) {
	case ClassConflict:
		if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("sqlstore: %s: %w: %w", op, store.ErrConflict, err)
		}
	case ClassUnavailable:
		if !errors.Is(err, store.ErrUnavailable) {
			return fmt.Errorf("sqlstore: %s: %w: %w", op, store.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// rowsAffected returns how many rows res changed.
func rowsAffected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

// micros converts t to what the schema stores: microseconds since the Unix
// epoch. Both engines keep a 64-bit integer exactly, so a time written by
// one node reads back identically on every node and engine.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// rowScanner is what a *sql.Row and *sql.Rows have in common.
type rowScanner = interface{ Scan(dest ...any) error }

// execOnce runs a write that changes at most one row (an INSERT ... ON
// CONFLICT DO NOTHING, or an UPDATE guarded by a version) and reports
// store.ErrConflict when it changed none. Detecting the conflict by the row
// count, not by a caught unique violation, keeps the caller's PostgreSQL
// transaction usable.
func execOnce(ctx context.Context, q querier, query string, args ...any) error {
	return insertedOne(q.ExecContext(ctx, query, args...))
}

// deleteCount runs a DELETE and returns how many rows it deleted.
func (s *Store) deleteCount(ctx context.Context, op, query string, args ...any) (int64, error) {
	var n int64
	err := s.do(ctx, op, func(q querier) error {
		res, err := q.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, err
}

// deleteOne runs a DELETE of at most one row: store.ErrNotFound when it
// deleted none.
func (s *Store) deleteOne(ctx context.Context, op, query string, args ...any) error {
	n, err := s.deleteCount(ctx, op, query, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// getOne reads one row with scan in the transaction ctx carries (or the
// pool), mapping "no row" to store.ErrNotFound.
func getOne[T any](ctx context.Context, s *Store, op string, scan func(rowScanner) (T, error), query string, args ...any) (T, error) {
	var v T
	err := s.do(ctx, op, func(q querier) error {
		var err error
		v, err = scan(q.QueryRowContext(ctx, query, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
