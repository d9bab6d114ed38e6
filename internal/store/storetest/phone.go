package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// equateEmpty is how challenges are compared: the contract treats nil and
// empty byte slices alike, and cmp compares times with time.Time.Equal.
var equateEmpty = cmpopts.EquateEmpty()

// txMode runs a sequence of store calls either as autocommit statements or
// inside one InTx, so that each behaviour is checked both ways: in a
// transaction a method must neither lose its meaning nor, on PostgreSQL,
// leave the transaction aborted when it reports a conflict.
type txMode struct {
	name string
	run  func(t *testing.T, s *sqlstore.Store, body func(ctx context.Context))
}

var txModes = []txMode{
	{"autocommit", func(t *testing.T, s *sqlstore.Store, body func(ctx context.Context)) {
		body(context.Background())
	}},
	{"in transaction", func(t *testing.T, s *sqlstore.Store, body func(ctx context.Context)) {
		t.Helper()
		// No other client touches the database, so the function runs
		// once; its assertions are not repeated by a retry.
		err := s.InTx(context.Background(), func(ctx context.Context) error {
			body(ctx)
			return nil
		})
		if err != nil {
			t.Fatalf("InTx() = %v, want nil", err)
		}
	}},
}

// eachTxMode runs body in a subtest per txMode, each on a freshly migrated
// store of e. A test that checks the store after body returns loops over
// txModes itself.
func eachTxMode(t *testing.T, e Engine, body func(t *testing.T, s *sqlstore.Store, ctx context.Context)) {
	t.Helper()
	for _, mode := range txModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, e)
			mode.run(t, s, func(ctx context.Context) { body(t, s, ctx) })
		})
	}
}

// pt0 is a time as the Verifier hands them over: UTC, whole microseconds.
var pt0 = time.Date(2025, 7, 15, 10, 0, 0, 123456000, time.UTC)

// phoneChallenge returns a challenge of (binding, purpose) at version 1
// whose other fields all depend on seed, so that a write of one seed over
// another shows in the bytes, the times and (for nearby seeds) the state
// and counters.
func phoneChallenge(binding, purpose string, seed int) phone.Challenge {
	at := pt0.Add(time.Duration(seed) * time.Minute)
	return phone.Challenge{
		BindingID:   binding,
		Purpose:     purpose,
		NumberIndex: bytes.Repeat([]byte{byte(seed), 0x00, 0xff, 0x80}, 8),
		CodeHash:    bytes.Repeat([]byte{0x5a, byte(seed + 1)}, 16),
		State:       []phone.State{phone.StateActive, phone.StateLocked, phone.StateUsed}[seed%3],
		Attempts:    seed % 6,
		SentAt:      at,
		ExpiresAt:   at.Add(10 * time.Minute),
		ResendAt:    at.Add(time.Minute),
		WindowStart: at.Add(-time.Duration(seed) * time.Second),
		Sends:       seed%5 + 1,
		KeepUntil:   at.Add(time.Hour),
		Version:     1,
	}
}

