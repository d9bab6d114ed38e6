package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/transparency-dev/merkle/compact"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/translog"
)

// tlt0 is when the translog tests' entries happen.
var tlt0 = time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)

// tlHash returns a 32-byte hash made of b, for store-level tests that
// need hashes but no tree.
func tlHash(b byte) []byte { return bytes.Repeat([]byte{b}, translog.HashSize) }

// tlLogID returns a valid log id made of b: the base64url form of 32
// bytes, as translog.LogID documents it.
func tlLogID(b byte) translog.LogID {
	return translog.LogID(base64.RawURLEncoding.EncodeToString(tlHash(b)))
}

// tlWrite returns the write of leaf index i of log id at sequence seq, with
// the nodes and compact range of a tree whose node hashes are all tlHash(i).
func tlWrite(i uint64, id translog.LogID, seq uint64) translog.LeafWrite {
	return translog.LeafWrite{
		Leaf:    translog.StoredLeaf{Index: i, EntryID: fmt.Sprintf("entry-%d", i), LogID: id, Seq: seq, Leaf: []byte(fmt.Sprintf("leaf %d", i))},
		Nodes:   []translog.Node{{ID: compact.NewNodeID(0, i), Hash: tlHash(byte(i))}},
		Compact: [][]byte{tlHash(byte(i))},
	}
}

// tlKeys returns a bootstrapped key store of suite name.
func tlKeys(tb testing.TB, name suite.Name) *keystore.Store {
	tb.Helper()
	s, err := suite.New(name)
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := keystore.OpenDir(filepath.Join(tb.TempDir(), "keys"), s)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := keys.Bootstrap(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// tlLog returns a transparency log on s.
func tlLog(tb testing.TB, s *sqlstore.Store, name suite.Name) *translog.Log {
	tb.Helper()
	l, err := translog.New("id.example.cn/translog", translog.Deps{Store: s, Tx: s, Keys: tlKeys(tb, name)},
		translog.WithClock(func() time.Time { return tlt0 }))
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// tlEntry returns a valid disclosure numbered i.
func tlEntry(i int) translog.Entry {
	return translog.Entry{ID: fmt.Sprintf("disclosure-%d", i), Kind: translog.KindDisclosure,
		Time: tlt0.Add(time.Duration(i) * time.Second), ClientID: "rp-0123456789abcdef0123456789abcdef",
		Claims: []string{"age_over_18"}, Level: translog.LevelLow, Event: translog.EventAuthorizationCode}
}

func testTranslogState(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		if _, err := s.TranslogState(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TranslogState() before the pin = %v, want store.ErrNotFound", err)
		}
		want := translog.TreeState{Hash: "sm3", LogIDKey: "blind-index-0123456789abcdef01234567", Compact: [][]byte{}}
		got, err := s.PinTranslog(ctx, want.Hash, want.LogIDKey)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Errorf("PinTranslog() mismatch (-want +got):\n%s", diff)
		}
		if got, err := s.PinTranslog(ctx, "sha-256", "blind-index-other"); err != nil || got.Hash != want.Hash || got.LogIDKey != want.LogIDKey {
			t.Errorf("second PinTranslog() = %+v, %v; want the first pin", got, err)
		}
		if got, err := s.TranslogState(ctx); err != nil || got.LogIDKey != want.LogIDKey {
			t.Errorf("TranslogState() = %+v, %v; want the pin", got, err)
		}
		if _, err := s.PinTranslog(ctx, "", ""); err == nil {
			t.Error("PinTranslog(empty) = nil error, want one")
		}
	})
}

