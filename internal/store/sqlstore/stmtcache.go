package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// maxCachedStatements bounds the statement cache. Every query of the
// store is a constant, a few dozen in all; queries built at run time (the
// bulk inserts of seed.go) beyond the bound run unprepared.
const maxCachedStatements = 512

// maxCachedQueryLen leaves long queries (multi-row inserts) unprepared:
// they run rarely and would pin large statements on every connection.
const maxCachedQueryLen = 4096

// stmtCache keeps one prepared statement per query text. Without it every
// call makes the engine parse its SQL again: with modernc.org/sqlite that
// was a sixth of the CPU of a single-sign-on login. database/sql keeps,
// under each *sql.Stmt, the statement prepared on each connection, so a
// query is parsed once per connection, and a transaction reuses its
// connection's statement (Tx.StmtContext).
type stmtCache struct {
	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
	// preparing counts the background preparations, which close waits
	// for: one still opening a connection when the pool closes would open
	// the database again (SQLite recreates its -wal and -shm files) after
	// Close returned.
	preparing sync.WaitGroup
	// ctx is the parent of the background preparations' contexts; close
	// cancels it, so that they give up waiting for a connection.
	ctx    context.Context
	cancel context.CancelFunc
}

// get returns the prepared statement of query, or nil when it is not
// prepared yet. It never waits for a connection: a transaction that asked
// the pool for a second connection could wait for itself. The first call
// of a query starts its preparation on the pool in the background (at
// most one at a time per query) and runs unprepared.
func (c *stmtCache) get(db *sql.DB, query string) *sql.Stmt {
	if len(query) > maxCachedQueryLen {
		return nil
	}
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok || c.closed || len(c.m)+len(c.pending) >= maxCachedStatements || c.pending[query] {
		return st
	}
	if c.pending == nil {
		c.pending = make(map[string]bool)
	}
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithCancel(context.Background())
	}
	c.pending[query] = true
	c.preparing.Add(1) // under c.mu, before close can set closed and wait
	go c.prepare(db, query, c.ctx)
	return nil
}

// prepare prepares query on the pool and caches it. A query that does not
// prepare (a table not migrated yet) is dropped, to be tried again later.
func (c *stmtCache) prepare(db *sql.DB, query string, parent context.Context) {
	defer c.preparing.Done()
	ctx, cancel := context.WithTimeout(parent, 10*time.Second)
	defer cancel()
	st, err := db.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		return
	}
	if c.closed {
		_ = st.Close()
		return
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = st
}

// close closes every cached statement, after the background preparations
// have finished (told to give up waiting), so that none touches the
// database once the pool is closed.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.preparing.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = nil
}

// cachedQuerier is the querier that store methods receive: statements
// from the cache, run in the transaction tx or, when tx is nil, on the
// pool.
type cachedQuerier struct {
	s  *Store
	tx *sql.Tx
	// wrote, when not nil, marks a method run outside a transaction under
	// group commit: its first write statement is not run but reported
	// here (and as an error), and do runs the method again in a
	// transaction.
	wrote *bool
}

// stopAtWrite reports whether query must not run here: a write outside a
// transaction under group commit.
func (c cachedQuerier) stopAtWrite(query string) bool {
	if c.wrote == nil || c.tx != nil || !isWrite(query) {
		return false
	}
	*c.wrote = true
	return true
}

// doneCtx is an ended context: a *sql.Row can only carry an error that
// database/sql put there, and a query on an ended context is refused
// before it reaches a connection.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// raw is the transaction or the pool, for what the cache does not serve.
func (c cachedQuerier) raw() querier {
	if c.tx != nil {
		return c.tx
	}
	return c.s.db
}

// stmt returns the statement of query for this transaction or the pool,
// or nil to run query unprepared.
func (c cachedQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	st := c.s.stmts.get(c.s.db, query)
	if st == nil {
		return nil
	}
	if c.tx != nil {
		return c.tx.StmtContext(ctx, st)
	}
	return st
}

func (c cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if c.wrote != nil && c.tx == nil {
		*c.wrote = true // an Exec writes, whatever its text
		return nil, errWriteOutsideTx
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.raw().ExecContext(ctx, query, args...)
}

func (c cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if c.stopAtWrite(query) {
		return nil, errWriteOutsideTx
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.raw().QueryContext(ctx, query, args...)
}

func (c cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if c.stopAtWrite(query) {
		return c.s.db.QueryRowContext(doneCtx, query, args...)
	}
	if st := c.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.raw().QueryRowContext(ctx, query, args...)
}

// PrepareContext prepares a statement of the transaction or the pool that
// the caller closes (the bulk inserts of seed.go).
func (c cachedQuerier) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if c.wrote != nil && c.tx == nil {
		*c.wrote = true // only the bulk inserts prepare
		return nil, errWriteOutsideTx
	}
	if c.tx != nil {
		return c.tx.PrepareContext(ctx, query)
	}
	return c.s.db.PrepareContext(ctx, query)
}
