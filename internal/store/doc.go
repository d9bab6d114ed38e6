// Package store holds what every storage engine and every domain package
// agree on: the sentinel errors (ErrNotFound, ErrConflict, ErrUnavailable)
// and the transaction runner (TxRunner). It imports no engine and no domain
// package, so domain packages may depend on it freely.
//
// # Where things live
//
//	internal/<domain>/store.go   each domain package's narrow Store interface
//	                             (envelope.Store, throttle.Store, ...)
//	internal/store/sqlstore      the one implementation of all of them, over
//	                             database/sql, parametrised by a Dialect
//	internal/store/sqlite        Open for SQLite: DSN, dialect, migrations
//	internal/store/postgres      Open for PostgreSQL: pool, dialect, migrations
//	internal/store/storetest     the conformance suite both engines run
//	internal/store/pgtest        a fresh PostgreSQL database per test
//
// Dependencies point inward: domain packages know only their interface and
// this package; sqlstore imports the domain packages to implement them;
// cmd/netid picks an engine and hands the *sqlstore.Store to the domains.
//
// # Contract
//
// Every store method joins the transaction carried by its context (see
// TxRunner). A method that finds nothing returns an error wrapping
// ErrNotFound; one that would break a uniqueness or compare-and-swap rule,
// ErrConflict; one that cannot reach the engine, ErrUnavailable. Test with
// errors.Is.
package store
