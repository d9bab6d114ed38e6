package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// cacheStore returns a Store over a one-connection SQLite database with
// a table t, without the engine package (which imports this one).
func cacheStore(t *testing.T) *Store {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, d: Dialect{Name: "sqlite", Classify: func(error) Class { return ClassOther }}, now: time.Now, retry: defaultRetry}
	t.Cleanup(func() { s.Close() })
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitCached waits (boundedly) for query's background preparation.
func waitCached(t *testing.T, s *Store, query string) *sql.Stmt {
	t.Helper()
	for range 500 {
		if st := s.stmts.get(s.db, query); st != nil {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%q never got prepared", query)
	return nil
}

// A transaction holding the only connection runs a query the cache has
// not seen: the preparation must not wait for that connection inside the
// transaction (it would wait for ever), and the statement is cached once
// the connection is free.
func TestStmtCacheNeverWaitsInsideATransaction(t *testing.T) {
	ctx := context.Background()
	s := cacheStore(t)
	const ins = `INSERT INTO t (k, v) VALUES ($1, $2)`
	done := make(chan error, 1)
	go func() {
		done <- s.InTx(ctx, func(ctx context.Context) error {
			for i := range 3 {
				if err := s.do(ctx, "insert", func(q querier) error {
					_, err := q.ExecContext(ctx, ins, fmt.Sprint("k", i), i)
					return err
				}); err != nil {
					return err
				}
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a transaction on the only connection waited for the statement cache")
	}
	waitCached(t, s, ins)
	// Cached statements run in transactions and on the pool alike.
	err := s.InTx(ctx, func(ctx context.Context) error {
		return s.do(ctx, "insert", func(q querier) error {
			_, err := q.ExecContext(ctx, ins, "k9", 9)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = s.do(ctx, "count", func(q querier) error {
		return q.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE v < $1`, 100).Scan(&n)
	})
	if err != nil || n != 4 {
		t.Errorf("count = %d, %v; want 4 rows", n, err)
	}
}

// A query that does not prepare is not cached and fails as it would
// unprepared; long and too many queries run unprepared.
func TestStmtCacheBounds(t *testing.T) {
	ctx := context.Background()
	s := cacheStore(t)
	bad := `SELECT nope FROM missing WHERE k = $1`
	for range 3 {
		err := s.do(ctx, "bad", func(q querier) error { return q.QueryRowContext(ctx, bad, "x").Scan(new(int)) })
		if err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("bad query error = %v, want the engine's", err)
		}
	}
	long := `SELECT v FROM t WHERE k = $1` + strings.Repeat(" ", maxCachedQueryLen)
	if st := s.stmts.get(s.db, long); st != nil {
		t.Error("a long query was cached")
	}
	for i := range maxCachedStatements + 10 {
		s.stmts.get(s.db, fmt.Sprintf(`SELECT %d FROM t WHERE k = $1`, i))
	}
	s.stmts.mu.RLock()
	n := len(s.stmts.m) + len(s.stmts.pending)
	_, badCached := s.stmts.m[bad]
	s.stmts.mu.RUnlock()
	if n > maxCachedStatements || badCached {
		t.Errorf("cache holds %d statements (bad one cached: %v), want at most %d", n, badCached, maxCachedStatements)
	}
}

// Closing the store while a background preparation waits for a connection
// ends that preparation before Close returns: none may open the database
// once the pool is closed (SQLite would create its -wal and -shm files
// again in a directory the caller is deleting).
func TestStmtCacheCloseEndsPreparations(t *testing.T) {
	ctx := context.Background()
	s := cacheStore(t)
	conn, err := s.db.Conn(ctx) // the only connection: the preparation waits
	if err != nil {
		t.Fatal(err)
	}
	const query = `SELECT v FROM t WHERE k = $1`
	if st := s.stmts.get(s.db, query); st != nil {
		t.Fatal("a query never seen came back prepared")
	}
	s.stmts.close()
	s.stmts.mu.RLock()
	left := len(s.stmts.pending)
	s.stmts.mu.RUnlock()
	if left != 0 {
		t.Errorf("%d preparations still running after close", left)
	}
	if st := s.stmts.get(s.db, query); st != nil {
		t.Error("a statement was cached after close")
	}
	conn.Close()
}
