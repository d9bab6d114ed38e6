package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/store/storetest"
)

// engine opens every store on its own database from pgtest.
var engine = storetest.Engine{
	Open: func(tb testing.TB, opts ...sqlstore.Option) *sqlstore.Store {
		tb.Helper()
		s, err := postgres.Open(context.Background(), postgres.Config{URL: pgtest.New(tb), MaxOpenConns: 10}, opts...)
		if err != nil {
			tb.Fatalf("postgres.Open() error = %v", err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	},
	Retryable: serializationFailure,
}

func TestConformance(t *testing.T) { storetest.Run(t, engine) }

func TestConcurrency(t *testing.T) { storetest.RunConcurrency(t, engine) }

func BenchmarkPutDataKey(b *testing.B) { storetest.BenchmarkPutDataKey(b, engine) }

func BenchmarkThrottleHit(b *testing.B) { storetest.BenchmarkThrottleHit(b, engine) }

func BenchmarkConcurrentWrites(b *testing.B) { storetest.BenchmarkConcurrentWrites(b, engine) }

// serializationFailure returns a real SQLSTATE 40001 from the server: a
// SERIALIZABLE transaction updating a row that another session changed
// after the transaction's snapshot was taken.
func serializationFailure(tb testing.TB) error {
	tb.Helper()
	ctx := context.Background()
	u := pgtest.New(tb)
	a, b := connect(tb, u), connect(tb, u)
	if _, err := a.Exec(ctx, `CREATE TABLE probe (id INTEGER PRIMARY KEY, v INTEGER NOT NULL); INSERT INTO probe VALUES (1, 0)`); err != nil {
		tb.Fatal(err)
	}
	tx, err := a.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var v int
	if err := tx.QueryRow(ctx, `SELECT v FROM probe WHERE id = 1`).Scan(&v); err != nil { // takes the snapshot
		tb.Fatal(err)
	}
	if _, err := b.Exec(ctx, `UPDATE probe SET v = v + 1 WHERE id = 1`); err != nil {
		tb.Fatal(err)
	}
	_, err = tx.Exec(ctx, `UPDATE probe SET v = v + 1 WHERE id = 1`)
	if err == nil {
		tb.Fatal("conflicting serializable update succeeded, want SQLSTATE 40001")
	}
	return err
}

func connect(tb testing.TB, u string) *pgx.Conn {
	tb.Helper()
	c, err := pgx.Connect(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close(context.Background()) })
	return c
}