// testTranslogLeaves writes two leaves at the store level and reads them
// back every way.
func testTranslogLeaves(t *testing.T, e Engine) {
	a, b := tlLogID(0xa0), tlLogID(0xb0)
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		if _, err := s.PinTranslog(ctx, "sha-256", "bi"); err != nil {
			t.Fatal(err)
		}
		w0, w1, w2 := tlWrite(0, a, 1), tlWrite(1, b, 1), tlWrite(2, a, 2)
		w1.Nodes = append(w1.Nodes, translog.Node{ID: compact.NewNodeID(1, 0), Hash: tlHash(0x10)})
		w1.Compact = [][]byte{tlHash(0x10)}
		w2.Compact = [][]byte{tlHash(0x10), tlHash(2)}
		for i, w := range []translog.LeafWrite{w0, w1, w2} {
			if err := s.AppendTranslogLeaf(ctx, uint64(i), w); err != nil {
				t.Fatalf("AppendTranslogLeaf(%d) error = %v", i, err)
			}
		}
		st, err := s.TranslogState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(translog.TreeState{Hash: "sha-256", LogIDKey: "bi", Size: 3, Compact: w2.Compact}, st); diff != "" {
			t.Errorf("TranslogState() mismatch (-want +got):\n%s", diff)
		}
		if got, err := s.TranslogLeafByEntryID(ctx, "entry-1"); err != nil || !cmp.Equal(got, w1.Leaf) {
			t.Errorf("TranslogLeafByEntryID(entry-1) = %+v, %v; want %+v", got, err, w1.Leaf)
		}
		if got, err := s.TranslogLastLeaf(ctx, a); err != nil || !cmp.Equal(got, w2.Leaf) {
			t.Errorf("TranslogLastLeaf(a) = %+v, %v; want %+v", got, err, w2.Leaf)
		}
		for _, tt := range []struct {
			after uint64
			limit int
			want  []translog.StoredLeaf
		}{
			{0, 10, []translog.StoredLeaf{w0.Leaf, w2.Leaf}},
			{0, 1, []translog.StoredLeaf{w0.Leaf}},
			{1, 10, []translog.StoredLeaf{w2.Leaf}},
			{2, 10, nil},
		} {
			got, err := s.TranslogLeaves(ctx, a, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("TranslogLeaves(a, %d, %d) mismatch (-want +got):\n%s", tt.after, tt.limit, diff)
			}
		}
		ids := []compact.NodeID{compact.NewNodeID(0, 2), compact.NewNodeID(1, 0), compact.NewNodeID(0, 0)}
		got, err := s.TranslogNodes(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]byte{tlHash(2), tlHash(0x10), tlHash(0)}, got); diff != "" {
			t.Errorf("TranslogNodes() mismatch (-want +got):\n%s", diff)
		}
		notFound := []struct {
			name string
			err  error
		}{
			{"leaf of an unknown entry", func() error { _, err := s.TranslogLeafByEntryID(ctx, "entry-9"); return err }()},
			{"last leaf of an unknown log id", func() error { _, err := s.TranslogLastLeaf(ctx, tlLogID(0xc0)); return err }()},
			{"a missing node", func() error {
				_, err := s.TranslogNodes(ctx, []compact.NodeID{compact.NewNodeID(0, 0), compact.NewNodeID(1, 1)})
				return err
			}()},
		}
		for _, tt := range notFound {
			if !errors.Is(tt.err, store.ErrNotFound) {
				t.Errorf("%s: error = %v, want store.ErrNotFound", tt.name, tt.err)
			}
		}
		if got, err := s.TranslogLeaves(ctx, tlLogID(0xc0), 0, 10); err != nil || len(got) != 0 {
			t.Errorf("TranslogLeaves(unknown) = %v, %v; want none", got, err)
		}
	})
}

