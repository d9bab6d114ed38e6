package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/store"
)

var (
	_ envelope.Store      = (*Store)(nil)
	_ envelope.KEKCounter = (*Store)(nil)
)

// errInvalid marks a call the store refuses before reaching the engine: a
// programming error in the caller, not a state of the data.
var errInvalid = errors.New("invalid argument")

func checkDataKey(k envelope.DataKey) error {
	var errs []error
	if k.KEKID == "" {
		errs = append(errs, fmt.Errorf("%w: empty KEK id", errInvalid))
	}
	if len(k.Wrapped) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty wrapped key", errInvalid))
	}
	return errors.Join(errs...)
}

// PutDataKey implements envelope.Store.
func (s *Store) PutDataKey(ctx context.Context, k envelope.DataKey) error {
	if err := checkDataKey(k); err != nil {
		return fmt.Errorf("sqlstore: put data key: %w", err)
	}
	if k.Owner == "" {
		return fmt.Errorf("sqlstore: put data key: %w: empty owner", errInvalid)
	}
	return s.do(ctx, "put data key", func(q querier) error {
		// DO NOTHING rather than catching the unique violation: on
		// PostgreSQL a failed statement aborts the caller's transaction,
		// while a statement that inserts nothing does not.
		return execOnce(ctx, q, `INSERT INTO data_keys (owner, kek_id, wrapped, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (owner) DO NOTHING`,
			k.Owner, k.KEKID, k.Wrapped, micros(k.Created))
	})
}

// DataKey implements envelope.Store.
func (s *Store) DataKey(ctx context.Context, owner string) (envelope.DataKey, error) {
	var k envelope.DataKey
	err := s.do(ctx, "get data key", func(q querier) error {
		var created int64
		err := q.QueryRowContext(ctx, `SELECT owner, kek_id, wrapped, created_at FROM data_keys WHERE owner = $1`, owner).
			Scan(&k.Owner, &k.KEKID, &k.Wrapped, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		k.Created = fromMicros(created)
		return err
	})
	if err != nil {
		return envelope.DataKey{}, err
	}
	return k, nil
}

// RewrapDataKey implements envelope.Store. It replaces KEKID and Wrapped;
// Owner must be empty or owner, and Created is ignored: the key itself, and
// so its creation time, does not change.
func (s *Store) RewrapDataKey(ctx context.Context, owner, oldKEKID string, k envelope.DataKey) error {
	if err := checkDataKey(k); err != nil {
		return fmt.Errorf("sqlstore: rewrap data key: %w", err)
	}
	if k.Owner != "" && k.Owner != owner {
		return fmt.Errorf("sqlstore: rewrap data key: %w: key owner differs from owner", errInvalid)
	}
	return s.do(ctx, "rewrap data key", func(q querier) error {
		// Compare-and-swap on the KEK id. When nothing matched, a second
		// read says why. The two statements need no transaction: the
		// update changed nothing, so whatever the read sees is a state the
		// key really was in after the update, and the answer is right for
		// that state. For the same reason, rerunning both is harmless.
		res, err := q.ExecContext(ctx, `UPDATE data_keys SET kek_id = $1, wrapped = $2 WHERE owner = $3 AND kek_id = $4`,
			k.KEKID, k.Wrapped, owner, oldKEKID)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		var one int
		err = q.QueryRowContext(ctx, `SELECT 1 FROM data_keys WHERE owner = $1`, owner).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		}
		return store.ErrConflict
	})
}

// DataKeysWrappedBy implements envelope.Store. Owners are ordered bytewise
// on both engines (PostgreSQL columns use the "C" collation), so a listing
// resumed on either engine continues where it stopped. limit must be
// positive.
func (s *Store) DataKeysWrappedBy(ctx context.Context, kekID, afterOwner string, limit int) ([]envelope.DataKey, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlstore: list data keys: %w: limit %d, want at least 1", errInvalid, limit)
	}
	var keys []envelope.DataKey
	err := s.do(ctx, "list data keys", func(q querier) error {
		keys = keys[:0]
		rows, err := q.QueryContext(ctx, `SELECT owner, kek_id, wrapped, created_at FROM data_keys
			WHERE kek_id = $1 AND owner > $2 ORDER BY owner LIMIT $3`, kekID, afterOwner, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k envelope.DataKey
			var created int64
			if err := rows.Scan(&k.Owner, &k.KEKID, &k.Wrapped, &created); err != nil {
				return err
			}
			k.Created = fromMicros(created)
			keys = append(keys, k)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// DataKeyCountsByKEK implements envelope.KEKCounter. The (kek_id, owner) index
// answers it without reading the wrapped keys.
func (s *Store) DataKeyCountsByKEK(ctx context.Context) (map[string]int64, error) {
	var counts map[string]int64
	err := s.do(ctx, "count data keys", func(q querier) error {
		counts = map[string]int64{}
		rows, err := q.QueryContext(ctx, `SELECT kek_id, count(*) FROM data_keys GROUP BY kek_id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			counts[id] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// DeleteDataKey implements envelope.Store.
func (s *Store) DeleteDataKey(ctx context.Context, owner string) error {
	return s.deleteOne(ctx, "delete data key", `DELETE FROM data_keys WHERE owner = $1`, owner)
}
