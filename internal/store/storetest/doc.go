// Package storetest is the conformance suite that every storage engine runs:
// one set of tests, written once against *sqlstore.Store, run by
// internal/store/sqlite and internal/store/postgres on real databases.
//
// An engine's test calls Run and RunConcurrency with an Engine that opens
// a store on a fresh, empty database (SQLite: a file in t.TempDir();
// PostgreSQL: a randomly named database from pgtest.New) and produces one
// genuine retryable driver error:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, engine) }
//
// Tests use errors.Is on the store sentinels (store.ErrNotFound,
// store.ErrConflict, store.ErrUnavailable), never error strings, because
// those sentinels are the whole contract domain packages see.
//
// # Adding an aggregate
//
// Put the aggregate's tests in a new file here (datakeys.go and
// throttle.go are the models), name them in Run's table, and add
// concurrency tests to RunConcurrency where the aggregate has a
// uniqueness or counting rule. Both engines then run them.
//
// # Benchmarks
//
// BenchmarkPutDataKey and BenchmarkThrottleHit are helpers the engine
// packages call from their own Benchmark functions.
package storetest