// testTranslogConflicts checks that a refused append writes nothing: the
// compare-and-set of the size, and the uniqueness of leaf index, entry id,
// (log id, seq) and node.
func testTranslogConflicts(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	a, b := tlLogID(0xa0), tlLogID(0xb0)
	if err := s.AppendTranslogLeaf(ctx, 0, tlWrite(0, a, 1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AppendTranslogLeaf() before the pin = %v, want store.ErrNotFound", err)
	}
	if _, err := s.PinTranslog(ctx, "sha-256", "bi"); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendTranslogLeaf(ctx, 0, tlWrite(0, a, 1)); err != nil {
		t.Fatal(err)
	}
	dupEntry := tlWrite(1, b, 1)
	dupEntry.Leaf.EntryID = "entry-0"
	dupSeq := tlWrite(1, a, 1)
	dupNode := tlWrite(1, b, 1)
	dupNode.Nodes = append(dupNode.Nodes, translog.Node{ID: compact.NewNodeID(0, 0), Hash: tlHash(9)})
	for _, tt := range []struct {
		name     string
		prevSize uint64
		w        translog.LeafWrite
	}{
		{"stale size", 0, func() translog.LeafWrite { w := tlWrite(0, b, 1); w.Leaf.EntryID = "other"; return w }()},
		{"entry id logged", 1, dupEntry},
		{"sequence number of the log id taken", 1, dupSeq},
		{"node written", 1, dupNode},
	} {
		if err := s.AppendTranslogLeaf(ctx, tt.prevSize, tt.w); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AppendTranslogLeaf(%s) = %v, want store.ErrConflict", tt.name, err)
		}
		st, err := s.TranslogState(ctx)
		if err != nil || st.Size != 1 || !bytes.Equal(st.Compact[0], tlHash(0)) {
			t.Errorf("%s: state after the refusal = %+v, %v; want size 1 unchanged", tt.name, st, err)
		}
		if _, err := s.TranslogNodes(ctx, []compact.NodeID{compact.NewNodeID(0, 1)}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: node (0, 1) after the refusal: %v, want store.ErrNotFound", tt.name, err)
		}
	}
	// In the caller's transaction, a refusal leaves the transaction usable
	// (no failed statement on PostgreSQL) and the caller's rollback undoes
	// the state update that preceded it.
	err := s.InTx(ctx, func(ctx context.Context) error {
		err := s.AppendTranslogLeaf(ctx, 1, dupEntry)
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("AppendTranslogLeaf(entry id logged) in a transaction = %v, want store.ErrConflict", err)
		}
		if _, rerr := s.TranslogState(ctx); rerr != nil {
			t.Errorf("TranslogState() after the refusal, in the transaction: %v", rerr)
		}
		return err
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("InTx() = %v, want the refusal", err)
	}
	if st, err := s.TranslogState(ctx); err != nil || st.Size != 1 {
		t.Errorf("state after the rolled-back transaction = %+v, %v; want size 1", st, err)
	}
	if err := s.AppendTranslogLeaf(ctx, 1, tlWrite(1, b, 1)); err != nil {
		t.Errorf("AppendTranslogLeaf(1) after the refusals = %v, want nil", err)
	}

	invalid := []struct {
		name string
		w    translog.LeafWrite
	}{
		{"index other than the size", tlWrite(5, b, 2)},
		{"no nodes", func() translog.LeafWrite { w := tlWrite(2, b, 2); w.Nodes = nil; return w }()},
		{"short hash", func() translog.LeafWrite { w := tlWrite(2, b, 2); w.Compact = [][]byte{{1}}; return w }()},
		{"sequence 0", tlWrite(2, b, 0)},
	}
	for _, tt := range invalid {
		err := s.AppendTranslogLeaf(ctx, 2, tt.w)
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("AppendTranslogLeaf(%s) = %v, want an invalid-argument error", tt.name, err)
		}
	}
	for _, n := range [][]compact.NodeID{nil, make([]compact.NodeID, 193)} {
		if _, err := s.TranslogNodes(ctx, n); err == nil {
			t.Errorf("TranslogNodes(%d ids) = nil error, want one", len(n))
		}
	}
	if _, err := s.TranslogLeaves(ctx, a, 0, 0); err == nil {
		t.Error("TranslogLeaves(limit 0) = nil error, want one")
	}
}

