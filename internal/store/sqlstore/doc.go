// Package sqlstore is the one implementation of every domain store
// interface, shared by the SQLite and PostgreSQL engines.
//
// Both engines accept the same SQL for everything netid needs: $1, $2
// positional placeholders (modernc.org/sqlite binds $N by position), INSERT
// ... ON CONFLICT ... DO NOTHING / DO UPDATE, RETURNING, LIMIT. So each
// store method is written once, here, against database/sql, and an engine
// contributes only a Dialect: its name, its migrations, its transaction
// isolation, how to read its errors, and a migration lock. There is no SQL
// rewriting: a regular expression that turns ? into $1 also rewrites string
// literals, and a second implementation per engine doubles every bug.
//
// # Layout
//
//	store.go      Store, New, options, Ping/Close, the q/do helpers, time encoding
//	tx.go         InTx and the retry loop
//	migrate.go    Migrate, PendingMigrations, migration files
//	dialect.go    Dialect and error classes
//	datakeys.go   envelope.Store (wrapped per-resident data keys)
//	throttle.go   throttle.Store (attempt counters)
//	certificates.go credential.CertStore (internet certificates, CA certificates, CRL numbers)
//	phone.go      phone.Store (one-time phone code challenges)
//	enrol*.go     enrol.Store (enrolments, residents, identity anchors, internet numbers, guardians, registrars)
//	rp.go oidc*.go rp.Store (relying parties), oidc.Store (sessions, interactions, consents, grants, tokens, disclosures)
//	translog*.go  translog.Store (transparency log: tree state, leaves, tree nodes, checkpoints)
//
// # Adding an aggregate
//
//  1. The domain package declares its Store interface (store.go), with
//     method names that carry the aggregate's noun (PutDataKey,
//     ThrottleHit), because *Store implements every interface at once.
//  2. Add NNNN_name.sql with the same number and name to both
//     internal/store/sqlite/migrations and internal/store/postgres/migrations
//     (a test checks that the lists match).
//  3. Implement the methods in a new file here, each body in s.do (one
//     statement or a retry-safe sequence) and every statement through the
//     querier do hands over, so that it joins the caller's transaction.
//     Add `var _ domain.Store = (*Store)(nil)`.
//  4. Add the aggregate's tests to internal/store/storetest; both engines
//     run them.
//
// # SQL rules
//
// The SQL must run on SQLite, PostgreSQL, and the PostgreSQL-wire
// distributed engines an operator may grow into (YugabyteDB, Citus):
//
//   - no engine-specific functions in shared SQL; what differs goes in the
//     Dialect;
//   - times are BIGINT Unix microseconds (UTC), computed in Go: exact on
//     both engines, no time zone or driver parsing involved, and ordered;
//     time.Time values are floored to the microsecond and read back in UTC;
//   - text keys are compared bytewise (PostgreSQL columns use COLLATE "C"),
//     so ordering and pagination agree across engines;
//   - no sequences or auto-increment ids (hot spots on distributed
//     engines, and different on each engine): keys come from the domain;
//   - a uniqueness conflict is detected with ON CONFLICT DO NOTHING and the
//     affected-row count rather than by catching the error, because on
//     PostgreSQL a failed statement aborts the whole transaction.
//
// # Transactions and retries
//
// InTx (store.TxRunner) puts the transaction in the context; every method
// uses it when present (s.q), otherwise the pool. PostgreSQL transactions
// are SERIALIZABLE and SQLite ones BEGIN IMMEDIATE; both can ask for a rerun
// (SQLSTATE 40001/40P01, SQLITE_BUSY), which InTx does with jittered
// exponential backoff, a bounded number of times. A method called outside a
// transaction retries its own statements the same way.
//
// # Errors
//
// Methods return the store sentinels (store.ErrNotFound, store.ErrConflict,
// store.ErrUnavailable) wrapped with the operation, and keep the driver's
// error in the chain for logs and for InTx's classification. Messages never
// contain keys' contents or connection strings.
package sqlstore
