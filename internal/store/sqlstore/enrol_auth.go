package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/enrol"
)

var _ enrol.AuthMethodStore = (*Store)(nil)

// UseDynamicCodeStep implements enrol.AuthMethodStore with one upsert: the
// row is created, or updated only where the stored step is smaller, and an
// unchanged row is the conflict. The comparison runs under the row lock
// the conflict takes (PostgreSQL re-evaluates the WHERE clause on the row
// a concurrent writer committed, or fails a SERIALIZABLE transaction with
// 40001 for InTx to rerun; SQLite has one writer), so two callers with one
// step never both succeed.
func (s *Store) UseDynamicCodeStep(ctx context.Context, residentID string, step int64, t time.Time) error {
	if residentID == "" {
		return fmt.Errorf("sqlstore: use dynamic code step: %w: empty resident id", errInvalid)
	}
	return s.do(ctx, "use dynamic code step", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO dynamic_code_steps (resident_id, last_step, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (resident_id) DO UPDATE SET last_step = excluded.last_step, updated_at = excluded.updated_at
			WHERE dynamic_code_steps.last_step < excluded.last_step`, residentID, step, micros(t))
	})
}

// checkLockKey refuses a lock without its key: nothing the Service writes
// lacks one, so an empty one is a caller's bug.
func checkLockKey(residentID string, m enrol.Method) error {
	var errs []error
	if residentID == "" {
		errs = append(errs, fmt.Errorf("%w: empty resident id", errInvalid))
	}
	if m == "" {
		errs = append(errs, fmt.Errorf("%w: empty method", errInvalid))
	}
	return errors.Join(errs...)
}

// LockAuthMethod implements enrol.AuthMethodStore.
func (s *Store) LockAuthMethod(ctx context.Context, residentID string, m enrol.Method, t time.Time) error {
	if err := checkLockKey(residentID, m); err != nil {
		return fmt.Errorf("sqlstore: lock auth method: %w", err)
	}
	return s.do(ctx, "lock auth method", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO resident_locks (resident_id, method, locked_at) VALUES ($1, $2, $3)
			ON CONFLICT (resident_id, method) DO NOTHING`, residentID, string(m), micros(t))
	})
}

// UnlockAuthMethod implements enrol.AuthMethodStore.
func (s *Store) UnlockAuthMethod(ctx context.Context, residentID string, m enrol.Method) error {
	if err := checkLockKey(residentID, m); err != nil {
		return fmt.Errorf("sqlstore: unlock auth method: %w", err)
	}
	return s.deleteOne(ctx, "unlock auth method", `DELETE FROM resident_locks WHERE resident_id = $1 AND method = $2`, residentID, string(m))
}

// AuthMethodLocks implements enrol.AuthMethodStore.
func (s *Store) AuthMethodLocks(ctx context.Context, residentID string) ([]enrol.Lock, error) {
	out := []enrol.Lock{}
	err := s.do(ctx, "list auth method locks", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT method, locked_at FROM resident_locks
			WHERE resident_id = $1 ORDER BY method`, residentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m string
			var at int64
			if err := rows.Scan(&m, &at); err != nil {
				return err
			}
			out = append(out, enrol.Lock{Method: enrol.Method(m), Since: fromMicros(at)})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAuthMethodState implements enrol.AuthMethodStore with two
// deletes, safe to rerun after a retryable failure. Outside a transaction
// such a rerun counts only what was left to delete; inside one, InTx
// reruns both.
func (s *Store) DeleteAuthMethodState(ctx context.Context, residentID string) (int64, error) {
	if residentID == "" {
		return 0, fmt.Errorf("sqlstore: delete auth method state: %w: empty resident id", errInvalid)
	}
	var total int64
	err := s.do(ctx, "delete auth method state", func(q querier) error {
		total = 0
		for _, query := range []string{
			`DELETE FROM resident_locks WHERE resident_id = $1`,
			`DELETE FROM dynamic_code_steps WHERE resident_id = $1`,
		} {
			res, err := q.ExecContext(ctx, query, residentID)
			if err != nil {
				return err
			}
			n, err := rowsAffected(res)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
