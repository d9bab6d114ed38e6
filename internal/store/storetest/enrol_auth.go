package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// authT0 is a time as the enrol Service hands them over: UTC, whole
// microseconds.
var authT0 = time.Date(2025, 7, 15, 10, 0, 0, 321987000, time.UTC)

// testDynamicCodeSteps: a step is accepted only if it is greater than every
// step accepted before for the same resident; a refused step changes
// nothing.
func testDynamicCodeSteps(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		steps := []struct {
			name     string
			resident string
			step     int64
			wantErr  error
		}{
			{"first use", "r1", 58_000_000, nil},
			{"same step again", "r1", 58_000_000, store.ErrConflict},
			{"earlier step", "r1", 57_999_999, store.ErrConflict},
			{"next step", "r1", 58_000_001, nil},
			{"other resident, earlier step", "r2", 57_999_999, nil},
			{"step after two", "r1", 58_000_003, nil},
			{"skipped step is behind now", "r1", 58_000_002, store.ErrConflict},
			{"refusals did not lower the mark", "r1", 58_000_003, store.ErrConflict},
			{"other resident keeps its own", "r2", 57_999_999, store.ErrConflict},
			{"other resident moves on", "r2", 58_000_000, nil},
		}
		for i, st := range steps {
			err := s.UseDynamicCodeStep(ctx, st.resident, st.step, authT0.Add(time.Duration(i)*time.Second))
			if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
				t.Errorf("%s: UseDynamicCodeStep(%s, %d) = %v, want %v", st.name, st.resident, st.step, err, st.wantErr)
			}
		}
		if err := s.UseDynamicCodeStep(ctx, "", 1, authT0); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("UseDynamicCodeStep(empty resident) = %v, want an invalid-argument error", err)
		}
	})
}

// testAuthMethodLocks: locks are per resident and method, keep their first
// time, list in method order and unlock once.
func testAuthMethodLocks(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		list := func(resident string, want []enrol.Lock) {
			t.Helper()
			got, err := s.AuthMethodLocks(ctx, resident)
			if err != nil {
				t.Fatalf("AuthMethodLocks(%s) error = %v", resident, err)
			}
			if got == nil || !cmp.Equal(want, got) {
				t.Errorf("AuthMethodLocks(%s) = %#v, want %#v (non-nil)", resident, got, want)
			}
			for _, l := range got {
				if l.Since.Location() != time.UTC {
					t.Errorf("AuthMethodLocks(%s): %s since %v, want UTC", resident, l.Method, l.Since)
				}
			}
		}
		list("r1", []enrol.Lock{})

		t1, t2 := authT0, authT0.Add(time.Minute)
		for _, l := range []struct {
			resident string
			m        enrol.Method
			at       time.Time
		}{
			{"r1", enrol.MethodPassword, t1},
			{"r1", enrol.MethodAccount, t2},
			{"r1", enrol.MethodWallet, t2},
			{"r2", enrol.MethodPassword, t2},
		} {
			if err := s.LockAuthMethod(ctx, l.resident, l.m, l.at); err != nil {
				t.Fatalf("LockAuthMethod(%s, %s) error = %v", l.resident, l.m, err)
			}
		}
		if err := s.LockAuthMethod(ctx, "r1", enrol.MethodPassword, t2.Add(time.Hour)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("LockAuthMethod(locked already) = %v, want store.ErrConflict", err)
		}
		list("r1", []enrol.Lock{
			{Method: enrol.MethodAccount, Since: t2},
			{Method: enrol.MethodPassword, Since: t1},
			{Method: enrol.MethodWallet, Since: t2},
		})
		list("r2", []enrol.Lock{{Method: enrol.MethodPassword, Since: t2}})

		if err := s.UnlockAuthMethod(ctx, "r1", enrol.MethodPassword); err != nil {
			t.Fatalf("UnlockAuthMethod(r1, password) error = %v", err)
		}
		for _, u := range []struct {
			resident string
			m        enrol.Method
		}{{"r1", enrol.MethodPassword}, {"r1", enrol.MethodDynamicCode}, {"r3", enrol.MethodAccount}} {
			if err := s.UnlockAuthMethod(ctx, u.resident, u.m); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UnlockAuthMethod(%s, %s, not locked) = %v, want store.ErrNotFound", u.resident, u.m, err)
			}
		}
		list("r1", []enrol.Lock{{Method: enrol.MethodAccount, Since: t2}, {Method: enrol.MethodWallet, Since: t2}})
		list("r2", []enrol.Lock{{Method: enrol.MethodPassword, Since: t2}})

		// Locked again after an unlock: the new time.
		t3 := t2.Add(time.Hour)
		if err := s.LockAuthMethod(ctx, "r1", enrol.MethodPassword, t3); err != nil {
			t.Fatalf("LockAuthMethod(again) error = %v", err)
		}
		list("r1", []enrol.Lock{
			{Method: enrol.MethodAccount, Since: t2},
			{Method: enrol.MethodPassword, Since: t3},
			{Method: enrol.MethodWallet, Since: t2},
		})

		for _, bad := range []struct {
			resident string
			m        enrol.Method
		}{{"", enrol.MethodPassword}, {"r1", ""}} {
			if err := s.LockAuthMethod(ctx, bad.resident, bad.m, t1); err == nil || errors.Is(err, store.ErrConflict) {
				t.Errorf("LockAuthMethod(%q, %q) = %v, want an invalid-argument error", bad.resident, bad.m, err)
			}
			if err := s.UnlockAuthMethod(ctx, bad.resident, bad.m); err == nil || errors.Is(err, store.ErrNotFound) {
				t.Errorf("UnlockAuthMethod(%q, %q) = %v, want an invalid-argument error", bad.resident, bad.m, err)
			}
		}
	})
}

