package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

var _ translog.Store = (*Store)(nil)

// translogHashSize is the size of every hash the log stores.
const translogHashSize = translog.HashSize

// joinTranslogHashes concatenates a compact range for the compact column.
func joinTranslogHashes(hs [][]byte) ([]byte, error) {
	out := make([]byte, 0, len(hs)*translogHashSize)
	for _, h := range hs {
		if len(h) != translogHashSize {
			return nil, fmt.Errorf("%w: hash of %d bytes, want %d", errInvalid, len(h), translogHashSize)
		}
		out = append(out, h...)
	}
	return out, nil
}

// splitTranslogHashes is the inverse of joinTranslogHashes.
func splitTranslogHashes(b []byte) ([][]byte, error) {
	if len(b)%translogHashSize != 0 {
		return nil, fmt.Errorf("stored compact range of %d bytes is not a whole number of hashes", len(b))
	}
	out := make([][]byte, 0, len(b)/translogHashSize)
	for len(b) > 0 {
		out = append(out, b[:translogHashSize:translogHashSize])
		b = b[translogHashSize:]
	}
	return out, nil
}

// translogInt64 converts a uint64 the log hands over to what the BIGINT
// columns hold; the log never gets near 2^63 leaves, so a larger value is
// a bug.
func translogInt64(name string, v uint64) (int64, error) {
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %s %d exceeds 2^63-1", errInvalid, name, v)
	}
	return int64(v), nil
}

// TranslogState implements translog.Store.
func (s *Store) TranslogState(ctx context.Context) (translog.TreeState, error) {
	var st translog.TreeState
	err := s.do(ctx, "get translog state", func(q querier) error {
		var size int64
		var compact []byte
		err := q.QueryRowContext(ctx, `SELECT hash, log_id_key, tree_size, compact FROM translog_state WHERE id = 1`).
			Scan(&st.Hash, &st.LogIDKey, &size, &compact)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		st.Size = uint64(size)
		st.Compact, err = splitTranslogHashes(compact)
		return err
	})
	if err != nil {
		return translog.TreeState{}, err
	}
	return st, nil
}

// PinTranslog implements translog.Store.
func (s *Store) PinTranslog(ctx context.Context, hash, logIDKey string) (translog.TreeState, error) {
	if hash == "" || logIDKey == "" {
		return translog.TreeState{}, fmt.Errorf("sqlstore: pin translog: %w: empty hash name or key id", errInvalid)
	}
	err := s.do(ctx, "pin translog", func(q querier) error {
		// Insert-if-absent, then read below: of two nodes pinning at
		// once, the first insert wins and both read its values.
		_, err := q.ExecContext(ctx, `INSERT INTO translog_state (id, hash, log_id_key, tree_size, compact)
			VALUES (1, $1, $2, 0, $3) ON CONFLICT (id) DO NOTHING`, hash, logIDKey, []byte{})
		return err
	})
	if err != nil {
		return translog.TreeState{}, err
	}
	return s.TranslogState(ctx)
}

// checkTranslogLeafWrite refuses a write the log never makes: a caller's bug.
func checkTranslogLeafWrite(prevSize uint64, w translog.LeafWrite) error {
	var errs []error
	l := w.Leaf
	if l.Index != prevSize {
		errs = append(errs, fmt.Errorf("%w: leaf index %d, want the previous size %d", errInvalid, l.Index, prevSize))
	}
	if prevSize >= math.MaxInt64 {
		errs = append(errs, fmt.Errorf("%w: the tree is full", errInvalid))
	}
	if l.EntryID == "" || l.LogID == "" || len(l.Leaf) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty entry id, log id or leaf", errInvalid))
	}
	if l.Seq == 0 || l.Seq > math.MaxInt64 {
		errs = append(errs, fmt.Errorf("%w: sequence number %d", errInvalid, l.Seq))
	}
	if len(w.Nodes) == 0 || len(w.Compact) == 0 {
		errs = append(errs, fmt.Errorf("%w: a leaf write has nodes and a compact range", errInvalid))
	}
	for _, n := range w.Nodes {
		if n.ID.Level >= 64 || n.ID.Index > math.MaxInt64 || len(n.Hash) != translogHashSize {
			errs = append(errs, fmt.Errorf("%w: node (%d, %d) with a %d-byte hash", errInvalid, n.ID.Level, n.ID.Index, len(n.Hash)))
		}
	}
	return errors.Join(errs...)
}

// AppendTranslogLeaf implements translog.Store.
func (s *Store) AppendTranslogLeaf(ctx context.Context, prevSize uint64, w translog.LeafWrite) error {
	err := checkTranslogLeafWrite(prevSize, w)
	compact, cerr := joinTranslogHashes(w.Compact)
	if err = errors.Join(err, cerr); err != nil {
		return fmt.Errorf("sqlstore: append translog leaf: %w", err)
	}
	// Three statements, all or nothing: InTx joins the caller's
	// transaction, or opens one.
	return s.InTx(ctx, func(ctx context.Context) error {
		return s.do(ctx, "append translog leaf", func(q querier) error {
			// The compare-and-set comes first: of two appends from the
			// same size, the second waits here for the first's row lock
			// and then fails (40001 under SERIALIZABLE, or no row
			// matched), before writing anything.
			res, err := q.ExecContext(ctx, `UPDATE translog_state SET tree_size = $1, compact = $2
				WHERE id = 1 AND tree_size = $3`, int64(prevSize+1), compact, int64(prevSize))
			if err != nil {
				return err
			}
			n, err := rowsAffected(res)
			if err != nil {
				return err
			}
			if n == 0 {
				return s.translogCASFailure(ctx, q)
			}
			l := w.Leaf
			res, err = q.ExecContext(ctx, `INSERT INTO translog_leaves (leaf_index, entry_id, log_id, seq, leaf)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
				int64(l.Index), l.EntryID, string(l.LogID), int64(l.Seq), l.Leaf)
			if err != nil {
				return err
			}
			if n, err = rowsAffected(res); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%w: leaf %d, entry %s or sequence number %d of its log id exists", store.ErrConflict, l.Index, l.EntryID, l.Seq)
			}
			return s.insertTranslogNodes(ctx, q, w.Nodes)
		})
	})
}

// translogCASFailure says why the state update matched no row.
func (s *Store) translogCASFailure(ctx context.Context, q querier) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM translog_state WHERE id = 1`).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: the tree grew meanwhile", store.ErrConflict)
}

// insertTranslogNodes writes nodes in one statement. Each node is written
// once, by the append that completes its subtree, so an existing one is a
// conflict.
func (s *Store) insertTranslogNodes(ctx context.Context, q querier, nodes []translog.Node) error {
	var b strings.Builder
	args := make([]any, 0, 3*len(nodes))
	b.WriteString(`INSERT INTO translog_nodes (level, idx, hash) VALUES `)
	for i, n := range nodes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
		args = append(args, int64(n.ID.Level), int64(n.ID.Index), n.Hash)
	}
	b.WriteString(` ON CONFLICT DO NOTHING`)
	res, err := q.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return err
	}
	n, err := rowsAffected(res)
	if err != nil {
		return err
	}
	if n != int64(len(nodes)) {
		return fmt.Errorf("%w: %d of %d tree nodes exist", store.ErrConflict, int64(len(nodes))-n, len(nodes))
	}
	return nil
}