func testPhoneChallengeCRUD(t *testing.T, e Engine) {
	longBinding := strings.Repeat("!~Az09", 22)[:128]
	longPurpose := strings.Repeat("a.b_c-9", 10)[:64]
	tests := []struct {
		name string
		c    phone.Challenge
	}{
		{"every field set", phoneChallenge("enrol-0001", "enrol", 1)},
		{"same binding, other purpose", phoneChallenge("enrol-0001", "change-phone", 2)},
		{"nil and empty bytes, zero times", phone.Challenge{BindingID: "enrol-0002", Purpose: "enrol",
			NumberIndex: nil, CodeHash: []byte{}, State: phone.StateUsed, Version: 1}},
		{"before 1970, far future, large counters", phone.Challenge{BindingID: "enrol-0003", Purpose: "enrol",
			NumberIndex: make([]byte, 32), CodeHash: bytes.Repeat([]byte{0xff}, 32), State: phone.StateLocked,
			Attempts: math.MaxInt32 + 1, Sends: math.MaxInt32 + 2,
			SentAt:      time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
			ExpiresAt:   time.Date(1900, 1, 1, 0, 0, 0, 1000, time.UTC),
			ResendAt:    time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
			WindowStart: time.Unix(0, 0).UTC(), KeepUntil: time.UnixMicro(-1).UTC(), Version: 1}},
		{"longest ids", phoneChallenge(longBinding, longPurpose, 4)},
	}
	for _, mode := range txModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, e)
			mode.run(t, s, func(ctx context.Context) {
				for _, tt := range tests {
					if err := s.CreatePhoneChallenge(ctx, tt.c); err != nil {
						t.Fatalf("%s: CreatePhoneChallenge() = %v, want nil", tt.name, err)
					}
					got, err := s.PhoneChallenge(ctx, tt.c.BindingID, tt.c.Purpose)
					if err != nil {
						t.Fatalf("%s: PhoneChallenge() error = %v", tt.name, err)
					}
					if diff := cmp.Diff(tt.c, got, equateEmpty); diff != "" {
						t.Errorf("%s: PhoneChallenge() mismatch (-want +got):\n%s", tt.name, diff)
					}

					again := phoneChallenge(tt.c.BindingID, tt.c.Purpose, 9)
					if err := s.CreatePhoneChallenge(ctx, again); !errors.Is(err, store.ErrConflict) {
						t.Errorf("%s: second CreatePhoneChallenge() = %v, want store.ErrConflict", tt.name, err)
					}
					if got, err := s.PhoneChallenge(ctx, tt.c.BindingID, tt.c.Purpose); err != nil || !cmp.Equal(tt.c, got, equateEmpty) {
						t.Errorf("%s: after a conflicting create, PhoneChallenge() = %+v, %v; want it unchanged", tt.name, got, err)
					}
				}
				// Keys compare bytewise and exactly.
				missing := [][2]string{{"nobody", "enrol"}, {"enrol-0001", "Enrol"}, {"ENROL-0001", "enrol"},
					{"enrol-0001 ", "enrol"}, {"enrol-000", "enrol"}, {"enrol-0001", ""}, {"", ""}, {"enrol-0002", "change-phone"}}
				for _, k := range missing {
					if _, err := s.PhoneChallenge(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("PhoneChallenge(%q, %q) error = %v, want store.ErrNotFound", k[0], k[1], err)
					}
				}
			})
			// What the transaction wrote was committed.
			for _, tt := range tests {
				if _, err := s.PhoneChallenge(context.Background(), tt.c.BindingID, tt.c.Purpose); err != nil {
					t.Errorf("%s: PhoneChallenge() afterwards error = %v, want nil", tt.name, err)
				}
			}
		})
	}
}

func testPhoneChallengeValidation(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if err := s.CreatePhoneChallenge(ctx, phoneChallenge("b", "p", 0)); err != nil {
		t.Fatal(err)
	}
	withVersion := func(binding, purpose string, v int64) phone.Challenge {
		c := phoneChallenge(binding, purpose, 5)
		c.Version = v
		return c
	}
	invalid := []struct {
		name string
		call func() error
	}{
		{"create: empty binding", func() error { return s.CreatePhoneChallenge(ctx, withVersion("", "p", 1)) }},
		{"create: empty purpose", func() error { return s.CreatePhoneChallenge(ctx, withVersion("x", "", 1)) }},
		{"create: version 0", func() error { return s.CreatePhoneChallenge(ctx, withVersion("x", "p", 0)) }},
		{"create: version 2", func() error { return s.CreatePhoneChallenge(ctx, withVersion("x", "p", 2)) }},
		{"update: empty binding", func() error { return s.UpdatePhoneChallenge(ctx, 1, withVersion("", "p", 2)) }},
		{"update: empty purpose", func() error { return s.UpdatePhoneChallenge(ctx, 1, withVersion("b", "", 2)) }},
		{"update: version kept", func() error { return s.UpdatePhoneChallenge(ctx, 1, withVersion("b", "p", 1)) }},
		{"update: version lowered", func() error { return s.UpdatePhoneChallenge(ctx, 1, withVersion("b", "p", 0)) }},
	}
	for _, tt := range invalid {
		err := tt.call()
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: error = %v, want an invalid-argument error", tt.name, err)
		}
	}
	if _, err := s.PhoneChallenge(ctx, "x", "p"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PhoneChallenge(x, p) error = %v, want store.ErrNotFound: invalid creates must store nothing", err)
	}
	if got, err := s.PhoneChallenge(ctx, "b", "p"); err != nil || !cmp.Equal(phoneChallenge("b", "p", 0), got, equateEmpty) {
		t.Errorf("PhoneChallenge(b, p) = %+v, %v after invalid updates, want it unchanged", got, err)
	}
}

