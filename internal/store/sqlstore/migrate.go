package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// migration is one numbered schema change.
type migration struct {
	version int
	name    string // file name without ".sql", e.g. "0001_init"
	sql     string
}

// migrationName is the file name format: four or more digits, an
// underscore, a lower-case name.
var migrationName = regexp.MustCompile(`^([0-9]{4,})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads the *.sql files at the root of fsys, in version
// order. A .sql file with a malformed name, version 0 or a version used
// twice is an error: migrations are embedded, so this is a programming
// mistake that must fail at start, not be skipped.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("sqlstore: migration file %q: want NNNN_name.sql", e.Name())
		}
		v, err := strconv.Atoi(m[1])
		if err != nil || v < 1 {
			return nil, fmt.Errorf("sqlstore: migration file %q: version must be a positive number", e.Name())
		}
		if prev, ok := seen[v]; ok {
			return nil, fmt.Errorf("sqlstore: migration files %q and %q have the same version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("sqlstore: read migration %q: %w", e.Name(), err)
		}
		if strings.TrimSpace(string(body)) == "" {
			return nil, fmt.Errorf("sqlstore: migration file %q is empty", e.Name())
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(e.Name(), ".sql"), sql: string(body)})
	}
	if len(ms) == 0 {
		return nil, errors.New("sqlstore: no migrations")
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	return ms, nil
}

// The bookkeeping table. The same DDL works on both engines; applied_at is
// in Unix microseconds like every other time in the schema.
const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	name       TEXT    NOT NULL,
	applied_at BIGINT  NOT NULL
)`

// Migrate applies every migration not yet recorded in schema_migrations, in
// version order, each in its own transaction, and returns the names of
// those it applied (empty when the schema is up to date). It stops at the
// first failure; the migrations applied before it stay applied.
//
// Several processes may call Migrate on the same database at once: each
// migration's transaction first claims the migration's row in
// schema_migrations, so exactly one process applies it and the others,
// finding the row taken, skip it. Where the dialect provides a lock
// (PostgreSQL advisory lock), concurrent runs are also serialised as a
// whole.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.wrap("migrate", err)
	}
	defer conn.Close()
	if s.d.LockMigrations != nil {
		unlock, err := s.d.LockMigrations(ctx, conn)
		if err != nil {
			return nil, s.wrap("migrate: lock", err)
		}
		defer func() {
			if uerr := unlock(context.WithoutCancel(ctx)); uerr != nil && err == nil {
				err = s.wrap("migrate: unlock", uerr)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, createSchemaMigrations); err != nil {
		// Without a lock, two PostgreSQL sessions creating the table at
		// once can collide in the catalog (SQLSTATE 23505 or 42710) even
		// with IF NOT EXISTS; the loser finds the table made, which is all
		// it wanted.
		if n, qerr := tableCount(ctx, conn, s.d.TableExists); qerr != nil || n == 0 {
			return nil, s.wrap("migrate: create schema_migrations", err)
		}
	}
	for _, m := range s.migrations {
		ok, err := s.applyMigration(ctx, conn, m)
		if err != nil {
			return applied, s.wrap("migrate "+m.name, err)
		}
		if ok {
			applied = append(applied, m.name)
		}
	}
	return applied, nil
}

// applyMigration applies m in one transaction on conn unless it is recorded
// already, and reports whether it did.
func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) (applied bool, err error) {
	// The default isolation (READ COMMITTED on PostgreSQL) lets a
	// concurrent claim of the same row block this one until it commits,
	// then fail cleanly with a unique violation.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() {
		if !applied {
			_ = tx.Rollback()
		}
	}()
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations WHERE version = $1`, m.version).Scan(&one); {
	case err == nil:
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	// Claim the version before running anything, so that a second process
	// doing the same waits here rather than running the DDL twice.
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.version, m.name, micros(s.now()))
	if err != nil {
		if s.d.Classify(err) == ClassConflict {
			return false, nil // another process applied it meanwhile
		}
		return false, err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

// PendingMigrations returns the names of the migrations not yet applied, in
// order. It only reads, so `serve --no-auto-migrate` can use it to refuse to
// start against an old schema without touching the database.
func (s *Store) PendingMigrations(ctx context.Context) ([]string, error) {
	done, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, s.wrap("pending migrations", err)
	}
	var pending []string
	for _, m := range s.migrations {
		if !done[m.version] {
			pending = append(pending, m.name)
		}
	}
	return pending, nil
}

// Migrations returns the names of all migrations this binary carries, in
// order.
func (s *Store) Migrations() []string {
	names := make([]string, len(s.migrations))
	for i, m := range s.migrations {
		names[i] = m.name
	}
	return names
}

func (s *Store) appliedVersions(ctx context.Context) (map[int]bool, error) {
	n, err := tableCount(ctx, s.db, s.d.TableExists)
	if err != nil {
		return nil, err
	}
	done := map[int]bool{}
	if n == 0 {
		return done, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

// tableCount runs the dialect's table-exists query for schema_migrations.
func tableCount(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, query string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, query, "schema_migrations").Scan(&n)
	return n, err
}
