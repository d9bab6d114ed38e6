package postgres_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlstore"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  postgres.Config
		want []string
	}{
		{"defaults", postgres.Config{URL: "postgres://h/db"}, nil},
		{"explicit", postgres.Config{URL: "postgres://h/db", MaxOpenConns: 5, MaxIdleConns: 5, ConnMaxLifetime: 1, ConnMaxIdleTime: 1}, nil},
		{"idle without open", postgres.Config{URL: "postgres://h/db", MaxIdleConns: 50}, nil},
		{"everything wrong", postgres.Config{MaxOpenConns: -1, MaxIdleConns: -1, ConnMaxLifetime: -1, ConnMaxIdleTime: -1},
			[]string{"URL is empty", "open connections -1", "idle connections -1", "lifetime", "idle time"}},
		{"idle above open", postgres.Config{URL: "x", MaxOpenConns: 2, MaxIdleConns: 3}, []string{"exceed"}},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err != nil) != (len(tt.want) > 0) {
			t.Fatalf("%s: Validate() = %v, want errors %q", tt.name, err, tt.want)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Validate() = %q, want it to contain %q", tt.name, err, w)
			}
		}
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name            string
		url             string
		wantUnavailable bool
	}{
		{"unparseable", "postgres://netid:topsecret@127.0.0.1:notaport/x", false},
		{"unparseable keyword form", "host=h password='topsecret", false},
		{"unreachable", "postgres://netid:topsecret@127.0.0.1:1/netid?sslmode=disable&connect_timeout=2", true},
	}
	for _, tt := range tests {
		s, err := postgres.Open(ctx, postgres.Config{URL: tt.url})
		if err == nil {
			s.Close()
			t.Fatalf("%s: Open() = nil error, want one", tt.name)
		}
		if got := errors.Is(err, store.ErrUnavailable); got != tt.wantUnavailable {
			t.Errorf("%s: errors.Is(%v, store.ErrUnavailable) = %v, want %v", tt.name, err, got, tt.wantUnavailable)
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: Open() error %q contains the password", tt.name, err)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want sqlstore.Class
	}{
		{"serialization failure", &pgconn.PgError{Code: "40001"}, sqlstore.ClassRetry},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, sqlstore.ClassRetry},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", &pgconn.PgError{Code: "40001"})), sqlstore.ClassRetry},
		{"unique violation", &pgconn.PgError{Code: "23505"}, sqlstore.ClassConflict},
		{"foreign key violation", &pgconn.PgError{Code: "23503"}, sqlstore.ClassOther},
		{"syntax error", &pgconn.PgError{Code: "42601"}, sqlstore.ClassOther},
		{"connection failure", &pgconn.PgError{Code: "08006"}, sqlstore.ClassUnavailable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, sqlstore.ClassUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, sqlstore.ClassUnavailable},
		{"query cancelled", &pgconn.PgError{Code: "57014"}, sqlstore.ClassOther},
		{"empty code", &pgconn.PgError{}, sqlstore.ClassOther},
		{"connect error", &pgconn.ConnectError{}, sqlstore.ClassUnavailable},
		{"network error", &net.OpError{Op: "dial", Err: errors.New("refused")}, sqlstore.ClassUnavailable},
		{"bad connection", fmt.Errorf("x: %w", driver.ErrBadConn), sqlstore.ClassUnavailable},
		{"connection cut mid-answer", fmt.Errorf("x: %w", io.ErrUnexpectedEOF), sqlstore.ClassUnavailable},
		{"caller cancelled", context.Canceled, sqlstore.ClassOther},
		{"caller deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), sqlstore.ClassOther},
		{"anything else", errors.New("x"), sqlstore.ClassOther},
	}
	for _, tt := range tests {
		if got := postgres.Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestMigrateWithoutAdvisoryLock runs concurrent migrations as on a server
// without advisory locks (YugabyteDB before 2.25): the per-migration claim
// in schema_migrations must be enough on its own.
func TestMigrateWithoutAdvisoryLock(t *testing.T) {
	ctx := context.Background()
	for round := range 3 {
		cfg, err := pgx.ParseConfig(pgtest.New(t))
		if err != nil {
			t.Fatal(err)
		}
		db := stdlib.OpenDB(*cfg)
		d := postgres.Dialect()
		d.LockMigrations = nil
		s, err := sqlstore.New(db, d)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		const n = 4
		errs := make(chan error, n)
		applied := make(chan []string, n)
		for range n {
			go func() {
				a, err := s.Migrate(ctx)
				applied <- a
				errs <- err
			}()
		}
		total := 0
		for range n {
			if err := <-errs; err != nil {
				t.Errorf("round %d: Migrate() error = %v", round, err)
			}
			total += len(<-applied)
		}
		if want := len(s.Migrations()); total != want {
			t.Errorf("round %d: %d migrations applied in all, want %d", round, total, want)
		}
	}
}

// TestTextColumnsAreBytewise checks that every text column uses the "C"
// collation, so that ordering and range scans match SQLite's and do not
// depend on the server's locale (the test server's may well be C already,
// which is why the conformance suite alone cannot catch a missing COLLATE).
func TestTextColumnsAreBytewise(t *testing.T) {
	ctx := context.Background()
	u := pgtest.New(t)
	s, err := postgres.Open(ctx, postgres.Config{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name, column_name, coalesce(collation_name, '')
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')
		AND table_name <> 'schema_migrations'`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var table, column, collation string
		if err := rows.Scan(&table, &column, &collation); err != nil {
			t.Fatal(err)
		}
		n++
		if collation != "C" {
			t.Errorf("column %s.%s has collation %q, want \"C\" (declare it TEXT COLLATE \"C\")", table, column, collation)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("found no text columns, want some")
	}
}
