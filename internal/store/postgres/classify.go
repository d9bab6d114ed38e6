package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/netid/netid/internal/store/sqlstore"
)

// SQLSTATE codes the store acts on.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeFeatureNotSupported  = "0A000"
)

// Classify says what an error from pgx means to the store.
func Classify(err error) sqlstore.Class {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeSerializationFailure, codeDeadlockDetected:
			// YugabyteDB reports its transaction conflicts and read
			// restarts as 40001 too.
			return sqlstore.ClassRetry
		case codeUniqueViolation:
			return sqlstore.ClassConflict
		case "57P01", "57P02", "57P03":
			// admin_shutdown, crash_shutdown, cannot_connect_now: the
			// server is going away or not up yet.
			return sqlstore.ClassUnavailable
		}
		switch pgErr.Code[:min(2, len(pgErr.Code))] {
		case "08", "53":
			// Connection exception; insufficient resources (too many
			// connections, disk full, out of memory).
			return sqlstore.ClassUnavailable
		}
		return sqlstore.ClassOther
	}
	// The caller's own deadline or cancellation is not the engine's fault.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return sqlstore.ClassOther
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		// The server closed the connection in the middle of an answer
		// (it crashed, or was stopped with pg_ctl -m immediate).
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return sqlstore.ClassUnavailable
	}
	return sqlstore.ClassOther
}