func testPhoneChallengeUpdate(t *testing.T, e Engine) {
	next := func(seed int, version int64) phone.Challenge {
		c := phoneChallenge("b", "p", seed)
		c.Version = version
		return c
	}
	cleared := next(5, 8)
	cleared.NumberIndex, cleared.CodeHash = nil, []byte{}
	cleared.SentAt, cleared.ExpiresAt = time.Time{}, time.Time{}
	steps := []struct {
		name    string
		prev    int64
		c       phone.Challenge
		wantErr error
		want    phone.Challenge // stored afterwards
	}{
		{name: "right version", prev: 1, c: next(1, 2), want: next(1, 2)},
		{name: "stale version", prev: 1, c: next(2, 2), wantErr: store.ErrConflict, want: next(1, 2)},
		{name: "version from the future", prev: 3, c: next(2, 4), wantErr: store.ErrConflict, want: next(1, 2)},
		{name: "missing binding", prev: 2, c: func() phone.Challenge { c := next(2, 3); c.BindingID = "nobody"; return c }(),
			wantErr: store.ErrNotFound, want: next(1, 2)},
		{name: "missing purpose of an existing binding", prev: 2, c: func() phone.Challenge { c := next(2, 3); c.Purpose = "q"; return c }(),
			wantErr: store.ErrNotFound, want: next(1, 2)},
		{name: "next version", prev: 2, c: next(3, 3), want: next(3, 3)},
		{name: "replayed update", prev: 2, c: next(3, 3), wantErr: store.ErrConflict, want: next(3, 3)},
		{name: "the caller's version is stored", prev: 3, c: next(4, 7), want: next(4, 7)},
		{name: "bytes and times cleared", prev: 7, c: cleared, want: cleared},
	}
	for _, mode := range txModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, e)
			// A neighbour with the same version that no update may touch.
			neighbours := []phone.Challenge{phoneChallenge("b", "q2", 7), phoneChallenge("b2", "p", 8)}
			mode.run(t, s, func(ctx context.Context) {
				for _, c := range append([]phone.Challenge{phoneChallenge("b", "p", 0)}, neighbours...) {
					if err := s.CreatePhoneChallenge(ctx, c); err != nil {
						t.Fatal(err)
					}
				}
				for _, st := range steps {
					err := s.UpdatePhoneChallenge(ctx, st.prev, st.c)
					if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
						t.Errorf("%s: UpdatePhoneChallenge(%d) = %v, want %v", st.name, st.prev, err, st.wantErr)
					}
					got, err := s.PhoneChallenge(ctx, "b", "p")
					if err != nil {
						t.Fatalf("%s: PhoneChallenge() error = %v", st.name, err)
					}
					if diff := cmp.Diff(st.want, got, equateEmpty); diff != "" {
						t.Errorf("%s: stored challenge mismatch (-want +got):\n%s", st.name, diff)
					}
				}
			})
			for _, c := range append(neighbours, cleared) {
				got, err := s.PhoneChallenge(context.Background(), c.BindingID, c.Purpose)
				if err != nil || !cmp.Equal(c, got, equateEmpty) {
					t.Errorf("PhoneChallenge(%q, %q) afterwards = %+v, %v; want %+v", c.BindingID, c.Purpose, got, err, c)
				}
			}
			for _, k := range [][2]string{{"nobody", "p"}, {"b", "q"}} {
				if _, err := s.PhoneChallenge(context.Background(), k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("PhoneChallenge(%q, %q) error = %v, want store.ErrNotFound: updates must not create", k[0], k[1], err)
				}
			}
		})
	}
}

