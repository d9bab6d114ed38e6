package sqlite_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/store/storetest"
)

// engine opens every store on a file in its own temporary directory.
var engine = storetest.Engine{
	Open: func(tb testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
		tb.Helper()
		s, err := sqlite.Open(context.Background(), sqlite.Config{Dir: tb.TempDir()}, opts...)
		if err != nil {
			tb.Fatalf("sqlite.Open() error = %v", err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	},
	Retryable: busyError,
}

func TestConformance(t *testing.T) { storetest.Run(t, engine) }

func TestConcurrency(t *testing.T) { storetest.RunConcurrency(t, engine) }

func BenchmarkPutDataKey(b *testing.B) { storetest.BenchmarkPutDataKey(b, engine) }

func BenchmarkThrottleHit(b *testing.B) { storetest.BenchmarkThrottleHit(b, engine) }

func BenchmarkConcurrentWrites(b *testing.B) { storetest.BenchmarkConcurrentWrites(b, engine) }

// busyError returns a real SQLITE_BUSY: a second writer, with no busy
// timeout, trying to begin while the first holds the write lock.
func busyError(tb testing.TB) error {
	tb.Helper()
	path := tb.TempDir() + "/busy.db"
	first, second := rawDB(tb, sqlite.DSN(path, 0)), rawDB(tb, sqlite.DSN(path, 0))
	ctx := context.Background()
	tx, err := first.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	tx2, err := second.BeginTx(ctx, nil)
	if err == nil {
		tx2.Rollback()
		tb.Fatal("second BEGIN IMMEDIATE succeeded while the first held the write lock, want SQLITE_BUSY")
	}
	return err
}

func rawDB(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
