package envelope

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

// rotationFixture has owners whose data keys are wrapped by a KEK that was
// then rotated out.
type rotationFixture struct {
	ks     *keystore.Store
	st     *memStore
	e      *Envelope
	oldKEK string
	owners []string
	sealed map[string][]byte
}

func newRotationFixture(t *testing.T, n suite.Name, owners int) *rotationFixture {
	t.Helper()
	ctx := context.Background()
	f := &rotationFixture{ks: openKeystore(t, n), st: newMemStore(), sealed: map[string][]byte{}}
	f.e = New(f.ks.Suite(), f.ks, f.st)
	for i := range owners {
		o := fmt.Sprintf("resident-%03d", i)
		f.owners = append(f.owners, o)
		mustCreate(t, f.e, o)
		ct, err := f.e.Seal(ctx, o, "person-number", []byte(o))
		if err != nil {
			t.Fatal(err)
		}
		f.sealed[o] = ct
	}
	dk, err := f.st.DataKey(ctx, f.owners[0])
	if err != nil {
		t.Fatal(err)
	}
	f.oldKEK = dk.KEKID
	if _, err := f.ks.Rotate(ctx, keystore.KeyEncryption); err != nil {
		t.Fatal(err)
	}
	return f
}

// checkAllOpen checks that every owner's field still opens.
func (f *rotationFixture) checkAllOpen(t *testing.T) {
	t.Helper()
	for _, o := range f.owners {
		if got, err := f.e.Open(context.Background(), o, "person-number", f.sealed[o]); err != nil || string(got) != o {
			t.Errorf("Open(%s): got %q, %v", o, got, err)
		}
	}
}

func TestRewrapMovesEveryKeyThenKEKRetires(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			f := newRotationFixture(t, n, 25)
			if inUse, err := f.e.KEKInUse(ctx, f.oldKEK); err != nil || !inUse {
				t.Fatalf("KEKInUse before Rewrap: got %v, %v, want true", inUse, err)
			}
			var calls []int
			done, err := f.e.Rewrap(ctx, f.oldKEK, 10, func(d int) { calls = append(calls, d) })
			if err != nil || done != 25 {
				t.Fatalf("Rewrap: got %d, %v, want 25, nil", done, err)
			}
			if diff := cmp.Diff([]int{10, 20, 25}, calls); diff != "" {
				t.Errorf("progress calls (-want +got):\n%s", diff)
			}
			if inUse, err := f.e.KEKInUse(ctx, f.oldKEK); err != nil || inUse {
				t.Fatalf("KEKInUse after Rewrap: got %v, %v, want false", inUse, err)
			}
			for _, dk := range f.st.all() {
				if dk.KEKID == f.oldKEK {
					t.Errorf("data key of %s still wrapped by the old KEK", dk.Owner)
				}
			}
			// Nothing depends on the old KEK any more: retire it, all opens.
			if _, err := f.ks.Retire(ctx, f.oldKEK); err != nil {
				t.Fatal(err)
			}
			f.checkAllOpen(t)
			// A second run finds nothing to do.
			if done, err := f.e.Rewrap(ctx, f.oldKEK, 10, nil); err != nil || done != 0 {
				t.Errorf("second Rewrap: got %d, %v, want 0, nil", done, err)
			}
		})
	}
}

// failingStore fails RewrapDataKey after a number of successes, as an
// interrupted run would, and can report a conflict for one owner, as when
// another node re-wrapped that key first.
type failingStore struct {
	*memStore
	okLeft   int    // successes before failing; negative: never fail
	conflict string // owner whose re-wrap reports a conflict
}

var errInterrupted = errors.New("connection lost")

func (s *failingStore) RewrapDataKey(ctx context.Context, owner, oldKEKID string, k DataKey) error {
	if owner == s.conflict {
		return fmt.Errorf("rewrap %s: %w", owner, store.ErrConflict)
	}
	if s.okLeft == 0 {
		return errInterrupted
	}
	s.okLeft--
	return s.memStore.RewrapDataKey(ctx, owner, oldKEKID, k)
}

