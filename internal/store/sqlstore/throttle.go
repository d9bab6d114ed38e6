package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/throttle"
)

var _ throttle.Store = (*Store)(nil)

// ThrottleHit implements throttle.Store with one upsert, atomic on both
// engines: the row is created at count 1, or, under the row lock the
// conflict takes, either incremented or restarted when its window is over.
// Both CASE expressions read the row as it was before the update, as SQL
// requires of every SET expression.
func (s *Store) ThrottleHit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	if key == "" {
		return 0, time.Time{}, fmt.Errorf("sqlstore: throttle hit: %w: empty key", errInvalid)
	}
	if window < time.Microsecond {
		return 0, time.Time{}, fmt.Errorf("sqlstore: throttle hit: %w: window %v, want at least 1µs", errInvalid, window)
	}
	nowUS := micros(now)
	// A window that started at or before expired ends at or before now.
	expired := nowUS - window.Microseconds()
	var count, start int64
	err := s.do(ctx, "throttle hit", func(q querier) error {
		return q.QueryRowContext(ctx, `INSERT INTO throttle_counters (bucket, window_start, hits) VALUES ($1, $2, 1)
			ON CONFLICT (bucket) DO UPDATE SET
				hits = CASE WHEN throttle_counters.window_start <= $3 THEN 1 ELSE throttle_counters.hits + 1 END,
				window_start = CASE WHEN throttle_counters.window_start <= $3 THEN $2 ELSE throttle_counters.window_start END
			RETURNING hits, window_start`, key, nowUS, expired).Scan(&count, &start)
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	return int(count), fromMicros(start), nil
}

// ThrottleCount implements throttle.Store: the hits of key's current
// window, read without counting one; 0 when there is no counter or its
// window ended at or before now.
func (s *Store) ThrottleCount(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	if key == "" {
		return 0, time.Time{}, fmt.Errorf("sqlstore: throttle count: %w: empty key", errInvalid)
	}
	expired := micros(now) - window.Microseconds()
	var count, start int64
	found := true
	err := s.do(ctx, "throttle count", func(q querier) error {
		found = true
		err := q.QueryRowContext(ctx, `SELECT hits, window_start FROM throttle_counters WHERE bucket = $1`, key).Scan(&count, &start)
		if errors.Is(err, sql.ErrNoRows) {
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		return 0, time.Time{}, err
	}
	if !found || start <= expired {
		return 0, time.Time{}, nil
	}
	return int(count), fromMicros(start), nil
}

// ThrottleReset implements throttle.Store.
func (s *Store) ThrottleReset(ctx context.Context, key string) error {
	return s.do(ctx, "throttle reset", func(q querier) error {
		_, err := q.ExecContext(ctx, `DELETE FROM throttle_counters WHERE bucket = $1`, key)
		return err
	})
}

// ThrottlePrune implements throttle.Store.
func (s *Store) ThrottlePrune(ctx context.Context, before time.Time) (int64, error) {
	return s.deleteCount(ctx, "throttle prune", `DELETE FROM throttle_counters WHERE window_start < $1`, micros(before))
}
