package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// FileName is the database file's name inside the data directory.
const FileName = "netid.db"

// Defaults for Config fields left zero.
const (
	DefaultMaxOpenConns = 4
	DefaultBusyTimeout  = 5 * time.Second
)

// Config says where and how to open the database.
type Config struct {
	// Dir is the data directory. It is created (mode 0700) if missing; the
	// database is Dir/netid.db, created with mode 0600.
	Dir string
	// MaxOpenConns bounds the connection pool (default 4). SQLite has one
	// writer at a time; more connections only add readers, and waiting
	// writers queue in the pool rather than polling the file lock.
	MaxOpenConns int
	// BusyTimeout is how long a statement waits for another connection's
	// lock before failing with SQLITE_BUSY (default 5s). Whole milliseconds.
	BusyTimeout time.Duration
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("sqlite: data directory is empty"))
	}
	if c.MaxOpenConns < 0 {
		errs = append(errs, fmt.Errorf("sqlite: max open connections %d is negative", c.MaxOpenConns))
	}
	if c.BusyTimeout < 0 {
		errs = append(errs, fmt.Errorf("sqlite: busy timeout %v is negative", c.BusyTimeout))
	}
	return errors.Join(errs...)
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Dialect returns the SQLite dialect of the shared store implementation.
func Dialect() sqlstore.Dialect {
	m, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; fs.Sub only fails on a bad name
	}
	return sqlstore.Dialect{
		Name:       "sqlite",
		Migrations: m,
		// SQLite transactions are serializable whatever is asked; the
		// driver's BEGIN IMMEDIATE (see DSN) is what matters.
		Isolation:   sql.LevelDefault,
		Classify:    Classify,
		TableExists: `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`,
		// One writer, and every commit waits for an fsync: transactions
		// that arrive together share one commit.
		GroupCommit: true,
	}
}

// DSN returns the modernc.org/sqlite data source name for the database file
// at path, with the settings every connection needs:
//
//   - journal_mode(WAL): readers do not block the writer nor the writer
//     readers;
//   - synchronous(FULL): every commit is fsynced, so a power cut cannot
//     undo an acknowledged commit (NORMAL in WAL mode can lose the last
//     commits, which here could resurrect a crypto-shredded key);
//   - foreign_keys(1): SQLite leaves them off by default, per connection;
//   - temp_store(MEMORY): temporary files stay in memory. The one that
//     matters is the statement journal of the savepoints group commit
//     runs each transaction in: past 64 KiB SQLite spills it to a file
//     created, written and deleted at every commit (5-6 % of the server's
//     CPU under QR logins). It serves only to roll back a savepoint; the
//     WAL, which makes commits durable, is not a temporary file;
//   - busy_timeout: wait for a lock instead of failing at once;
//   - _txlock=immediate: a transaction takes the write lock at BEGIN. A
//     deferred transaction that reads and then writes must upgrade its lock
//     and fails with SQLITE_BUSY, without waiting, if another connection
//     wrote meanwhile; taking the lock up front makes writers queue.
func DSN(path string, busyTimeout time.Duration) string {
	// The path goes into a file: URI, where '?', '#' and '%' are special.
	u := url.URL{Scheme: "file", Path: path}
	q := []string{
		"_pragma=" + url.QueryEscape("journal_mode(WAL)"),
		"_pragma=" + url.QueryEscape("synchronous(FULL)"),
		"_pragma=" + url.QueryEscape("foreign_keys(1)"),
		"_pragma=" + url.QueryEscape("temp_store(MEMORY)"),
		"_pragma=" + url.QueryEscape("busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")"),
		"_txlock=immediate",
	}
	return "file:" + u.EscapedPath() + "?" + strings.Join(q, "&")
}

// Open opens (creating if needed) the database in cfg.Dir and checks that
// it is usable in WAL mode. It does not migrate: call Migrate or
// PendingMigrations on the result.
func Open(ctx context.Context, cfg Config, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxOpenConns == 0 {
		cfg.MaxOpenConns = DefaultMaxOpenConns
	}
	if cfg.BusyTimeout == 0 {
		cfg.BusyTimeout = DefaultBusyTimeout
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("sqlite: data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := createFile(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", DSN(path, cfg.BusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	if err := checkWAL(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s, err := sqlstore.New(db, Dialect(), opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// createFile creates the database file with mode 0600 if it does not exist,
// before SQLite would create it with the process umask (typically 0644).
// SQLite gives the -wal and -shm files the database file's mode. An existing
// file is left as the operator made it.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("sqlite: create database file: %w", err)
	}
	return f.Close()
}

// checkWAL connects once (which applies the DSN pragmas) and verifies that
// WAL mode took: SQLite silently keeps its rollback journal where WAL is
// impossible (some network file systems), and the store's concurrency
// assumptions would then be wrong.
func checkWAL(ctx context.Context, db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal (is the data directory on a local file system?)", mode)
	}
	return nil
}
