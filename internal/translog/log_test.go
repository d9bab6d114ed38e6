package translog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

var residents = []string{"resident-a", "resident-b", "resident-c"}

// rootOf recomputes the root of the first size leaves with hasher h,
// independently of the store's nodes.
func rootOf(tb testing.TB, h merkle.LogHasher, leaves map[uint64][]byte, size uint64) []byte {
	tb.Helper()
	if size == 0 {
		return h.EmptyRoot()
	}
	cr := (&compact.RangeFactory{Hash: h.HashChildren}).NewEmptyRange(0)
	for i := range size {
		leaf, ok := leaves[i]
		if !ok {
			tb.Fatalf("leaf %d is in no listing", i)
		}
		if err := cr.Append(h.HashLeaf(leaf), nil); err != nil {
			tb.Fatal(err)
		}
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// TestAppendAndProve appends entries of every kind for several residents
// in both suites, signing checkpoints along the way, and checks every
// inclusion proof against every checkpoint that covers the entry, every
// consistency proof between two checkpoints, each resident's chain, and
// each root against an independent computation.
func TestAppendAndProve(t *testing.T) {
	for _, name := range suite.Names() {
		t.Run(string(name), func(t *testing.T) {
			forEngines(t, func(t *testing.T, engine string) {
				e := newEnv(t, engine, name)
				a := e.auditor(t)
				var cps []translog.Checkpoint
				sign := func() {
					sc, err := e.log.Checkpoint(e.ctx)
					if err != nil {
						t.Fatal(err)
					}
					cp, err := a.VerifyCheckpoint(sc.Note)
					if err != nil {
						t.Fatalf("VerifyCheckpoint(size %d) error = %v", sc.Size, err)
					}
					cps = append(cps, cp)
				}
				sign() // the empty log
				var indexes []uint64
				for round := range 5 {
					indexes = append(indexes, e.appendN(t, residents, 10*round, 3+round)...)
					sign()
				}
				for i, idx := range indexes {
					if idx != uint64(i) {
						t.Fatalf("Append() indexes = %v, want 0, 1, 2, ...", indexes)
					}
				}
				latest := cps[len(cps)-1]
				if latest.Size != uint64(len(indexes)) {
					t.Fatalf("latest checkpoint size = %d, want %d", latest.Size, len(indexes))
				}

				leaves := map[uint64][]byte{}
				for _, r := range residents {
					id, err := e.log.LogID(e.ctx, r)
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(string(id), r) || !id.Valid() {
						t.Errorf("LogID(%s) = %q, want a MAC that does not contain the id", r, id)
					}
					records := e.listing(t, id)
					head, err := a.VerifyResidentChain(records, translog.Head{})
					if err != nil {
						t.Errorf("VerifyResidentChain(%s) = %v, want nil", r, err)
					}
					if head.LogID != id || head.Seq != uint64(len(records)) {
						t.Errorf("VerifyResidentChain(%s) head = %d of %q, want %d of %q", r, head.Seq, head.LogID, len(records), id)
					}
					for _, rec := range records {
						leaves[rec.Index] = rec.Leaf
						for _, cp := range cps {
							if rec.Index >= cp.Size {
								continue
							}
							p, err := e.log.InclusionProof(e.ctx, rec.Index, cp.Size)
							if err != nil {
								t.Fatal(err)
							}
							if err := a.VerifyEntryInclusion(rec, p, cp); err != nil {
								t.Errorf("VerifyEntryInclusion(%d in %d) = %v, want nil", rec.Index, cp.Size, err)
							}
						}
					}
				}
				for _, cp := range cps {
					if got := rootOf(t, e.log.Hasher(), leaves, cp.Size); !bytes.Equal(got, cp.Root) {
						t.Errorf("root of %d = %x, recomputed %x", cp.Size, cp.Root, got)
					}
					if name == suite.Intl {
						if got := rootOf(t, rfc6962.DefaultHasher, leaves, cp.Size); !bytes.Equal(got, cp.Root) {
							t.Errorf("root of %d = %x, rfc6962 computes %x", cp.Size, cp.Root, got)
						}
					}
				}
				for i, older := range cps {
					for _, newer := range cps[i:] {
						p, err := e.log.ConsistencyProof(e.ctx, older.Size, newer.Size)
						if err != nil {
							t.Fatal(err)
						}
						if err := a.VerifyConsistency(older, newer, p); err != nil {
							t.Errorf("VerifyConsistency(%d, %d) = %v, want nil", older.Size, newer.Size, err)
						}
					}
				}
			})
		})
	}
}

func TestAppendIdempotent(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, suite.Intl)
		en := entry(translog.KindDisclosure, 1, t0)
		first, err := e.log.Append(e.ctx, "resident-a", en)
		if err != nil {
			t.Fatal(err)
		}
		// A replay: the same entry, claims in another order, the time in
		// another zone.
		replay := en
		replay.Claims = []string{"age_over_18", "internet_number", "age_over_18"}
		replay.Time = en.Time.In(time.FixedZone("CST", 8*3600))
		if got, err := e.log.Append(e.ctx, "resident-a", replay); err != nil || got != first {
			t.Errorf("Append(replay) = %d, %v; want %d, nil", got, err, first)
		}
		changed := en
		changed.Claims = []string{"name"}
		for _, tt := range []struct {
			name     string
			resident string
			e        translog.Entry
		}{{"other content", "resident-a", changed}, {"other resident", "resident-b", en}} {
			if _, err := e.log.Append(e.ctx, tt.resident, tt.e); !errors.Is(err, translog.ErrDuplicate) || !errors.Is(err, store.ErrConflict) {
				t.Errorf("Append(same id, %s) = %v, want ErrDuplicate and store.ErrConflict", tt.name, err)
			}
		}
		if got, err := e.log.Append(e.ctx, "resident-a", entry(translog.KindDisclosure, 2, t0)); err != nil || got != first+1 {
			t.Errorf("Append(next) = %d, %v; want %d, nil", got, err, first+1)
		}
	})
}

