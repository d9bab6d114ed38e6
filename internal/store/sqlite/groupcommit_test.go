package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// openMigrated opens a migrated store.
func openMigrated(t *testing.T) *sqlstore.Store {
	t.Helper()
	s := engine.Open(t)
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func groupKey(owner string) envelope.DataKey {
	return envelope.DataKey{Owner: owner, KEKID: "kek-1", Wrapped: []byte("wrapped:" + owner),
		Created: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
}

// holdCommitter starts a transaction that blocks the committer until the
// returned release is called, so that the transactions submitted meanwhile
// queue and form the next batch. It waits until the held one runs.
func holdCommitter(t *testing.T, s *sqlstore.Store) (release func() error) {
	t.Helper()
	running, released, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.InTx(context.Background(), func(ctx context.Context) error {
			close(running)
			<-released
			return s.PutDataKey(ctx, groupKey("held"))
		})
	}()
	<-running
	return func() error { close(released); return <-done }
}

// waitQueued waits until n transactions wait for the committer.
func waitQueued(t *testing.T, s *sqlstore.Store, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.CommitStats().Waiting < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d transactions waiting, want %d", s.CommitStats().Waiting, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitBatches: transactions that arrive while a commit is in
// progress share the next one, and every one of them is committed.
func TestGroupCommitBatches(t *testing.T) {
	s := openMigrated(t)
	ctx := context.Background()
	before := s.CommitStats()
	if !before.Enabled {
		t.Fatal("group commit is off on SQLite")
	}
	release := holdCommitter(t, s)
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(ctx context.Context) error {
				return s.PutDataKey(ctx, groupKey(fmt.Sprint("queued-", i)))
			})
		})
	}
	waitQueued(t, s, n+1)
	if err := release(); err != nil {
		t.Fatalf("held transaction: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
		if _, err := s.DataKey(ctx, fmt.Sprint("queued-", i)); err != nil {
			t.Errorf("key of transaction %d: %v", i, err)
		}
	}
	after := s.CommitStats()
	if got := after.Batches - before.Batches; got != 2 {
		t.Errorf("%d commits, want 2 (the held transaction, then the %d queued together)", got, n)
	}
	if got := after.Transactions - before.Transactions; got != n+1 {
		t.Errorf("%d transactions committed, want %d", got, n+1)
	}
}

// TestGroupCommitIsolatesFailures: in one batch, a transaction that fails
// or panics leaves nothing behind and its caller gets its own outcome; the
// others commit.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := openMigrated(t)
	ctx := context.Background()
	release := holdCommitter(t, s)
	errOwn := errors.New("the transaction's own error")
	cancelled, cancel := context.WithCancel(ctx)
	type outcome struct {
		err       error
		recovered any
	}
	bodies := map[string]func(ctx context.Context) error{
		"ok-1": func(ctx context.Context) error { return s.PutDataKey(ctx, groupKey("ok-1")) },
		"fails": func(ctx context.Context) error {
			if err := s.PutDataKey(ctx, groupKey("fails")); err != nil {
				return err
			}
			return errOwn
		},
		"panics": func(ctx context.Context) error {
			if err := s.PutDataKey(ctx, groupKey("panics")); err != nil {
				return err
			}
			panic("body panicked")
		},
		"conflict": func(ctx context.Context) error { return s.PutDataKey(ctx, groupKey("held")) },
		"ok-2":     func(ctx context.Context) error { return s.PutDataKey(ctx, groupKey("ok-2")) },
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		outcomes = map[string]outcome{}
	)
	for name, body := range bodies {
		wg.Go(func() {
			var o outcome
			defer func() {
				o.recovered = recover()
				mu.Lock()
				outcomes[name] = o
				mu.Unlock()
			}()
			o.err = s.InTx(ctx, body)
		})
	}
	// One more, whose caller gives up while it waits for its turn.
	gaveUp := make(chan error, 1)
	go func() {
		gaveUp <- s.InTx(cancelled, func(ctx context.Context) error { return s.PutDataKey(ctx, groupKey("gave-up")) })
	}()
	waitQueued(t, s, int64(len(bodies))+2)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned transaction: %v, want context.Canceled", err)
	}
	if err := release(); err != nil {
		t.Fatalf("held transaction: %v", err)
	}
	wg.Wait()

	want := map[string]struct {
		err       error
		recovered any
		stored    bool
	}{
		"ok-1":     {stored: true},
		"ok-2":     {stored: true},
		"fails":    {err: errOwn},
		"panics":   {recovered: "body panicked"},
		"conflict": {err: store.ErrConflict},
	}
	for name, w := range want {
		o := outcomes[name]
		if w.err == nil && o.err != nil || w.err != nil && !errors.Is(o.err, w.err) {
			t.Errorf("%s: error %v, want %v", name, o.err, w.err)
		}
		if o.recovered != w.recovered {
			t.Errorf("%s: recovered %v, want %v", name, o.recovered, w.recovered)
		}
		_, err := s.DataKey(ctx, name)
		if stored := err == nil; stored != w.stored {
			t.Errorf("%s: stored = %v (%v), want %v", name, stored, err, w.stored)
		}
	}
	if _, err := s.DataKey(ctx, "gave-up"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the abandoned transaction's key: %v, want store.ErrNotFound", err)
	}
}

// TestGroupCommitWritesOutsideTx: a store method called outside InTx that
// writes, with Exec or with a query (INSERT ... RETURNING), goes through
// the committer and is done once; methods that only read do not.
func TestGroupCommitWritesOutsideTx(t *testing.T) {
	s := openMigrated(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	committed := func() int64 { return s.CommitStats().Transactions }

	start := committed()
	if err := s.PutDataKey(ctx, groupKey("outside")); err != nil {
		t.Fatal(err)
	}
	if got := committed() - start; got != 1 {
		t.Errorf("PutDataKey outside a transaction: %d commits through the committer, want 1", got)
	}
	for want := 1; want <= 3; want++ {
		start = committed()
		hits, _, err := s.ThrottleHit(ctx, "login:198.51.100.7", time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if hits != want {
			t.Errorf("hit %d counted %d: the write ran more than once or not at all", want, hits)
		}
		if got := committed() - start; got != 1 {
			t.Errorf("ThrottleHit outside a transaction: %d commits through the committer, want 1", got)
		}
	}
	start = committed()
	if _, err := s.DataKey(ctx, "outside"); err != nil {
		t.Fatal(err)
	}
	if got := committed() - start; got != 0 {
		t.Errorf("DataKey (a read) went through the committer %d times", got)
	}
}
