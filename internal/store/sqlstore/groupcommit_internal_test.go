package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/store"
)

// A transaction body that writes with a context other than the one InTx
// gave it waits for the committer that is running that body. The wait is
// bounded: the inner write fails as unavailable, the body fails, and the
// committer goes on to serve the next transaction.
func TestGroupCommitBodyWritingOutsideItsTransaction(t *testing.T) {
	ctx := context.Background()
	s := cacheStore(t)
	s.gc = newCommitter(s)
	s.gc.acceptWait = 50 * time.Millisecond
	insert := func(ctx context.Context, k string) error {
		return s.do(ctx, "insert", func(q querier) error {
			_, err := q.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, 1)`, k)
			return err
		})
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := insert(ctx, "inside"); err != nil {
			return err
		}
		return insert(context.Background(), "outside") // the mistake
	})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("InTx = %v, want store.ErrUnavailable from the write outside the transaction", err)
	}
	if err := insert(ctx, "after"); err != nil {
		t.Fatalf("a write after the failed body: %v (the committer is stuck?)", err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM t WHERE k IN ('inside', 'outside')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows of the failed body are stored, want none", n)
	}
}
