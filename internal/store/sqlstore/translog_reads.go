package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/merkle/compact"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// maxTranslogNodes bounds one TranslogNodes call: a proof in a tree of
// 2^63 leaves needs fewer than 2*64 nodes.
const maxTranslogNodes = 192

// TranslogNodes implements translog.Store.
func (s *Store) TranslogNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	if len(ids) == 0 || len(ids) > maxTranslogNodes {
		return nil, fmt.Errorf("sqlstore: get translog nodes: %w: %d nodes, want 1 to %d", errInvalid, len(ids), maxTranslogNodes)
	}
	// One statement of OR-ed primary-key equalities, which both engines
	// answer with one index probe per pair.
	var b strings.Builder
	args := make([]any, 0, 2*len(ids))
	b.WriteString(`SELECT level, idx, hash FROM translog_nodes WHERE `)
	for i, id := range ids {
		if id.Level >= 64 || id.Index > 1<<63-1 {
			return nil, fmt.Errorf("sqlstore: get translog nodes: %w: node (%d, %d)", errInvalid, id.Level, id.Index)
		}
		if i > 0 {
			b.WriteString(" OR ")
		}
		fmt.Fprintf(&b, "(level = $%d AND idx = $%d)", 2*i+1, 2*i+2)
		args = append(args, int64(id.Level), int64(id.Index))
	}
	found := make(map[compact.NodeID][]byte, len(ids))
	err := s.do(ctx, "get translog nodes", func(q querier) error {
		clear(found)
		rows, err := q.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var level, idx int64
			var hash []byte
			if err := rows.Scan(&level, &idx, &hash); err != nil {
				return err
			}
			found[compact.NewNodeID(uint(level), uint64(idx))] = hash
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("sqlstore: get translog nodes: node (%d, %d): %w", id.Level, id.Index, store.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

// translogLeafColumns lists the columns of translog_leaves in the order that
// scanTranslogLeaf reads them.
const translogLeafColumns = `leaf_index, entry_id, log_id, seq, leaf`

// scanTranslogLeaf reads one row of translogLeafColumns.
func scanTranslogLeaf(row interface{ Scan(...any) error }) (translog.StoredLeaf, error) {
	var l translog.StoredLeaf
	var index, seq int64
	var logID string
	if err := row.Scan(&index, &l.EntryID, &logID, &seq, &l.Leaf); err != nil {
		return translog.StoredLeaf{}, err
	}
	l.Index, l.LogID, l.Seq = uint64(index), translog.LogID(logID), uint64(seq)
	return l, nil
}

// oneTranslogLeaf runs a query for at most one leaf.
func (s *Store) oneTranslogLeaf(ctx context.Context, op, query string, args ...any) (translog.StoredLeaf, error) {
	var l translog.StoredLeaf
	err := s.do(ctx, op, func(q querier) error {
		var err error
		l, err = scanTranslogLeaf(q.QueryRowContext(ctx, query, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return translog.StoredLeaf{}, err
	}
	return l, nil
}

// TranslogLeafByEntryID implements translog.Store.
func (s *Store) TranslogLeafByEntryID(ctx context.Context, id string) (translog.StoredLeaf, error) {
	return s.oneTranslogLeaf(ctx, "get translog leaf by entry id",
		`SELECT `+translogLeafColumns+` FROM translog_leaves WHERE entry_id = $1`, id)
}

// TranslogLastLeaf implements translog.Store.
func (s *Store) TranslogLastLeaf(ctx context.Context, id translog.LogID) (translog.StoredLeaf, error) {
	// The (log_id, seq) unique index serves this backwards.
	return s.oneTranslogLeaf(ctx, "get last translog leaf",
		`SELECT `+translogLeafColumns+` FROM translog_leaves WHERE log_id = $1 ORDER BY seq DESC LIMIT 1`, string(id))
}

// TranslogLeaves implements translog.Store.
func (s *Store) TranslogLeaves(ctx context.Context, id translog.LogID, afterSeq uint64, limit int) ([]translog.StoredLeaf, error) {
	after, err := translogInt64("sequence number", afterSeq)
	if err == nil && limit < 1 {
		err = fmt.Errorf("%w: limit %d", errInvalid, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list translog leaves: %w", err)
	}
	var out []translog.StoredLeaf
	err = s.do(ctx, "list translog leaves", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT `+translogLeafColumns+` FROM translog_leaves
			WHERE log_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, string(id), after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			l, err := scanTranslogLeaf(rows)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutTranslogCheckpoint implements translog.Store.
func (s *Store) PutTranslogCheckpoint(ctx context.Context, c translog.StoredCheckpoint) error {
	size, err := translogInt64("tree size", c.Size)
	if err == nil && (len(c.Root) != translogHashSize || len(c.Note) == 0) {
		err = fmt.Errorf("%w: a checkpoint has a %d-byte root and a note", errInvalid, translogHashSize)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: put translog checkpoint: %w", err)
	}
	return s.do(ctx, "put translog checkpoint", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO translog_checkpoints (tree_size, root_hash, signed_at, note)
			VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) DO NOTHING`, size, c.Root, micros(c.Time), c.Note)
	})
}

// oneTranslogCheckpoint runs a query for at most one checkpoint.
func (s *Store) oneTranslogCheckpoint(ctx context.Context, op, query string, args ...any) (translog.StoredCheckpoint, error) {
	var c translog.StoredCheckpoint
	err := s.do(ctx, op, func(q querier) error {
		var size, at int64
		err := q.QueryRowContext(ctx, query, args...).Scan(&size, &c.Root, &at, &c.Note)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		c.Size, c.Time = uint64(size), fromMicros(at)
		return err
	})
	if err != nil {
		return translog.StoredCheckpoint{}, err
	}
	return c, nil
}

// TranslogCheckpoint implements translog.Store.
func (s *Store) TranslogCheckpoint(ctx context.Context, size uint64) (translog.StoredCheckpoint, error) {
	sz, err := translogInt64("tree size", size)
	if err != nil {
		return translog.StoredCheckpoint{}, fmt.Errorf("sqlstore: get translog checkpoint: %w", err)
	}
	return s.oneTranslogCheckpoint(ctx, "get translog checkpoint",
		`SELECT tree_size, root_hash, signed_at, note FROM translog_checkpoints WHERE tree_size = $1`, sz)
}

// LatestTranslogCheckpoint implements translog.Store.
func (s *Store) LatestTranslogCheckpoint(ctx context.Context) (translog.StoredCheckpoint, error) {
	return s.oneTranslogCheckpoint(ctx, "get latest translog checkpoint",
		`SELECT tree_size, root_hash, signed_at, note FROM translog_checkpoints ORDER BY tree_size DESC LIMIT 1`)
}
