package sqlstore_test

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
)

// TestMigrationParity checks that both engines carry the same numbered
// migrations: a schema change made for one engine only would pass that
// engine's tests and break the other in production.
func TestMigrationParity(t *testing.T) {
	names := func(fsys fs.FS) []string {
		t.Helper()
		m, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	lite, pg := names(sqlite.Dialect().Migrations), names(postgres.Dialect().Migrations)
	if len(lite) == 0 {
		t.Fatal("sqlite has no migrations")
	}
	if diff := cmp.Diff(lite, pg); diff != "" {
		t.Errorf("migration files differ between engines (-sqlite +postgres):\n%s", diff)
	}
}

func TestNewRejects(t *testing.T) {
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(t.TempDir(), "x.db"), 0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := sqlstore.New(nil, sqlite.Dialect()); err == nil {
		t.Error("New(nil db) = nil error, want one")
	}
	_, err = sqlstore.New(db, sqlstore.Dialect{})
	for _, w := range []string{"no name", "no migrations", "no error classifier", "no table-exists query"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("New(empty dialect) = %v, want it to report %q", err, w)
		}
	}
	if _, err := sqlstore.New(db, sqlite.Dialect(), sqlstore.WithMigrations(fstest.MapFS{"bad.sql": {Data: []byte("x")}})); err == nil {
		t.Error("New(bad migration name) = nil error, want one")
	}
}

// TestFailedMigrationWritesNothing checks, on a raw SQLite handle, that a
// migration failing halfway leaves neither its first statements' effects
// nor its schema_migrations row (both engines have transactional DDL).
func TestFailedMigrationWritesNothing(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(t.TempDir(), "x.db"), 0))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"0001_ok.sql":     {Data: []byte("CREATE TABLE ok_table (x INTEGER)")},
		"0002_broken.sql": {Data: []byte("CREATE TABLE half_table (x INTEGER);\nINSERT INTO no_such_table VALUES (1);")},
	}
	s, err := sqlstore.New(db, sqlite.Dialect(), sqlstore.WithMigrations(fsys))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "0002_broken") {
		t.Fatalf("Migrate() error = %v, want one naming 0002_broken", err)
	}
	if diff := cmp.Diff([]string{"0001_ok"}, applied); diff != "" {
		t.Errorf("Migrate() applied mismatch (-want +got):\n%s", diff)
	}
	tables := map[string]int{}
	for _, name := range []string{"ok_table", "half_table"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables[name] = n
	}
	if diff := cmp.Diff(map[string]int{"ok_table": 1, "half_table": 0}, tables); diff != "" {
		t.Errorf("tables after the failed migration (-want +got):\n%s", diff)
	}
	var versions int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil || versions != 1 {
		t.Errorf("schema_migrations holds %d rows (%v), want 1", versions, err)
	}
}
