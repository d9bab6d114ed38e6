package sqlstore

import (
	"context"
	"errors"
	"runtime"
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

// A body that ends its goroutine (runtime.Goexit, as t.FailNow does) runs
// on the committer's: its caller gets an error instead of waiting for
// ever, nothing of it stays, and the committer goes on.
func TestGroupCommitBodyGoexit(t *testing.T) {
	ctx := context.Background()
	s := cacheStore(t)
	s.gc = newCommitter(s)
	err := s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.txFrom(ctx).ExecContext(ctx, `INSERT INTO t (k, v) VALUES ('exited', 1)`); err != nil {
			return err
		}
		runtime.Goexit()
		return nil
	})
	if !errors.Is(err, errGoexit) {
		t.Fatalf("InTx = %v, want errGoexit", err)
	}
	if err := s.InTx(ctx, func(ctx context.Context) error {
		_, err := s.txFrom(ctx).ExecContext(ctx, `INSERT INTO t (k, v) VALUES ('after', 1)`)
		return err
	}); err != nil {
		t.Fatalf("a transaction after the Goexit: %v", err)
	}
	var keys []string
	rows, err := s.db.Query(`SELECT k FROM t ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if len(keys) != 1 || keys[0] != "after" {
		t.Errorf("stored keys %v, want [after]", keys)
	}
}
