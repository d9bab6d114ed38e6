package keystore

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/crypto/suite"
)

// pendingRotated bootstraps a store on clock c, moves the clock on (so that
// the new key is created after the bootstrap keys) and rotates p with the
// activation delay given. It returns the store, its directory, the key that
// was active and the pending key.
func pendingRotated(t *testing.T, n suite.Name, c *testClock, p Purpose, delay time.Duration) (st *Store, dir string, old, pending Meta) {
	t.Helper()
	ctx := context.Background()
	dir = keyDir(t)
	st = open(t, dir, n, WithClock(c.now))
	if _, err := st.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	old, err := st.active(p)
	if err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute)
	pending, err = st.Rotate(ctx, p, WithActivation(delay))
	if err != nil {
		t.Fatalf("Rotate with a delay: %v", err)
	}
	return st, dir, old, pending
}

// usedKey returns the id of the key that st uses for new work of purpose p,
// through the operation that does that work.
func usedKey(t *testing.T, st *Store, p Purpose) string {
	t.Helper()
	ctx := context.Background()
	switch kindOf(p) {
	case kindSign:
		m, signer, err := st.ActiveSigner(p)
		if err != nil {
			t.Fatal(err)
		}
		s := st.Suite()
		if p == TokenSigning {
			s = mustSuite(t, suite.Intl) // ES256 whatever the suite
		}
		if _, err := s.Sign(nil, signer, []byte("m")); err != nil {
			t.Fatalf("signing with the key in use %s: %v", m.ID, err)
		}
		return m.ID
	case kindMAC:
		id, _, err := st.ActiveMAC(ctx, p, []byte("m"))
		if err != nil {
			t.Fatal(err)
		}
		return id
	default:
		id, _, err := st.Wrap(ctx, []byte("aad"), []byte("dk"))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
}

// stateOnDisk returns the metadata of key id as a fresh store reads it
// from dir.
func stateOnDisk(t *testing.T, dir string, n suite.Name, id string) Meta {
	t.Helper()
	m, ok := open(t, dir, n).lookup(id)
	if !ok {
		t.Fatalf("key %s not on disk", id)
	}
	return m
}

// TestPendingKeyIsPublishedBeforeUse follows a rotation with a delay for
// every purpose the store can rotate: the new key is written pending, the
// old key does the work until the activation time and the new one from
// then, without any write; PromoteDue then records the switch.
func TestPendingKeyIsPublishedBeforeUse(t *testing.T) {
	const delay = 30 * time.Second
	for _, n := range suite.Names() {
		for _, p := range Purposes() {
			t.Run(string(n)+"/"+string(p), func(t *testing.T) {
				ctx := context.Background()
				c := newManualClock()
				st, dir, old, pending := pendingRotated(t, n, c, p, delay)
				if pending.State != StatePending || !pending.ActivateAt.Equal(c.now().Add(delay)) {
					t.Fatalf("Rotate with a delay: got state %s, activation %s; want pending, at %s", pending.State, pending.ActivateAt, c.now().Add(delay))
				}
				if err := st.Check(); err != nil {
					t.Errorf("Check with an active and a pending key: %v", err)
				}
				if got := stateOnDisk(t, dir, n, old.ID).State; got != StateActive {
					t.Errorf("old key on disk after Rotate with a delay: got %s, want active", got)
				}

				c.advance(delay - time.Nanosecond)
				if got := usedKey(t, st, p); got != old.ID {
					t.Errorf("key in use just before the activation time: got %s, want the old %s", got, old.ID)
				}
				if kindOf(p) == kindSign {
					keys, err := st.PublicKeys(p)
					if err != nil {
						t.Fatal(err)
					}
					if pub := findPublic(keys, pending.ID); pub == nil || pub.State != StatePending {
						t.Errorf("PublicKeys before the activation time: pending key %s not published (%d keys)", pending.ID, len(keys))
					}
				}
				if changed, err := st.PromoteDue(ctx); err != nil || changed {
					t.Errorf("PromoteDue before the activation time: got %v, %v; want no change", changed, err)
				}

				c.advance(time.Nanosecond)
				if got := usedKey(t, st, p); got != pending.ID {
					t.Errorf("key in use at the activation time: got %s, want the new %s", got, pending.ID)
				}
				// Selection switched without a write: the files still say
				// what Rotate wrote.
				if got := stateOnDisk(t, dir, n, pending.ID).State; got != StatePending {
					t.Errorf("new key on disk before PromoteDue: got %s, want pending", got)
				}

				c.advance(time.Second)
				changed, err := st.PromoteDue(ctx)
				if err != nil || !changed {
					t.Fatalf("PromoteDue after the activation time: got %v, %v; want a change", changed, err)
				}
				promoted := stateOnDisk(t, dir, n, pending.ID)
				if promoted.State != StateActive || !promoted.ActivateAt.IsZero() || !promoted.StateChanged.Equal(c.now()) {
					t.Errorf("new key on disk after PromoteDue: got %+v, want active since %s without an activation time", promoted, c.now())
				}
				if got := stateOnDisk(t, dir, n, old.ID).State; got != StateRetiring {
					t.Errorf("old key on disk after PromoteDue: got %s, want retiring", got)
				}
				if changed, err := st.PromoteDue(ctx); err != nil || changed {
					t.Errorf("second PromoteDue: got %v, %v; want no change", changed, err)
				}
				if got := usedKey(t, st, p); got != pending.ID {
					t.Errorf("key in use after PromoteDue: got %s, want %s", got, pending.ID)
				}
				if err := st.Check(); err != nil {
					t.Errorf("Check after PromoteDue: %v", err)
				}
			})
		}
	}
}

// TestPendingSignerRefusesBeforeActivation: a signer of the pending key,
// obtained early, refuses to sign until the activation time and signs from
// then on, with the key that PublicKeys published from the start.
func TestPendingSignerRefusesBeforeActivation(t *testing.T) {
	c := newManualClock()
	st, _, _, pending := pendingRotated(t, suite.Intl, c, TokenSigning, time.Minute)
	signer, err := st.Signer(pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := mustSuite(t, suite.Intl)
	if _, err := s.Sign(nil, signer, []byte("m")); !errors.Is(err, ErrPending) {
		t.Errorf("Sign before the activation time: got %v, want ErrPending", err)
	}
	c.advance(time.Minute)
	sig, err := s.Sign(nil, signer, []byte("m"))
	if err != nil {
		t.Fatalf("Sign at the activation time: %v", err)
	}
	keys, err := st.PublicKeys(TokenSigning)
	if err != nil {
		t.Fatal(err)
	}
	pub := findPublic(keys, pending.ID)
	if pub == nil {
		t.Fatal("pending key not in PublicKeys")
	}
	if err := s.Verify(pub.Key, []byte("m"), sig); err != nil {
		t.Errorf("signature of the new key under its published key: %v", err)
	}
}

// TestInUseSelection covers the choice of the key that does new work among
// active and pending keys.
func TestInUseSelection(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key := func(id string, st State, created, activate time.Duration) Meta {
		m := Meta{ID: "token-signing-" + strings.Repeat(id, 24), State: st, Created: t0.Add(created)}
		if st == StatePending {
			m.ActivateAt = t0.Add(activate)
		}
		return m
	}
	tests := []struct {
		name string
		keys []Meta
		now  time.Duration
		want string // "" for no key
	}{
		{"active only", []Meta{key("a", StateActive, 0, 0)}, 0, "a"},
		{"pending not due", []Meta{key("a", StateActive, 0, 0), key("b", StatePending, time.Minute, 2*time.Minute)}, 2*time.Minute - 1, "a"},
		{"pending due", []Meta{key("a", StateActive, 0, 0), key("b", StatePending, time.Minute, 2*time.Minute)}, 2 * time.Minute, "b"},
		// The rotating node's clock was behind the node that created the
		// active key: the pending key still wins once due.
		{"pending created before the active key by clock skew", []Meta{key("a", StateActive, time.Minute, 0), key("b", StatePending, 0, 2*time.Minute)}, 2 * time.Minute, "b"},
		{"two due pending keys: the later activation", []Meta{key("a", StateActive, 0, 0), key("b", StatePending, time.Minute, 3*time.Minute), key("c", StatePending, 2*time.Minute, 2*time.Minute)}, 3 * time.Minute, "b"},
		{"two active keys: the newest", []Meta{key("a", StateActive, 0, 0), key("b", StateActive, time.Minute, 0)}, 0, "b"},
		{"retiring and retired keys are never in use", []Meta{key("a", StateRetiring, time.Minute, 0), key("b", StateRetired, 2*time.Minute, 0)}, time.Hour, ""},
		{"only a pending key, not due", []Meta{key("a", StatePending, 0, time.Minute)}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := inUse(tt.keys, func() time.Time { return t0.Add(tt.now) })
			want := ""
			if tt.want != "" {
				want = "token-signing-" + strings.Repeat(tt.want, 24)
			}
			if !ok {
				got.ID = ""
			}
			if got.ID != want {
				t.Errorf("inUse: got %q, want %q", got.ID, want)
			}
		})
	}
}

// TestConcurrentPromoteDue runs PromoteDue on two stores over one directory
// at once: exactly one of them changes the files, and exactly one key per
// purpose is active afterwards, the new one.
func TestConcurrentPromoteDue(t *testing.T) {
	for i := range 5 {
		c := newManualClock()
		_, dir, old, pending := pendingRotated(t, suite.Intl, c, TokenSigning, time.Second)
		a, b := open(t, dir, suite.Intl, WithClock(c.now)), open(t, dir, suite.Intl, WithClock(c.now))
		c.advance(time.Second)
		var wg sync.WaitGroup
		changed := make([]bool, 2)
		errs := make([]error, 2)
		for j, st := range []*Store{a, b} {
			wg.Go(func() { changed[j], errs[j] = st.PromoteDue(context.Background()) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if changed[0] == changed[1] {
			t.Errorf("round %d: PromoteDue changed: got %v, want exactly one true", i, changed)
		}
		after := open(t, dir, suite.Intl)
		var active []string
		for _, m := range after.List(TokenSigning) {
			if m.State == StateActive {
				active = append(active, m.ID)
			}
		}
		if len(active) != 1 || active[0] != pending.ID {
			t.Errorf("round %d: active token-signing keys after concurrent PromoteDue: got %v, want [%s]", i, active, pending.ID)
		}
		if m, _ := after.lookup(old.ID); m.State != StateRetiring {
			t.Errorf("round %d: old key: got %s, want retiring", i, m.State)
		}
		if err := after.Check(); err != nil {
			t.Errorf("round %d: Check: %v", i, err)
		}
	}
}

// TestBootstrapWithPendingKey: Bootstrap leaves an active key active while
// a pending key is not due, and promotes the pending key once it is.
func TestBootstrapWithPendingKey(t *testing.T) {
	tests := []struct {
		name             string
		after            time.Duration
		wantOld, wantNew State
	}{
		{"not due", time.Minute - time.Second, StateActive, StatePending},
		{"due", time.Minute, StateRetiring, StateActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newManualClock()
			_, dir, old, pending := pendingRotated(t, suite.SM, c, TokenSigning, time.Minute)
			c.advance(tt.after)
			st := open(t, dir, suite.SM, WithClock(c.now))
			created, err := st.Bootstrap(context.Background())
			if err != nil || len(created) != 0 {
				t.Fatalf("Bootstrap: got %d keys created, %v; want none", len(created), err)
			}
			if got := stateOnDisk(t, dir, suite.SM, old.ID).State; got != tt.wantOld {
				t.Errorf("old key: got %s, want %s", got, tt.wantOld)
			}
			if got := stateOnDisk(t, dir, suite.SM, pending.ID).State; got != tt.wantNew {
				t.Errorf("new key: got %s, want %s", got, tt.wantNew)
			}
			if err := st.Check(); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

// TestPendingKeyStateChanges covers what the life cycle allows and refuses
// around a pending key.
func TestPendingKeyStateChanges(t *testing.T) {
	ctx := context.Background()
	t.Run("retire refuses a pending key", func(t *testing.T) {
		st, dir, _, pending := pendingRotated(t, suite.Intl, newManualClock(), TokenSigning, time.Minute)
		if _, err := st.Retire(ctx, pending.ID); !errors.Is(err, ErrState) {
			t.Errorf("Retire(pending): got %v, want ErrState", err)
		}
		if got := stateOnDisk(t, dir, suite.Intl, pending.ID).State; got != StatePending {
			t.Errorf("pending key after a refused Retire: got %s", got)
		}
	})
	t.Run("a second delayed rotation is refused while one is pending", func(t *testing.T) {
		st, _, _, pending := pendingRotated(t, suite.Intl, newManualClock(), TokenSigning, time.Minute)
		if _, err := st.Rotate(ctx, TokenSigning, WithActivation(time.Minute)); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), pending.ID) {
			t.Errorf("Rotate with a delay beside a pending key: got %v, want ErrState naming %s", err, pending.ID)
		}
		if got := len(st.List(TokenSigning)); got != 2 {
			t.Errorf("keys after the refused rotation: got %d, want 2", got)
		}
	})
	t.Run("a delayed rotation after the pending key is due promotes it first", func(t *testing.T) {
		c := newManualClock()
		st, _, old, pending := pendingRotated(t, suite.Intl, c, TokenSigning, time.Minute)
		c.advance(time.Minute)
		next, err := st.Rotate(ctx, TokenSigning, WithActivation(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]State{old.ID: StateRetiring, pending.ID: StateActive, next.ID: StatePending}
		for id, w := range want {
			if m, _ := st.lookup(id); m.State != w {
				t.Errorf("key %s: got %s, want %s", id, m.State, w)
			}
		}
	})
	t.Run("an immediate rotation supersedes a pending key", func(t *testing.T) {
		st, _, old, pending := pendingRotated(t, suite.Intl, newManualClock(), TokenSigning, time.Minute)
		now, err := st.Rotate(ctx, TokenSigning)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]State{old.ID: StateRetiring, pending.ID: StateRetiring, now.ID: StateActive}
		for id, w := range want {
			if m, _ := st.lookup(id); m.State != w || !m.ActivateAt.IsZero() {
				t.Errorf("key %s: got %s (activation %s), want %s without an activation time", id, m.State, m.ActivateAt, w)
			}
		}
		if got := usedKey(t, st, TokenSigning); got != now.ID {
			t.Errorf("key in use: got %s, want %s", got, now.ID)
		}
	})
	t.Run("a negative delay is refused", func(t *testing.T) {
		st, _ := bootstrapped(t, suite.Intl)
		before := len(st.List(""))
		if _, err := st.Rotate(ctx, TokenSigning, WithActivation(-time.Second)); err == nil {
			t.Error("Rotate with a negative delay: got no error")
		}
		if got := len(st.List("")); got != before {
			t.Errorf("keys after a refused rotation: got %d, want %d", got, before)
		}
	})
	t.Run("a zero delay is an immediate rotation", func(t *testing.T) {
		st, _ := bootstrapped(t, suite.Intl)
		m, err := st.Rotate(ctx, TokenSigning, WithActivation(0))
		if err != nil || m.State != StateActive {
			t.Errorf("Rotate with a zero delay: got %s, %v; want an active key", m.State, err)
		}
	})
}

// TestReloadSeesPendingKey: a node that reloads after another rotated with
// a delay publishes the pending key at once and switches to it at the
// activation time on its own clock, with no further reload.
func TestReloadSeesPendingKey(t *testing.T) {
	c := newManualClock()
	_, dir, old, pending := pendingRotated(t, suite.Intl, c, TokenSigning, time.Minute)
	other := open(t, dir, suite.Intl, WithClock(c.now))
	if err := other.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, err := other.PublicKeys(TokenSigning)
	if err != nil {
		t.Fatal(err)
	}
	if findPublic(keys, pending.ID) == nil || findPublic(keys, old.ID) == nil {
		t.Errorf("PublicKeys of the other node: got %d keys, want the old and the pending one", len(keys))
	}
	if got := usedKey(t, other, TokenSigning); got != old.ID {
		t.Errorf("other node before the activation time: got %s, want %s", got, old.ID)
	}
	if other.hasDuePending() {
		t.Error("hasDuePending before the activation time: got true")
	}
	c.advance(time.Minute)
	if !other.hasDuePending() {
		t.Error("hasDuePending at the activation time: got false")
	}
	if got := usedKey(t, other, TokenSigning); got != pending.ID {
		t.Errorf("other node at the activation time: got %s, want %s", got, pending.ID)
	}
}

// TestPendingKeyFile covers the activation time in key files: a pending key
// round-trips through its file, and files whose activation time does not
// fit their state are refused.
func TestPendingKeyFile(t *testing.T) {
	c := newManualClock()
	st, dir, old, pending := pendingRotated(t, suite.Intl, c, TokenSigning, time.Minute)
	again := open(t, dir, suite.Intl)
	if diff := cmp.Diff(st.List(""), again.List("")); diff != "" {
		t.Errorf("List after reopening with a pending key (-before +after):\n%s", diff)
	}
	raw, err := os.ReadFile(filepath.Join(dir, pending.ID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"activate_at": "`+pending.ActivateAt.Format(time.RFC3339)+`"`) {
		t.Errorf("pending key file lacks its activation time in RFC 3339:\n%s", raw)
	}

	tests := []struct {
		name string
		id   string
		edit func(f map[string]any)
		want string
	}{
		{"pending without activate_at", pending.ID, func(f map[string]any) { delete(f, "activate_at") }, "needs an activation time"},
		{"pending activating before its creation", pending.ID, func(f map[string]any) { f["activate_at"] = f["created"] }, "not after its creation"},
		{"active with activate_at", old.ID, func(f map[string]any) { f["activate_at"] = pending.ActivateAt.Format(time.RFC3339) }, "only a pending key"},
		{"activate_at not a time", pending.ID, func(f map[string]any) { f["activate_at"] = "in a minute" }, "parsing time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.id+".json")
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := os.WriteFile(path, orig, 0o600); err != nil {
					t.Fatal(err)
				}
			})
			var f map[string]any
			if err := json.Unmarshal(orig, &f); err != nil {
				t.Fatal(err)
			}
			tt.edit(f)
			data, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = OpenDir(dir, mustSuite(t, suite.Intl))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.id) {
				t.Errorf("OpenDir: got %v, want an error about %s containing %q", err, tt.id, tt.want)
			}
		})
	}
}

// TestPendingKeyOverAnotherBackend runs a delayed rotation and its
// promotion on a backend without files: the Store, not the file format,
// carries the life cycle.
func TestPendingKeyOverAnotherBackend(t *testing.T) {
	ctx := context.Background()
	c := newManualClock()
	st, err := New(ctx, newHSMBackend(), mustSuite(t, suite.SM), WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Second)
	m, err := st.Rotate(ctx, LogSigning, WithActivation(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	c.advance(time.Minute)
	if changed, err := st.PromoteDue(ctx); err != nil || !changed {
		t.Fatalf("PromoteDue: got %v, %v", changed, err)
	}
	// The reload checks the metadata the backend returns: the promoted key
	// must have lost its activation time.
	if err := st.Reload(ctx); err != nil {
		t.Fatalf("Reload after PromoteDue: %v", err)
	}
	if got, _ := st.lookup(m.ID); got.State != StateActive {
		t.Errorf("promoted key: got %s, want active", got.State)
	}
	if err := st.Check(); err != nil {
		t.Error(err)
	}
}
