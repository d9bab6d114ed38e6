package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// migrationLockKey is the advisory lock id netid's Migrate takes: the bytes
// of "netid-mg" as a big-endian integer, unlikely to collide with another
// application's lock in the same database.
const migrationLockKey int64 = 0x6e65746964_2d6d67

// lockMigrations takes a session-level advisory lock on conn, so that
// migration runs from several nodes happen one after the other. Advisory
// locks are per database and die with the session, so a crashed node
// cannot leave the lock held.
//
// YugabyteDB supports advisory locks only from v2.25/2025.1 on; earlier
// versions report feature_not_supported (0A000). Migrate is still safe
// there, because each migration claims its schema_migrations row first, so
// lockMigrations then returns a no-op unlock instead of failing.
func lockMigrations(ctx context.Context, conn *sql.Conn) (func(context.Context) error, error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == codeFeatureNotSupported {
			return func(context.Context) error { return nil }, nil
		}
		return nil, err
	}
	return func(ctx context.Context) error {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, migrationLockKey); err != nil {
			// The session still holds the lock: make the pool discard
			// the connection rather than hand a locked session to
			// someone else. Ending the session releases the lock.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			return err
		}
		return nil
	}, nil
}
