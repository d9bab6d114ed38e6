// Package postgres opens netid's store on PostgreSQL, the production engine
// that many stateless netid nodes share.
//
// Open returns a *sqlstore.Store: the SQL is shared with SQLite, and this
// package contributes the Dialect (error classification, SERIALIZABLE
// isolation, migrations, the migration lock) and the connection pool.
//
// # Driver and pool
//
// pgx v5 through its database/sql adapter (github.com/jackc/pgx/v5/stdlib).
// database/sql is what lets one store implementation serve both engines;
// its pool has the knobs netid needs (Config: max open and idle
// connections, lifetime, idle time), and pgx still does the wire protocol
// and its statement cache underneath. pgxpool would offer pgx-native types
// and pool hooks netid does not use, at the price of a second code path.
//
// # Transactions
//
// InTx transactions are SERIALIZABLE: correctness without reasoning about
// locks in every domain method (READ COMMITTED would need SELECT ... FOR
// UPDATE or explicit constraints wherever a transaction reads, decides and
// writes), and a level YugabyteDB and Citus both support. Conflicts surface as
// SQLSTATE 40001 (or 40P01, deadlock), which InTx retries. Single
// statements outside InTx run at the server default (READ COMMITTED), which
// is atomic for the one-statement methods that use it.
//
// # Migrations
//
// migrations/NNNN_name.sql, embedded, the same numbers and names as
// internal/store/sqlite/migrations. Migrate takes a session advisory lock
// (pg_advisory_lock) so that nodes starting together migrate one after the
// other; where advisory locks are unsupported (YugabyteDB before
// v2.25/2025.1) it proceeds without, which stays safe because each
// migration claims its schema_migrations row first. Text columns use
// COLLATE "C" (bytewise, like SQLite); a test enforces it.
//
// # Secrets
//
// The connection URL may hold a password. Open's errors never include it,
// and RedactURL masks it for logs.
package postgres
