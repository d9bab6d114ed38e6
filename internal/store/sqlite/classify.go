package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/netid/netid/internal/store/sqlstore"
)

// Classify says what an error from modernc.org/sqlite means to the store.
// The driver turns on extended result codes, so Code carries the primary
// code in its low byte and the detail above it.
func Classify(err error) sqlstore.Class {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return sqlstore.ClassUnavailable
	}
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return sqlstore.ClassOther
	}
	code := e.Code()
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		// Includes SQLITE_BUSY_SNAPSHOT: a read snapshot too old to
		// write from, which only a fresh transaction cures.
		return sqlstore.ClassRetry
	case sqlite3.SQLITE_CONSTRAINT:
		if code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return sqlstore.ClassConflict
		}
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
		// The file cannot be opened, read or written: the store cannot
		// serve until an operator acts.
		return sqlstore.ClassUnavailable
	}
	return sqlstore.ClassOther
}