func testPhoneChallengeDeletePrune(t *testing.T, e Engine) {
	keep := []time.Duration{-2 * time.Second, -time.Microsecond, 0, time.Microsecond, time.Hour}
	for _, mode := range txModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, e)
			type key struct{ binding, purpose string }
			mode.run(t, s, func(ctx context.Context) {
				all := []key{{"b", "enrol"}, {"b", "change-phone"}, {"b", "x"}, {"b2", "enrol"}, {"B", "enrol"}, {"a", "b"}}
				for i, k := range all {
					if err := s.CreatePhoneChallenge(ctx, phoneChallenge(k.binding, k.purpose, i)); err != nil {
						t.Fatal(err)
					}
				}
				deletes := []struct {
					binding string
					want    int64
				}{
					{"b", 3}, // every purpose, and only binding "b"
					{"b", 0},
					{"nobody", 0},
					{"", 0},
				}
				for _, d := range deletes {
					if n, err := s.DeletePhoneChallenges(ctx, d.binding); err != nil || n != d.want {
						t.Errorf("DeletePhoneChallenges(%q) = %d, %v; want %d, nil", d.binding, n, err, d.want)
					}
				}
				for _, k := range all {
					_, err := s.PhoneChallenge(ctx, k.binding, k.purpose)
					if k.binding == "b" && !errors.Is(err, store.ErrNotFound) || k.binding != "b" && err != nil {
						t.Errorf("PhoneChallenge(%q, %q) after deleting b: error = %v", k.binding, k.purpose, err)
					}
				}

				// Pruning deletes what is strictly before the cut-off.
				for i, d := range keep {
					c := phoneChallenge(fmt.Sprintf("keep-%d", i), "enrol", i)
					c.KeepUntil = pt0.Add(d)
					if err := s.CreatePhoneChallenge(ctx, c); err != nil {
						t.Fatal(err)
					}
				}
				prunes := []struct {
					before time.Time
					want   int64
				}{
					{pt0.Add(-time.Hour), 0},
					{pt0, 2}, // keep-0 and keep-1
					{pt0, 0},
				}
				for _, p := range prunes {
					if n, err := s.PrunePhoneChallenges(ctx, p.before); err != nil || n != p.want {
						t.Errorf("PrunePhoneChallenges(%v) = %d, %v; want %d, nil", p.before, n, err, p.want)
					}
				}
			})
			for i := range keep {
				_, err := s.PhoneChallenge(context.Background(), fmt.Sprintf("keep-%d", i), "enrol")
				if i < 2 && !errors.Is(err, store.ErrNotFound) || i >= 2 && err != nil {
					t.Errorf("PhoneChallenge(keep-%d) after prune: error = %v, want it pruned: %v", i, err, i < 2)
				}
			}
			// Left: keep-2 to keep-4, and b2, B and a, kept until an hour
			// and some minutes after pt0.
			if n, err := s.PrunePhoneChallenges(context.Background(), pt0.Add(24*time.Hour)); err != nil || n != 6 {
				t.Errorf("PrunePhoneChallenges(pt0+24h) = %d, %v; want 6, nil", n, err)
			}
		})
	}
}

