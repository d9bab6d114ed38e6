package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
)

// Class is what an engine error means to the store, as decided by a
// Dialect.
type Class int

const (
	// ClassOther is any error the store passes on unchanged (wrapped).
	ClassOther Class = iota
	// ClassConflict is a uniqueness violation; the store reports it as
	// store.ErrConflict.
	ClassConflict
	// ClassRetry is a transient conflict between transactions
	// (PostgreSQL SQLSTATE 40001 serialization_failure or 40P01
	// deadlock_detected, SQLite SQLITE_BUSY or SQLITE_LOCKED): nothing was
	// written, and running the same work again may succeed.
	ClassRetry
	// ClassUnavailable means the engine could not be reached or could not
	// serve (connection refused or lost, server shutting down, disk
	// unreadable); the store reports it as store.ErrUnavailable.
	ClassUnavailable
)

// String returns the class name, for test messages.
func (c Class) String() string {
	switch c {
	case ClassOther:
		return "other"
	case ClassConflict:
		return "conflict"
	case ClassRetry:
		return "retry"
	case ClassUnavailable:
		return "unavailable"
	}
	return "Class(?)"
}

// Dialect is everything the shared implementation needs to know about one
// engine. The SQL itself is shared: both engines take $1, $2 positional
// placeholders, ON CONFLICT upserts and RETURNING, so a Dialect carries no
// SQL rewriting, only facts and the few statements that differ.
type Dialect struct {
	// Name is the engine name reported by Store.Engine ("sqlite",
	// "postgres").
	Name string
	// Migrations holds the engine's numbered migration files at its root
	// (0001_init.sql, 0002_throttle.sql, ...).
	Migrations fs.FS
	// Isolation is the isolation level of InTx transactions.
	Isolation sql.IsolationLevel
	// Classify says what an error returned by the driver means. It must
	// look through wrapping (errors.As), because store methods wrap the
	// driver's errors before InTx sees them.
	Classify func(error) Class
	// TableExists is a query taking one parameter, a table name, and
	// returning one row with the number of tables of that name visible to
	// the connection (0 or 1). PendingMigrations uses it so that it never
	// writes, not even to create the bookkeeping table.
	TableExists string
	// LockMigrations, if not nil, takes a lock that serialises Migrate runs
	// from several processes, on the connection that Migrate then uses,
	// and returns the function that releases it. Migrate is safe without
	// it (each migration first claims its row in schema_migrations); the
	// lock keeps concurrent runs from queueing behind each other statement
	// by statement and covers the creation of schema_migrations itself.
	LockMigrations func(ctx context.Context, conn *sql.Conn) (unlock func(context.Context) error, err error)
	// GroupCommit makes the store run write transactions through one
	// committer that commits those arriving together at once, each in its
	// own savepoint (groupcommit.go). For an engine with a single writer
	// whose commit waits for the disk (SQLite, synchronous=FULL).
	GroupCommit bool
	// LogAppendLock, if not empty, is the first statement of a transaction
	// begun with a context marked by store.WithLogAppend: a lock that
	// makes transparency-log appends wait for each other rather than
	// abort. It must take no snapshot (PostgreSQL: LOCK TABLE), so that
	// the transaction's snapshot is taken after the wait.
	LogAppendLock string
}

func (d Dialect) validate() error {
	var errs []error
	if d.Name == "" {
		errs = append(errs, errors.New("sqlstore: dialect has no name"))
	}
	if d.Migrations == nil {
		errs = append(errs, errors.New("sqlstore: dialect has no migrations"))
	}
	if d.Classify == nil {
		errs = append(errs, errors.New("sqlstore: dialect has no error classifier"))
	}
	if d.TableExists == "" {
		errs = append(errs, errors.New("sqlstore: dialect has no table-exists query"))
	}
	return errors.Join(errs...)
}
