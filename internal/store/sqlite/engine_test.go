package sqlite_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
)

func TestConfigValidate(t *testing.T) {
	if err := (sqlite.Config{Dir: "x"}).Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
	err := (sqlite.Config{MaxOpenConns: -1, BusyTimeout: -1}).Validate()
	for _, w := range []string{"directory is empty", "connections -1", "busy timeout"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to report %q", err, w)
		}
	}
}

// TestFilePermissions checks that the data directory and every database
// file are private to the service's user.
func TestFilePermissions(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s, err := sqlite.Open(ctx, sqlite.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ThrottleHit(ctx, "k", time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		dir:                                 0o700 | fs.ModeDir,
		filepath.Join(dir, sqlite.FileName): 0o600,
		filepath.Join(dir, sqlite.FileName+"-wal"): 0o600,
		filepath.Join(dir, sqlite.FileName+"-shm"): 0o600,
	}
	for path, mode := range want {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("stat %s: %v", path, err)
			continue
		}
		if got := fi.Mode() & (fs.ModePerm | fs.ModeDir); got != mode {
			t.Errorf("%s mode = %v, want %v", filepath.Base(path), got, mode)
		}
	}
}

// TestPragmas checks that every pooled connection, not only the first, runs
// with the settings of DSN.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t, sqlite.DSN(filepath.Join(t.TempDir(), "p.db"), sqlite.DefaultBusyTimeout))
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "5000", "temp_store": "2"}
	for i := range 3 {
		conn, err := db.Conn(ctx) // held open, so each is a new connection
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, w := range want {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, w)
			}
		}
	}
}

// TestOddPaths checks that DSN escapes characters that are special in a
// file: URI, so the database lands exactly where asked.
func TestOddPaths(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a?b#c%41d e&f=g")
	s, err := sqlite.Open(ctx, sqlite.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Errorf("database not at the expected path: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("parent directory holds %d entries, want only the data directory", len(entries))
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"", file} {
		if s, err := sqlite.Open(ctx, sqlite.Config{Dir: dir}); err == nil {
			s.Close()
			t.Errorf("Open(Dir: %q) = nil error, want one", dir)
		}
	}
}

func TestClassify(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t, sqlite.DSN(filepath.Join(t.TempDir(), "c.db"), 0))
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO t VALUES ('a', 'x', 'n')`); err != nil {
		t.Fatal(err)
	}
	errOf := func(query string) error {
		t.Helper()
		_, err := db.ExecContext(ctx, query)
		if err == nil {
			t.Fatalf("%s succeeded, want an error", query)
		}
		return err
	}
	missing := rawDB(t, sqlite.DSN(filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), 0))
	busy := busyError(t)
	tests := []struct {
		name string
		err  error
		want sqlstore.Class
	}{
		{"busy", busy, sqlstore.ClassRetry},
		{"busy, wrapped", fmt.Errorf("x: %w", busy), sqlstore.ClassRetry},
		{"primary key", errOf(`INSERT INTO t VALUES ('a', 'y', 'n')`), sqlstore.ClassConflict},
		{"unique", errOf(`INSERT INTO t VALUES ('b', 'x', 'n')`), sqlstore.ClassConflict},
		{"not null", errOf(`INSERT INTO t VALUES ('c', 'z', NULL)`), sqlstore.ClassOther},
		{"wrong type", errOf(`INSERT INTO t VALUES ('c', 'z', x'00')`), sqlstore.ClassOther},
		{"syntax", errOf(`INSERT INTO`), sqlstore.ClassOther},
		{"cannot open", missing.PingContext(ctx), sqlstore.ClassUnavailable},
		{"bad connection", driver.ErrBadConn, sqlstore.ClassUnavailable},
		{"anything else", errors.New("x"), sqlstore.ClassOther},
	}
	for _, tt := range tests {
		if got := sqlite.Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