// testPhoneChallengeInTx checks what a transaction adds: a failed one
// leaves nothing behind, a retried one does not meet its own earlier run,
// and the expected store errors leave the transaction usable (on
// PostgreSQL a failed statement would abort it).
func testPhoneChallengeInTx(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e, sqlstore.WithRetry(3, time.Microsecond, time.Microsecond))
	a, c := phoneChallenge("a", "enrol", 0), phoneChallenge("c", "enrol", 2)
	for _, x := range []phone.Challenge{a, c} {
		if err := s.CreatePhoneChallenge(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	a2 := phoneChallenge("a", "enrol", 1)
	a2.Version = 2

	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.CreatePhoneChallenge(ctx, phoneChallenge("b", "enrol", 1)); err != nil {
			return err
		}
		if err := s.UpdatePhoneChallenge(ctx, 1, a2); err != nil {
			return err
		}
		if n, err := s.DeletePhoneChallenges(ctx, "c"); err != nil || n != 1 {
			return fmt.Errorf("delete = %d, %w", n, err)
		}
		if n, err := s.PrunePhoneChallenges(ctx, pt0.Add(24*time.Hour)); err != nil || n != 2 {
			return fmt.Errorf("prune = %d, %w", n, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx() = %v, want errBoom", err)
	}
	for _, want := range []phone.Challenge{a, c} {
		if got, err := s.PhoneChallenge(ctx, want.BindingID, want.Purpose); err != nil || !cmp.Equal(want, got, equateEmpty) {
			t.Errorf("PhoneChallenge(%q) after rollback = %+v, %v; want %+v", want.BindingID, got, err, want)
		}
	}
	if _, err := s.PhoneChallenge(ctx, "b", "enrol"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PhoneChallenge(b) after rollback error = %v, want store.ErrNotFound", err)
	}

	// A run that fails with a retryable error is rolled back and rerun;
	// if its create survived, the second run's create would conflict.
	runs := 0
	retryable := e.Retryable(t)
	err = s.InTx(ctx, func(ctx context.Context) error {
		runs++
		if err := s.CreatePhoneChallenge(ctx, phoneChallenge("r", "enrol", 3)); err != nil {
			return err
		}
		if runs == 1 {
			return fmt.Errorf("injected: %w", retryable)
		}
		return nil
	})
	if err != nil || runs != 2 {
		t.Errorf("InTx(retried create) = %v after %d runs, want nil after 2", err, runs)
	}

	// Expected errors inside a transaction, then writes that must commit.
	var errs []error
	err = s.InTx(ctx, func(ctx context.Context) error {
		errs = errs[:0]
		errs = append(errs,
			s.CreatePhoneChallenge(ctx, phoneChallenge("a", "enrol", 5)),
			s.UpdatePhoneChallenge(ctx, 7, phoneChallengeAt("a", 8, 8)),
			s.UpdatePhoneChallenge(ctx, 1, phoneChallengeAt("nobody", 2, 2)),
		)
		if err := s.UpdatePhoneChallenge(ctx, 1, a2); err != nil {
			return err
		}
		return s.CreatePhoneChallenge(ctx, phoneChallenge("d", "enrol", 4))
	})
	if err != nil {
		t.Fatalf("InTx() after expected errors = %v, want nil (they must not abort the transaction)", err)
	}
	wantErrs := []error{store.ErrConflict, store.ErrConflict, store.ErrNotFound}
	for i, w := range wantErrs {
		if i >= len(errs) || !errors.Is(errs[i], w) {
			t.Errorf("expected error #%d = %v, want %v", i, errs, w)
		}
	}
	if got, err := s.PhoneChallenge(ctx, "a", "enrol"); err != nil || !cmp.Equal(a2, got, equateEmpty) {
		t.Errorf("PhoneChallenge(a) after commit = %+v, %v; want %+v", got, err, a2)
	}
	if _, err := s.PhoneChallenge(ctx, "d", "enrol"); err != nil {
		t.Errorf("PhoneChallenge(d) after commit error = %v, want nil", err)
	}
}

// phoneChallengeAt returns phoneChallenge(binding, "enrol", seed) at
// version v.
func phoneChallengeAt(binding string, v int64, seed int) phone.Challenge {
	c := phoneChallenge(binding, "enrol", seed)
	c.Version = v
	return c
}

// phoneClock is a settable clock for the Verifier, safe for concurrent use.
type phoneClock struct{ us atomic.Int64 }

func (c *phoneClock) now() time.Time          { return time.UnixMicro(c.us.Load()).UTC() }
func (c *phoneClock) advance(d time.Duration) { c.us.Add(d.Microseconds()) }

// phoneOutbox captures what the Verifier sends.
type phoneOutbox struct {
	mu   sync.Mutex
	msgs []phone.Message
}

func (o *phoneOutbox) send(_ context.Context, m phone.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// last returns the code of the latest message and how many were sent.
func (o *phoneOutbox) last(t *testing.T) (code string, sent int) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		t.Fatal("no message was sent")
	}
	return o.msgs[len(o.msgs)-1].Code, len(o.msgs)
}

// newPhoneVerifier returns a real phone.Verifier over s.
func newPhoneVerifier(t *testing.T, s *sqlstore.Store) (*phone.Verifier, *phoneClock, *phoneOutbox, phone.Number) {
	t.Helper()
	clock, out := &phoneClock{}, &phoneOutbox{}
	clock.us.Store(pt0.UnixMicro())
	v, err := phone.New(s, phone.SenderFunc(out.send), phone.WithKey(bytes.Repeat([]byte{0x42}, 32)),
		phone.WithClock(clock.now))
	if err != nil {
		t.Fatalf("phone.New() error = %v", err)
	}
	number, err := phone.ParseNumber("+86 138 0013 8000", "")
	if err != nil {
		t.Fatal(err)
	}
	return v, clock, out, number
}

// wrongCode returns a code of the same length that differs from code.
func wrongCode(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}

// testPhoneVerifier runs the phone package's Verifier end to end on the
// engine: what its unit tests check on an in-memory store must hold on the
// real one.
func testPhoneVerifier(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	v, clock, out, number := newPhoneVerifier(t, s)
	const binding, purpose = "enrolment-1", "enrol"
	stored := func(wantVersion int64, wantState phone.State) {
		t.Helper()
		c, err := s.PhoneChallenge(ctx, binding, purpose)
		if err != nil {
			t.Fatalf("PhoneChallenge() error = %v", err)
		}
		if c.Version != wantVersion || c.State != wantState || len(c.NumberIndex) != 32 || len(c.CodeHash) != 32 {
			t.Errorf("stored challenge = version %d, %s, %d-byte index, %d-byte hash; want version %d, %s, 32, 32",
				c.Version, c.State, len(c.NumberIndex), len(c.CodeHash), wantVersion, wantState)
		}
	}

	if _, err := v.Send(ctx, purpose, binding, number); err != nil {
		t.Fatalf("Send() = %v, want nil", err)
	}
	code, _ := out.last(t)
	stored(1, phone.StateActive)
	if err := v.Verify(ctx, purpose, binding, wrongCode(code)); !errors.Is(err, phone.ErrWrongCode) {
		t.Errorf("Verify(wrong code) = %v, want phone.ErrWrongCode", err)
	}
	stored(2, phone.StateActive)
	if err := v.Verify(ctx, purpose, binding, code); err != nil {
		t.Errorf("Verify(code) = %v, want nil", err)
	}
	stored(3, phone.StateUsed)
	if err := v.Verify(ctx, purpose, binding, code); !errors.Is(err, phone.ErrUsed) {
		t.Errorf("second Verify(code) = %v, want phone.ErrUsed", err)
	}

	// A new Send replaces the code (an update of the stored challenge),
	// once the resend interval is over.
	if _, err := v.Send(ctx, purpose, binding, number); !errors.Is(err, phone.ErrResendTooSoon) {
		t.Errorf("immediate second Send() = %v, want phone.ErrResendTooSoon", err)
	}
	stored(3, phone.StateUsed)
	clock.advance(phone.DefaultResendInterval)
	if _, err := v.Send(ctx, purpose, binding, number); err != nil {
		t.Fatalf("Send() after the resend interval = %v, want nil", err)
	}
	code, sent := out.last(t)
	if sent != 2 {
		t.Errorf("%d messages sent, want 2", sent)
	}
	stored(4, phone.StateActive)
	if err := v.VerifyNumber(ctx, purpose, binding, number, code); err != nil {
		t.Errorf("VerifyNumber(new code) = %v, want nil", err)
	}

	if err := v.Forget(ctx, binding); err != nil {
		t.Errorf("Forget() = %v, want nil", err)
	}
	if err := v.Verify(ctx, purpose, binding, code); !errors.Is(err, phone.ErrNoChallenge) {
		t.Errorf("Verify() after Forget = %v, want phone.ErrNoChallenge", err)
	}

	if _, err := v.Send(ctx, purpose, "enrolment-2", number); err != nil {
		t.Fatalf("Send(enrolment-2) = %v, want nil", err)
	}
	if n, err := v.Prune(ctx); err != nil || n != 0 {
		t.Errorf("Prune() right after Send = %d, %v; want 0, nil", n, err)
	}
	clock.advance(phone.DefaultSendWindow + phone.DefaultTTL)
	if n, err := v.Prune(ctx); err != nil || n != 1 {
		t.Errorf("Prune() after the send window = %d, %v; want 1, nil", n, err)
	}
}

func testConcurrentCreatePhoneChallenge(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.CreatePhoneChallenge(ctx, phoneChallenge("contested", "enrol", i))
	})
	winner := oneWinner(t, "CreatePhoneChallenge()", errs, store.ErrConflict)
	got, err := s.PhoneChallenge(ctx, "contested", "enrol")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(phoneChallenge("contested", "enrol", winner), got, equateEmpty); diff != "" {
		t.Errorf("stored challenge is not the winner's (-want +got):\n%s", diff)
	}
}