func testTranslogCheckpoints(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		if _, err := s.LatestTranslogCheckpoint(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestTranslogCheckpoint() of none = %v, want store.ErrNotFound", err)
		}
		cp := func(size uint64) translog.StoredCheckpoint {
			return translog.StoredCheckpoint{Size: size, Root: tlHash(byte(size)), Time: tlt0.Add(time.Duration(size) * time.Second),
				Note: []byte(fmt.Sprintf("note of %d\n", size))}
		}
		for _, size := range []uint64{3, 0, 7, 5} {
			if err := s.PutTranslogCheckpoint(ctx, cp(size)); err != nil {
				t.Fatalf("PutTranslogCheckpoint(%d) error = %v", size, err)
			}
		}
		if got, err := s.LatestTranslogCheckpoint(ctx); err != nil || !cmp.Equal(got, cp(7)) {
			t.Errorf("LatestTranslogCheckpoint() = %+v, %v; want %+v", got, err, cp(7))
		}
		if got, err := s.TranslogCheckpoint(ctx, 0); err != nil || !cmp.Equal(got, cp(0)) {
			t.Errorf("TranslogCheckpoint(0) = %+v, %v; want %+v", got, err, cp(0))
		}
		if _, err := s.TranslogCheckpoint(ctx, 4); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TranslogCheckpoint(4) = %v, want store.ErrNotFound", err)
		}
		other := cp(3)
		other.Note = []byte("another note\n")
		if err := s.PutTranslogCheckpoint(ctx, other); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutTranslogCheckpoint(3 again) = %v, want store.ErrConflict", err)
		}
		if got, err := s.TranslogCheckpoint(ctx, 3); err != nil || !cmp.Equal(got, cp(3)) {
			t.Errorf("TranslogCheckpoint(3) = %+v, %v; want the first", got, err)
		}
		bad := cp(9)
		bad.Root = bad.Root[:31]
		if err := s.PutTranslogCheckpoint(ctx, bad); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("PutTranslogCheckpoint(short root) = %v, want an invalid-argument error", err)
		}
	})
}