// testDeleteAuthMethodState: erasing a resident's state removes its locks
// and its last step (so a step is free again) and nobody else's.
func testDeleteAuthMethodState(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		for _, r := range []string{"r1", "r2"} {
			if err := s.UseDynamicCodeStep(ctx, r, 100, authT0); err != nil {
				t.Fatal(err)
			}
			for _, m := range []enrol.Method{enrol.MethodPassword, enrol.MethodAccount} {
				if err := s.LockAuthMethod(ctx, r, m, authT0); err != nil {
					t.Fatal(err)
				}
			}
		}
		if n, err := s.DeleteAuthMethodState(ctx, "r1"); err != nil || n != 3 {
			t.Errorf("DeleteAuthMethodState(r1) = %d, %v; want 3 rows", n, err)
		}
		if n, err := s.DeleteAuthMethodState(ctx, "r1"); err != nil || n != 0 {
			t.Errorf("DeleteAuthMethodState(r1) again = %d, %v; want 0 rows, no error", n, err)
		}
		if got, err := s.AuthMethodLocks(ctx, "r1"); err != nil || len(got) != 0 {
			t.Errorf("AuthMethodLocks(r1) after delete = %v, %v; want none", got, err)
		}
		if err := s.UseDynamicCodeStep(ctx, "r1", 100, authT0); err != nil {
			t.Errorf("UseDynamicCodeStep(r1, 100) after delete = %v, want nil", err)
		}
		if got, err := s.AuthMethodLocks(ctx, "r2"); err != nil || len(got) != 2 {
			t.Errorf("AuthMethodLocks(r2) = %v, %v; want its 2 locks untouched", got, err)
		}
		if err := s.UseDynamicCodeStep(ctx, "r2", 100, authT0); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UseDynamicCodeStep(r2, 100) = %v, want store.ErrConflict (untouched)", err)
		}
		if _, err := s.DeleteAuthMethodState(ctx, ""); err == nil {
			t.Error("DeleteAuthMethodState(empty resident) = nil, want an invalid-argument error")
		}
	})
}

// testAuthMethodsInTx: the writes join the caller's transaction and roll
// back with it.
func testAuthMethodsInTx(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if err := s.UseDynamicCodeStep(ctx, "r1", 100, authT0); err != nil {
		t.Fatal(err)
	}
	if err := s.LockAuthMethod(ctx, "r1", enrol.MethodWallet, authT0); err != nil {
		t.Fatal(err)
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.UseDynamicCodeStep(ctx, "r1", 101, authT0); err != nil {
			return err
		}
		if err := s.UseDynamicCodeStep(ctx, "r2", 50, authT0); err != nil {
			return err
		}
		if err := s.LockAuthMethod(ctx, "r1", enrol.MethodPassword, authT0); err != nil {
			return err
		}
		if err := s.UnlockAuthMethod(ctx, "r1", enrol.MethodWallet); err != nil {
			return err
		}
		// Inside, the transaction sees its own writes.
		if got, err := s.AuthMethodLocks(ctx, "r1"); err != nil || !cmp.Equal(got, []enrol.Lock{{Method: enrol.MethodPassword, Since: authT0}}) {
			return fmt.Errorf("AuthMethodLocks in tx = %v, %v", got, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx() = %v, want errBoom", err)
	}
	// Rolled back: step 101 and r2's 50 are still free, the wallet lock is
	// still there and the password lock never was.
	if err := s.UseDynamicCodeStep(ctx, "r1", 101, authT0); err != nil {
		t.Errorf("UseDynamicCodeStep(r1, 101) after rollback = %v, want nil", err)
	}
	if err := s.UseDynamicCodeStep(ctx, "r2", 50, authT0); err != nil {
		t.Errorf("UseDynamicCodeStep(r2, 50) after rollback = %v, want nil", err)
	}
	if got, err := s.AuthMethodLocks(ctx, "r1"); err != nil || !cmp.Equal(got, []enrol.Lock{{Method: enrol.MethodWallet, Since: authT0}}) {
		t.Errorf("AuthMethodLocks(r1) after rollback = %v, %v; want the wallet lock only", got, err)
	}
}

// testConcurrentUseDynamicCodeStep: of callers presenting the same step at
// once, as two nodes given one code would, exactly one succeeds, both as
// autocommit statements and inside transactions (where PostgreSQL may
// fail the loser with 40001 and InTx reruns it into the conflict).
func testConcurrentUseDynamicCodeStep(t *testing.T, e Engine) {
	modes := []struct {
		name string
		use  func(ctx context.Context, s *sqlstore.Store, step int64) error
	}{
		{"autocommit", func(ctx context.Context, s *sqlstore.Store, step int64) error {
			return s.UseDynamicCodeStep(ctx, "r", step, authT0)
		}},
		{"in transaction", func(ctx context.Context, s *sqlstore.Store, step int64) error {
			return s.InTx(ctx, func(ctx context.Context) error { return s.UseDynamicCodeStep(ctx, "r", step, authT0) })
		}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, e)
			// Step 1000 races the first use (the insert), step 1001 a
			// later step over an existing row (the conditional update).
			for _, step := range []int64{1000, 1001} {
				t.Run(fmt.Sprint("step ", step), func(t *testing.T) {
					errs := make([]error, goroutines)
					together(goroutines, func(i int) { errs[i] = mode.use(ctx, s, step) })
					checkOneWinner(t, "UseDynamicCodeStep", errs)
				})
			}
		})
	}
}