// testConcurrentPhoneChallengeCAS has every goroutine update from the same
// version at once, outside any transaction: only the single statement's
// compare-and-set can keep all but one from succeeding.
func testConcurrentPhoneChallengeCAS(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if err := s.CreatePhoneChallenge(ctx, phoneChallenge("contested", "enrol", 0)); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.UpdatePhoneChallenge(ctx, 1, phoneChallengeAt("contested", 2, i+1))
	})
	winner := oneWinner(t, "UpdatePhoneChallenge()", errs, store.ErrConflict)
	got, err := s.PhoneChallenge(ctx, "contested", "enrol")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(phoneChallengeAt("contested", 2, winner+1), got, equateEmpty); diff != "" {
		t.Errorf("stored challenge is not the winner's (-want +got):\n%s", diff)
	}
}

// oneWinner checks that exactly one of errs is nil and the others match
// loser, and returns the index of the nil one.
func oneWinner(t *testing.T, op string, errs []error, loser error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("%s succeeded for both %d and %d, want exactly one success", op, winner, i)
			}
			winner = i
		case !errors.Is(err, loser):
			t.Errorf("%s #%d error = %v, want nil or %v", op, i, err, loser)
		}
	}
	if winner < 0 {
		t.Fatalf("no %s succeeded, want exactly one", op)
	}
	return winner
}