// TestAppendInCallerTransaction checks that an entry commits and rolls
// back with the caller's transaction.
func TestAppendInCallerTransaction(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine, suite.Intl)
		boom := errors.New("the state change failed")
		err := e.store.InTx(e.ctx, func(ctx context.Context) error {
			if _, err := e.log.Append(ctx, "resident-a", entry(translog.KindConsentGranted, 1, t0)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx() = %v, want the function's error", err)
		}
		id, err := e.log.LogID(e.ctx, "resident-a")
		if err != nil {
			t.Fatal(err)
		}
		if got := e.listing(t, id); len(got) != 0 {
			t.Errorf("after a rollback the listing has %d entries, want 0", len(got))
		}
		var got []uint64
		err = e.store.InTx(e.ctx, func(ctx context.Context) error {
			got = got[:0]
			for i := range 3 {
				idx, err := e.log.Append(ctx, "resident-a", entry(translog.KindConsentGranted, i, t0))
				if err != nil {
					return err
				}
				got = append(got, idx)
			}
			return nil
		})
		if err != nil || fmt.Sprint(got) != "[0 1 2]" {
			t.Errorf("three appends in one transaction = %v, %v; want [0 1 2], nil", got, err)
		}
		if recs := e.listing(t, id); len(recs) != 3 || recs[2].Seq != 3 {
			t.Errorf("listing after the commit = %d records, want 3 numbered 1 to 3", len(recs))
		}
	})
}

func TestAppendRejects(t *testing.T) {
	e := newEnv(t, "sqlite", suite.Intl, translog.WithMaxNoticeDelay(7*24*time.Hour))
	long := entry(translog.KindLawfulAccess, 1, t0)
	long.NoticeDelayedUntil = t0.Add(8 * 24 * time.Hour)
	bad := entry(translog.KindDisclosure, 2, t0)
	bad.Claims = []string{"Zhang Wei"}
	for _, tt := range []struct {
		name     string
		resident string
		e        translog.Entry
	}{
		{"invalid entry", "resident-a", bad},
		{"notice delayed beyond the configured bound", "resident-a", long},
		{"no resident", "", entry(translog.KindAccountEvent, 3, t0)},
	} {
		if _, err := e.log.Append(e.ctx, tt.resident, tt.e); !errors.Is(err, translog.ErrInvalidEntry) {
			t.Errorf("Append(%s) = %v, want ErrInvalidEntry", tt.name, err)
		}
	}
	if _, err := e.log.InclusionProof(e.ctx, 0, 1); !errors.Is(err, translog.ErrRange) {
		t.Errorf("after rejected appends, InclusionProof(0, 1) = %v, want ErrRange (empty log)", err)
	}
}

// TestLawfulAccessWithheld checks that a lawful-access entry is in the
// log at once, withheld from the resident's listing until the notice date
// (with its position and hash, so that the chain and inclusion still
// verify), and shown after.
func TestLawfulAccessWithheld(t *testing.T) {
	e := newEnv(t, "sqlite", suite.SM)
	a := e.auditor(t)
	e.appendN(t, residents[:1], 0, 2)
	la := entry(translog.KindLawfulAccess, 10, e.clock.Now())
	la.NoticeDelayedUntil = e.clock.Now().Add(30 * 24 * time.Hour)
	if _, err := e.log.Append(e.ctx, "resident-a", la); err != nil {
		t.Fatal(err)
	}
	e.appendN(t, residents[:1], 20, 1)
	id, err := e.log.LogID(e.ctx, "resident-a")
	if err != nil {
		t.Fatal(err)
	}
	w := &wallet{a: a, logID: id}
	if _, err := e.log.Checkpoint(e.ctx); err != nil {
		t.Fatal(err)
	}

	records := e.listing(t, id)
	if len(records) != 4 || !records[2].Withheld() || records[1].Withheld() || records[3].Withheld() {
		t.Fatalf("listing during the delay: %d records, withheld %v; want 4 with only the third withheld", len(records), withheld(records))
	}
	if err := w.verify(t, e); err != nil {
		t.Errorf("wallet verify during the delay = %v, want nil", err)
	}

	e.clock.Add(30*24*time.Hour + time.Second)
	records = e.listing(t, id)
	if len(records) != 4 || records[2].Withheld() {
		t.Fatalf("listing after the delay: withheld %v, want none", withheld(records))
	}
	l, err := translog.DecodeLeaf(records[2].Leaf)
	if err != nil || l.Entry.Kind != translog.KindLawfulAccess || l.Entry.LegalBasis != la.LegalBasis {
		t.Errorf("revealed entry = %+v, %v; want the lawful access", l.Entry, err)
	}
	if err := w.verify(t, e); err != nil {
		t.Errorf("wallet verify after the delay = %v, want nil", err)
	}
}