// testTranslogLog runs the log itself on the engine, in both suites: a
// resident's wallet verifies their chain, every inclusion, and the
// consistency of two checkpoints.
func testTranslogLog(t *testing.T, e Engine) {
	ctx := context.Background()
	for _, name := range suite.Names() {
		t.Run(string(name), func(t *testing.T) {
			s := open(t, e)
			l := tlLog(t, s, name)
			a, err := l.Auditor()
			if err != nil {
				t.Fatal(err)
			}
			var cps []translog.Checkpoint
			for round := range 2 {
				for i := range 7 {
					n := 7*round + i
					if idx, err := l.Append(ctx, fmt.Sprintf("resident-%d", n%3), tlEntry(n)); err != nil || idx != uint64(n) {
						t.Fatalf("Append(%d) = %d, %v; want %d, nil", n, idx, err, n)
					}
				}
				sc, err := l.Checkpoint(ctx)
				if err != nil {
					t.Fatal(err)
				}
				cp, err := a.VerifyCheckpoint(sc.Note)
				if err != nil {
					t.Fatal(err)
				}
				cps = append(cps, cp)
			}
			p, err := l.ConsistencyProof(ctx, cps[0].Size, cps[1].Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.VerifyConsistency(cps[0], cps[1], p); err != nil {
				t.Errorf("VerifyConsistency(7, 14) = %v, want nil", err)
			}
			verifyResidents(t, l, a, cps[1], 3, 14)
		})
	}
}

// verifyResidents checks the listings of resident-0 ... resident-(n-1)
// against cp: chains without gaps, every inclusion, and total entries.
func verifyResidents(t *testing.T, l *translog.Log, a *translog.Auditor, cp translog.Checkpoint, n, total int) {
	t.Helper()
	ctx := context.Background()
	var indexes []uint64
	for r := range n {
		id, err := l.LogID(ctx, fmt.Sprintf("resident-%d", r))
		if err != nil {
			t.Fatal(err)
		}
		records, err := l.Entries(ctx, id, 0, translog.MaxListing)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.VerifyResidentChain(records, translog.Head{}); err != nil {
			t.Errorf("resident-%d: VerifyResidentChain() = %v, want nil", r, err)
		}
		for _, rec := range records {
			indexes = append(indexes, rec.Index)
			p, err := l.InclusionProof(ctx, rec.Index, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.VerifyEntryInclusion(rec, p, cp); err != nil {
				t.Errorf("resident-%d: VerifyEntryInclusion(%d) = %v, want nil", r, rec.Index, err)
			}
		}
	}
	slices.Sort(indexes)
	for i, idx := range indexes {
		if idx != uint64(i) {
			t.Fatalf("leaf indexes of all listings = %v, want 0 to %d once each", indexes, total-1)
		}
	}
	if len(indexes) != total || cp.Size != uint64(total) {
		t.Errorf("%d entries listed, checkpoint of %d; want %d", len(indexes), cp.Size, total)
	}
}

// testConcurrentTranslogAppend appends from many goroutines at once, each
// append its own transaction: the compare-and-set on the tree size must
// serialise them into a gapless sequence of leaf indexes and, per
// resident, of sequence numbers, with every proof verifying.
func testConcurrentTranslogAppend(t *testing.T, e Engine) {
	ctx := context.Background()
	// Every append contends for the one state row, so losers retry more
	// often than in the other concurrency tests.
	s := open(t, e, sqlstore.WithRetry(100, time.Millisecond, 50*time.Millisecond))
	l := tlLog(t, s, suite.Intl)
	const perGoroutine = 5
	indexes := make([][]uint64, goroutines)
	errs := make([]error, goroutines)
	together(goroutines, func(g int) {
		for i := range perGoroutine {
			n := g*perGoroutine + i
			idx, err := l.Append(ctx, fmt.Sprintf("resident-%d", n%3), tlEntry(n))
			if err != nil {
				errs[g] = err
				return
			}
			indexes[g] = append(indexes[g], idx)
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Append() error = %v", err)
	}
	all := slices.Sorted(slices.Values(slices.Concat(indexes...)))
	for i, idx := range all {
		if idx != uint64(i) {
			t.Fatalf("Append() returned indexes %v, want 0 to %d once each", all, goroutines*perGoroutine-1)
		}
	}
	sc, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Auditor()
	if err != nil {
		t.Fatal(err)
	}
	cp, err := a.VerifyCheckpoint(sc.Note)
	if err != nil {
		t.Fatal(err)
	}
	verifyResidents(t, l, a, cp, 3, goroutines*perGoroutine)
}

// testConcurrentTranslogCheckpoint has many nodes sign the same tree at
// once: they must all return the one checkpoint stored.
func testConcurrentTranslogCheckpoint(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	keys := tlKeys(t, suite.Intl)
	logs := make([]*translog.Log, goroutines)
	for i := range logs {
		l, err := translog.New("id.example.cn/translog", translog.Deps{Store: s, Tx: s, Keys: keys},
			translog.WithClock(func() time.Time { return tlt0.Add(time.Duration(i) * time.Second) }))
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = l
	}
	for i := range 3 {
		if _, err := logs[0].Append(ctx, "resident-0", tlEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	notes := make([][]byte, goroutines)
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		sc, err := logs[i].Checkpoint(ctx)
		notes[i], errs[i] = sc.Note, err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Checkpoint() error = %v", err)
	}
	latest, err := logs[0].LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range notes {
		if !bytes.Equal(n, latest.Note) {
			t.Errorf("node %d returned checkpoint %q, want the stored %q", i, n, latest.Note)
		}
	}
}

// testConcurrentTranslogAppendNoRetry appends concurrently with no retry
// at all: appends marked store.WithLogAppend (as Append marks its own
// transaction) must wait for each other rather than abort, on every
// engine, or a burst of logins turns into errors.
func testConcurrentTranslogAppendNoRetry(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e, sqlstore.WithRetry(1, time.Millisecond, time.Millisecond))
	l := tlLog(t, s, suite.Intl)
	errs := make([]error, goroutines)
	together(goroutines, func(g int) {
		for i := range 3 {
			if _, err := l.Append(ctx, fmt.Sprintf("resident-%d", g), tlEntry(g*3+i)); err != nil {
				errs[g] = err
				return
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Append() without retries error = %v", err)
	}
	st, err := s.TranslogState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != goroutines*3 {
		t.Errorf("tree size %d, want %d", st.Size, goroutines*3)
	}
}
