package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netid/netid/internal/store"
)

// Group commit: on an engine with one writer and a durable commit (SQLite
// with synchronous=FULL), every commit pays an fsync while holding the
// write lock, so write transactions/s is bounded by fsyncs/s however fast
// the statements are. The committer runs the write transactions that
// arrive while it is busy as one engine transaction, each inside its own
// SAVEPOINT, and commits them with one fsync. A transaction that fails is
// rolled back to its savepoint alone; its caller gets its error, the others
// commit. No caller hears "committed" before the commit that holds its
// writes is durable, so the durability promise is the same as one commit
// per transaction; only the fsyncs are shared.
//
// Write transactions were already serialised by the engine's write lock
// (BEGIN IMMEDIATE), so running them one after the other on the
// committer's goroutine costs no concurrency.

// maxBatch bounds how many transactions share one commit, so that a long
// queue still commits (and answers its callers) regularly.
const maxBatch = 128

// errBatchAborted reports a batch that could not finish: the engine
// refused a savepoint or the commit. Nothing of the batch was written; the
// transactions run again (InTx retries it like a transient conflict).
var errBatchAborted = errors.New("group commit aborted")

// errGoexit is the outcome of a transaction whose body ended the
// committer's goroutine with runtime.Goexit (t.FailNow in a test, which
// must not be called inside a transaction body any more).
var errGoexit = errors.New("transaction body called runtime.Goexit (t.FailNow?) on the committer's goroutine")

// errWriteOutsideTx is how a store method run outside a transaction learns
// that it is about to write: do then runs it again inside a transaction
// of the committer, so that its write shares a commit too.
var errWriteOutsideTx = errors.New("write outside a transaction")

type commitJob struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan error
}

// panicked carries a panic from a transaction body on the committer's
// goroutine back to the caller's, which panics again with the same value
// (so that a recover sees what was thrown).
type panicked struct {
	value any
}

func (p *panicked) Error() string { return fmt.Sprintf("panic in transaction: %v", p.value) }

type committer struct {
	s *Store
	// acceptWait bounds how long a transaction waits for the committer
	// to take it (defaultAcceptWait).
	acceptWait time.Duration
	jobs       chan *commitJob
	stop       chan struct{}
	once       sync.Once
	wg         sync.WaitGroup
	// batches and committed count batches and the transactions they
	// committed; waiting counts transactions submitted and not yet
	// answered. For an operator's metrics and for tests.
	batches, committed, waiting atomic.Int64
}

// CommitStats describes the group commit of a Store (see
// Dialect.GroupCommit).
type CommitStats struct {
	// Enabled is false for a store without group commit; the counts are
	// then zero.
	Enabled bool
	// Batches is the number of engine commits that committed write
	// transactions, Transactions the number of transactions they
	// committed: Transactions/Batches is the mean batch size.
	Batches, Transactions int64
	// Waiting is the number of transactions submitted and not yet
	// answered, the one in progress included.
	Waiting int64
}

// CommitStats returns the counters of the store's group commit.
func (s *Store) CommitStats() CommitStats {
	if s.gc == nil {
		return CommitStats{}
	}
	return CommitStats{Enabled: true, Batches: s.gc.batches.Load(),
		Transactions: s.gc.committed.Load(), Waiting: s.gc.waiting.Load()}
}

// defaultAcceptWait is SQLite's busy timeout in netid: how long a writer
// waited for the write lock before group commit.
const defaultAcceptWait = 5 * time.Second

