// Package sqlite opens netid's store on an embedded SQLite database
// (modernc.org/sqlite: pure Go, no cgo), the default that lets `netid
// serve` run on a fresh machine with no database server.
//
// Open returns a *sqlstore.Store: the SQL is shared with PostgreSQL, and
// this package contributes the Dialect (error classification, migrations)
// and the connection settings.
//
// # File and connection settings
//
// The database is <data dir>/netid.db, created with mode 0600 in a 0700
// directory; SQLite creates its -wal and -shm files with the database
// file's mode. Every connection runs with (see DSN for the reasons):
//
//	journal_mode=WAL      readers and the writer do not block each other
//	synchronous=FULL      a commit survives power loss once acknowledged
//	foreign_keys=ON       off by default in SQLite
//	busy_timeout=5000     wait for the write lock instead of failing
//	_txlock=immediate     transactions take the write lock at BEGIN
//
// SQLite allows one writer at a time. Transactions queue for the write lock
// (BEGIN IMMEDIATE waits up to the busy timeout); an SQLITE_BUSY that still
// escapes is classified as retryable and the transaction reruns.
//
// Because each commit waits for an fsync, the store runs with group commit
// (sqlstore.Dialect.GroupCommit): the write transactions of this process
// that arrive while one commit is in progress run next as one SQLite
// transaction, each in its own savepoint, and share one fsync. A caller
// hears of its commit only once that fsync is done, so the durability
// promise is unchanged; the SSO code flow went from about 790 to about
// 1,000 flows/s with it (docs/performance.md).
//
// # Migrations
//
// migrations/NNNN_name.sql, embedded, applied by Store.Migrate; the same
// numbers and names as internal/store/postgres/migrations. Tables are
// STRICT, so a value of the wrong type is refused rather than stored.
package sqlite