func withheld(rs []translog.Record) []bool {
	out := make([]bool, len(rs))
	for i, r := range rs {
		out[i] = r.Withheld()
	}
	return out
}

// TestLogIDPinned checks that log ids survive a rotation of the
// blind-index key and are the same on every node.
func TestLogIDPinned(t *testing.T) {
	e := newEnv(t, "sqlite", suite.Intl)
	before, err := e.log.LogID(e.ctx, "resident-a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.keys.Rotate(e.ctx, keystore.BlindIndex); err != nil {
		t.Fatal(err)
	}
	other := e.newLog(t, e.keys)
	for _, l := range []*translog.Log{e.log, other} {
		if got, err := l.LogID(e.ctx, "resident-a"); err != nil || got != before {
			t.Errorf("LogID() after rotation = %q, %v; want %q", got, err, before)
		}
	}
	if b, err := e.log.LogID(e.ctx, "resident-b"); err != nil || b == before {
		t.Errorf("LogID(resident-b) = %q, %v; want another id", b, err)
	}
}

// TestHashPinned checks that a node of the other suite cannot continue
// the log.
func TestHashPinned(t *testing.T) {
	e := newEnv(t, "sqlite", suite.Intl)
	e.appendN(t, residents, 0, 1)
	sm := e.newLog(t, newKeys(t, suite.SM))
	if _, err := sm.Append(e.ctx, "resident-a", entry(translog.KindAccountEvent, 5, t0)); !errors.Is(err, translog.ErrConfig) {
		t.Errorf("Append() by an sm node on an intl log = %v, want ErrConfig", err)
	}
	if _, err := sm.Checkpoint(e.ctx); !errors.Is(err, translog.ErrConfig) {
		t.Errorf("Checkpoint() by an sm node on an intl log = %v, want ErrConfig", err)
	}
}

func TestProofArguments(t *testing.T) {
	e := newEnv(t, "sqlite", suite.Intl)
	e.appendN(t, residents, 0, 5)
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"inclusion of leaf 5 in 5", func() error { _, err := e.log.InclusionProof(e.ctx, 5, 5); return err }()},
		{"inclusion in a tree of 6", func() error { _, err := e.log.InclusionProof(e.ctx, 0, 6); return err }()},
		{"consistency from 4 to 3", func() error { _, err := e.log.ConsistencyProof(e.ctx, 4, 3); return err }()},
		{"consistency to 6", func() error { _, err := e.log.ConsistencyProof(e.ctx, 1, 6); return err }()},
		{"listing of 0", func() error { _, err := e.log.Entries(e.ctx, "", 0, 0); return err }()},
		{"listing of 1001", func() error {
			id, _ := e.log.LogID(e.ctx, "resident-a")
			_, err := e.log.Entries(e.ctx, id, 0, translog.MaxListing+1)
			return err
		}()},
	} {
		if !errors.Is(tt.err, translog.ErrRange) && !errors.Is(tt.err, translog.ErrMalformed) {
			t.Errorf("%s: error = %v, want ErrRange or ErrMalformed", tt.name, tt.err)
		}
	}
	if p, err := e.log.ConsistencyProof(e.ctx, 0, 5); err != nil || len(p) != 0 {
		t.Errorf("ConsistencyProof(0, 5) = %d hashes, %v; want none", len(p), err)
	}
}

func TestNewRejects(t *testing.T) {
	s, _ := openStore(t, "sqlite")
	keys := newKeys(t, suite.Intl)
	deps := translog.Deps{Store: s, Tx: s, Keys: keys}
	for _, tt := range []struct {
		name   string
		origin string
		deps   translog.Deps
		opts   []translog.Option
	}{
		{"empty origin", "", deps, nil},
		{"origin with a space", "id example", deps, nil},
		{"no store", origin, translog.Deps{Tx: s, Keys: keys}, nil},
		{"no keys", origin, translog.Deps{Store: s, Tx: s}, nil},
		{"zero notice bound", origin, deps, []translog.Option{translog.WithMaxNoticeDelay(0)}},
		{"notice bound beyond the format's", origin, deps, []translog.Option{translog.WithMaxNoticeDelay(translog.MaxNoticeDelay + 1)}},
	} {
		if _, err := translog.New(tt.origin, tt.deps, tt.opts...); !errors.Is(err, translog.ErrConfig) {
			t.Errorf("New(%s) = %v, want ErrConfig", tt.name, err)
		}
	}
}