func newCommitter(s *Store) *committer {
	c := &committer{s: s, acceptWait: defaultAcceptWait, jobs: make(chan *commitJob), stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c
}

// close stops the committer after the batch in progress; it may be
// called more than once, as Store.Close may.
func (c *committer) close() {
	c.once.Do(func() { close(c.stop) })
	c.wg.Wait()
}

// submit runs fn in the next batch and returns its outcome once the batch
// is committed (nil) or fn's own error. It waits for the outcome even when
// ctx ends meanwhile: a caller must never think a transaction failed that
// then commits. A transaction whose context has ended before its turn is
// not run.
func (c *committer) submit(ctx context.Context, fn func(ctx context.Context) error) error {
	j := &commitJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	wait := time.NewTimer(c.acceptWait)
	defer wait.Stop()
	select {
	case c.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return fmt.Errorf("sqlstore: %w", sql.ErrConnDone)
	case <-wait.C:
		// Either the writer is saturated, or this is a transaction body
		// writing with a context other than the one InTx gave it, which
		// waits for the committer that is running that very body. Give up
		// as SQLite's busy timeout did, so that the body fails and the
		// committer goes on, rather than every write of the process
		// stopping for good.
		return fmt.Errorf("sqlstore: %w: no turn to write within %s (the writer is saturated, or a transaction body wrote outside its transaction)",
			store.ErrUnavailable, c.acceptWait)
	}
	err := <-j.done
	var p *panicked
	if errors.As(err, &p) {
		panic(p.value)
	}
	return err
}

func (c *committer) run() {
	stopped := false
	defer func() {
		if !stopped {
			// A body ended this goroutine (runtime.Goexit, as t.FailNow
			// does in a test): runBatch has answered its batch; carry on
			// in a new goroutine.
			c.wg.Add(1)
			go c.run()
		}
		c.wg.Done()
	}()
	for {
		var first *commitJob
		select {
		case first = <-c.jobs:
		case <-c.stop:
			stopped = true
			return
		}
		batch := []*commitJob{first}
	collect:
		for len(batch) < maxBatch {
			select {
			case j := <-c.jobs:
				batch = append(batch, j)
			default:
				break collect
			}
		}
		c.runBatch(batch)
	}
}

// runBatch runs the batch in one engine transaction and tells every
// caller its outcome.
func (c *committer) runBatch(batch []*commitJob) {
	results := make([]error, len(batch))
	answered := false
	defer func() {
		if answered {
			return
		}
		// runtime.Goexit in a body: runTx's deferred rollback undid the
		// batch. The body that exited fails; the others run again.
		for i, j := range batch {
			if results[i] == errGoexit {
				j.done <- fmt.Errorf("sqlstore: %w", errGoexit)
			} else {
				j.done <- fmt.Errorf("sqlstore: %w: another transaction's body ended its goroutine", errBatchAborted)
			}
		}
	}()
	err := c.runTx(batch, results)
	committed := 0
	for i := range batch {
		if results[i] == nil && err == nil {
			committed++
		}
	}
	if committed > 0 {
		c.batches.Add(1)
		c.committed.Add(int64(committed))
	}
	for i, j := range batch {
		switch {
		case results[i] != nil:
			j.done <- results[i]
		case err != nil:
			j.done <- err
		default:
			j.done <- nil
		}
	}
	answered = true
}

// runTx runs each job in its own savepoint; results receives each job's
// own error. It returns an error when the batch as a whole did not commit.
func (c *committer) runTx(batch []*commitJob, results []error) (err error) {
	s := c.s
	// The batch must not end with one caller's context: on SQLite a
	// cancelled statement interrupts the connection, which can roll back
	// the whole transaction, other callers' work included. Each body runs
	// to its end once started.
	tx, err := s.db.BeginTx(context.Background(), &sql.TxOptions{Isolation: s.d.Isolation})
	if err != nil {
		return s.wrap("begin transaction", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	ran := 0
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := tx.Exec("SAVEPOINT job"); err != nil {
			return fmt.Errorf("sqlstore: %w: savepoint: %w", errBatchAborted, err)
		}
		ctx := context.WithValue(context.WithoutCancel(j.ctx), txKey{}, &txState{s: s, tx: tx})
		results[i] = errGoexit // what stays if the body never returns
		if results[i] = runBody(ctx, j.fn); results[i] != nil {
			if _, err := tx.Exec("ROLLBACK TO job"); err != nil {
				return fmt.Errorf("sqlstore: %w: rollback to savepoint: %w", errBatchAborted, err)
			}
		} else {
			ran++
		}
		if _, err := tx.Exec("RELEASE job"); err != nil {
			return fmt.Errorf("sqlstore: %w: release savepoint: %w", errBatchAborted, err)
		}
	}
	if ran == 0 {
		return nil // nothing to commit; the deferred rollback ends it
	}
	committed = true
	if err := tx.Commit(); err != nil {
		return s.wrap("commit", err)
	}
	return nil
}

// runBody runs fn, turning a panic into an error that submit raises again
// on the caller's goroutine.
func runBody(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicked{value: v}
		}
	}()
	return fn(ctx)
}

// isWrite reports whether query may write: anything but a SELECT. A
// misjudged read only costs a place in the committer's queue.
func isWrite(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) < 6 || !strings.EqualFold(q[:6], "select")
}