func TestRewrapResumesAfterInterruption(t *testing.T) {
	ctx := context.Background()
	f := newRotationFixture(t, suite.SM, 12)
	fs := &failingStore{memStore: f.st, okLeft: 7}
	interrupted := New(f.ks.Suite(), f.ks, fs)
	done, err := interrupted.Rewrap(ctx, f.oldKEK, 5, nil)
	if !errors.Is(err, errInterrupted) || done != 7 {
		t.Fatalf("interrupted Rewrap: got %d, %v, want 7, errInterrupted", done, err)
	}
	// A new run continues with the 5 keys left.
	done, err = f.e.Rewrap(ctx, f.oldKEK, 5, nil)
	if err != nil || done != 5 {
		t.Fatalf("resumed Rewrap: got %d, %v, want 5, nil", done, err)
	}
	if inUse, _ := f.e.KEKInUse(ctx, f.oldKEK); inUse {
		t.Error("old KEK still in use after the resumed run")
	}
	f.checkAllOpen(t)
}

func TestRewrapSkipsKeysChangedMeanwhile(t *testing.T) {
	ctx := context.Background()
	f := newRotationFixture(t, suite.Intl, 6)
	fs := &failingStore{memStore: f.st, okLeft: -1, conflict: f.owners[2]}
	e := New(f.ks.Suite(), f.ks, fs)
	done, err := e.Rewrap(ctx, f.oldKEK, 4, nil)
	if err != nil || done != 5 {
		t.Fatalf("Rewrap with one conflict: got %d, %v, want 5, nil", done, err)
	}
}

func TestRewrapRefusesTheActiveKEK(t *testing.T) {
	ctx := context.Background()
	ks := openKeystore(t, suite.Intl)
	st := newMemStore()
	e := New(ks.Suite(), ks, st)
	mustCreate(t, e, "alice")
	dk, err := st.DataKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.Rewrap(ctx, dk.KEKID, 0, nil)
	if !errors.Is(err, ErrKEKActive) || done != 0 {
		t.Fatalf("Rewrap from the active KEK: got %d, %v, want 0, ErrKEKActive", done, err)
	}
	after, err := st.DataKey(ctx, "alice")
	if err != nil || string(after.Wrapped) != string(dk.Wrapped) {
		t.Error("Rewrap from the active KEK changed the stored key")
	}
}

// TestRetiredKEKWithoutRewrapLosesData shows why KEKInUse exists: retiring a
// KEK that still wraps data keys makes that data unreadable.
func TestRetiredKEKWithoutRewrapLosesData(t *testing.T) {
	ctx := context.Background()
	f := newRotationFixture(t, suite.SM, 1)
	if _, err := f.ks.Retire(ctx, f.oldKEK); err != nil {
		t.Fatal(err)
	}
	o := f.owners[0]
	if _, err := f.e.Open(ctx, o, "person-number", f.sealed[o]); !errors.Is(err, keystore.ErrRetired) {
		t.Errorf("Open under a retired KEK: got %v, want keystore.ErrRetired", err)
	}
}

// Rewrap checks its context before every batch: an operator's Ctrl-C
// between batches stops it with the batches done kept, and the next run
// does the rest. (Over the SQL store each batch is also one transaction;
// the storage conformance suite checks that part on both engines.)
func TestRewrapStopsWhenCancelledAndResumes(t *testing.T) {
	ctx := context.Background()
	f := newRotationFixture(t, suite.Intl, 23)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := 0
	done, err := f.e.Rewrap(cctx, f.oldKEK, 5, func(int) {
		if batches++; batches == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || done != 10 {
		t.Fatalf("Rewrap cancelled after 2 batches: got %d, %v; want 10, context.Canceled", done, err)
	}
	counts, err := f.st.DataKeyCountsByKEK(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[f.oldKEK] != 13 {
		t.Errorf("after the cancelled run the old KEK wraps %d keys, want 13", counts[f.oldKEK])
	}
	done, err = f.e.Rewrap(ctx, f.oldKEK, 5, nil)
	if err != nil || done != 13 {
		t.Fatalf("resumed Rewrap: got %d, %v; want 13, nil", done, err)
	}
	if inUse, err := f.e.KEKInUse(ctx, f.oldKEK); err != nil || inUse {
		t.Errorf("KEKInUse after the resumed run: %v, %v; want false", inUse, err)
	}
	f.checkAllOpen(t)
}