// testConcurrentPhoneChallengeUpdateInTx runs the Verifier's pattern from
// many goroutines: in one transaction, read the challenge, then write it
// back from the version read, one attempt more. A goroutine that loses
// gets ErrConflict, or InTx reruns it and it reads the winner's version;
// either way no update may be lost: the counter written in each update
// must end equal to the number of updates that succeeded.
func testConcurrentPhoneChallengeUpdateInTx(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e, sqlstore.WithRetry(4*goroutines, time.Millisecond, 20*time.Millisecond))
	start := phoneChallenge("contested", "enrol", 0)
	start.Attempts = 0
	if err := s.CreatePhoneChallenge(ctx, start); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, goroutines)
	written := make([]int64, goroutines) // the version each goroutine's last run wrote
	var runs atomic.Int64
	together(goroutines, func(i int) {
		errs[i] = s.InTx(ctx, func(ctx context.Context) error {
			runs.Add(1)
			c, err := s.PhoneChallenge(ctx, "contested", "enrol")
			if err != nil {
				return err
			}
			next := c
			next.Version++
			next.Attempts++
			written[i] = next.Version
			return s.UpdatePhoneChallenge(ctx, c.Version, next)
		})
	})
	t.Logf("%d transactions took %d runs", goroutines, runs.Load())
	var versions []int64
	for i, err := range errs {
		switch {
		case err == nil:
			versions = append(versions, written[i])
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("InTx(read, update) #%d error = %v, want nil or store.ErrConflict", i, err)
		}
	}
	if len(versions) == 0 {
		t.Fatal("no update succeeded, want at least one")
	}
	got, err := s.PhoneChallenge(ctx, "contested", "enrol")
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(versions))
	if got.Version != 1+n || int64(got.Attempts) != n {
		t.Errorf("final challenge: version %d, attempts %d; want %d and %d after %d successful updates",
			got.Version, got.Attempts, 1+n, n, n)
	}
	// Each version was written by exactly one winner.
	slices.Sort(versions)
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i) + 2
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("versions written by the successful updates (-want +got):\n%s", diff)
	}
}

// testConcurrentPhoneVerify is the cross-node guarantee on a real engine:
// of ten Verify calls with the right code at once, exactly one succeeds and
// every other one reports the code as used.
func testConcurrentPhoneVerify(t *testing.T, e Engine) {
	ctx := context.Background()
	const callers = 10
	s := open(t, e, sqlstore.WithRetry(4*callers, time.Millisecond, 20*time.Millisecond))
	v, _, out, number := newPhoneVerifier(t, s)
	if _, err := v.Send(ctx, "enrol", "enrolment-1", number); err != nil {
		t.Fatalf("Send() = %v, want nil", err)
	}
	code, _ := out.last(t)
	errs := make([]error, callers)
	together(callers, func(i int) {
		errs[i] = v.Verify(ctx, "enrol", "enrolment-1", code)
	})
	oneWinner(t, "Verify()", errs, phone.ErrUsed)
	c, err := s.PhoneChallenge(ctx, "enrolment-1", "enrol")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != phone.StateUsed || c.Version != 2 {
		t.Errorf("stored challenge: %s, version %d; want used, version 2 (one write)", c.State, c.Version)
	}
}
