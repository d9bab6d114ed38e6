package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// goroutines is how many callers contend in each concurrency test: enough
// to overlap on two cores, few enough to stay well inside the retry budget.
const goroutines = 8

// together runs fn(i) for i in [0, n) in n goroutines released at once.
func together(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// checkOneWinner wants exactly one nil among errs and store.ErrConflict
// for the rest.
func checkOneWinner(t *testing.T, op string, errs []error) {
	t.Helper()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("%s() #%d = %v, want nil or store.ErrConflict", op, i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d concurrent %s() calls won, want exactly 1", wins, op)
	}
}

func testConcurrentPutDataKey(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.PutDataKey(ctx, dataKey("contested", fmt.Sprintf("kek-%d", i)))
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("PutDataKey() succeeded for both %d and %d, want exactly one success", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("PutDataKey() #%d error = %v, want nil or store.ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no PutDataKey() succeeded, want exactly one")
	}
	got, err := s.DataKey(ctx, "contested")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("kek-%d", winner); got.KEKID != want {
		t.Errorf("stored KEKID = %q, want the winner's %q", got.KEKID, want)
	}
}

// wantCounts is 1..goroutines: every hit counted exactly once.
func wantCounts() []int {
	w := make([]int, goroutines)
	for i := range w {
		w[i] = i + 1
	}
	return w
}

func testConcurrentThrottleHit(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	counts := make([]int, goroutines)
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		counts[i], _, errs[i] = s.ThrottleHit(ctx, "contested", time.Hour, t0)
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("ThrottleHit() errors: %v", err)
	}
	slices.Sort(counts)
	if diff := cmp.Diff(wantCounts(), counts); diff != "" {
		t.Errorf("concurrent ThrottleHit() counts mismatch (-want +got):\n%s", diff)
	}
}

// testConcurrentThrottleHitInTx makes transactions collide for real: on
// PostgreSQL, SERIALIZABLE transactions updating one row fail with SQLSTATE
// 40001 and InTx must retry them; on SQLite they queue on the write lock.
// Either way every transaction commits once.
func testConcurrentThrottleHitInTx(t *testing.T, e Engine) {
	ctx := context.Background()
	// A transaction can lose to each of the others once, so goroutines
	// attempts suffice; the margin covers false positives of PostgreSQL's
	// serializable checks.
	s := open(t, e, sqlstore.WithRetry(4*goroutines, time.Millisecond, 20*time.Millisecond))
	counts := make([]int, goroutines)
	errs := make([]error, goroutines)
	var runs atomic.Int64
	together(goroutines, func(i int) {
		errs[i] = s.InTx(ctx, func(ctx context.Context) error {
			runs.Add(1)
			var err error
			counts[i], _, err = s.ThrottleHit(ctx, "contested", time.Hour, t0)
			return err
		})
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("InTx(ThrottleHit) errors: %v", err)
	}
	// Not asserted (contention depends on scheduling), but worth seeing:
	// on PostgreSQL, runs above the number of transactions are retries.
	t.Logf("%d transactions took %d runs", goroutines, runs.Load())
	slices.Sort(counts)
	if diff := cmp.Diff(wantCounts(), counts); diff != "" {
		t.Errorf("transactional ThrottleHit() counts mismatch (-want +got):\n%s", diff)
	}
}

// testConcurrentMigrate runs Migrate from several goroutines at once, each
// on its own connection, as several nodes starting together would.
func testConcurrentMigrate(t *testing.T, e Engine) {
	ctx := context.Background()
	s := e.Open(t)
	const n = 3
	applied := make([][]string, n)
	errs := make([]error, n)
	together(n, func(i int) {
		applied[i], errs[i] = s.Migrate(ctx)
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Migrate() errors: %v", err)
	}
	var all []string
	for _, a := range applied {
		all = append(all, a...)
	}
	slices.Sort(all)
	if diff := cmp.Diff(s.Migrations(), all); diff != "" {
		t.Errorf("migrations applied across runs mismatch, want each exactly once (-want +got):\n%s", diff)
	}
	pending, err := s.PendingMigrations(ctx)
	if err != nil || len(pending) != 0 {
		t.Errorf("PendingMigrations() = %q, %v; want none", pending, err)
	}
}
