package translog_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/translog"
)

// The tests in this file play a dishonest operator: they change the store
// behind the Log's back with SQL, as someone with database access could,
// and check that the resident's wallet reports what was done.

// sentinels are the errors by which client-side verification names a
// misbehaviour.
var sentinels = []error{translog.ErrBadSignature, translog.ErrInclusion, translog.ErrInconsistent,
	translog.ErrGap, translog.ErrBrokenChain}

// exec runs a statement on the raw handle.
func (e *env) exec(tb testing.TB, query string, args ...any) {
	tb.Helper()
	if _, err := e.raw.ExecContext(e.ctx, query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// leafOf returns the index and bytes of the entry seq of log id.
func (e *env) leafOf(tb testing.TB, id translog.LogID, seq int) (int64, []byte) {
	tb.Helper()
	var index int64
	var leaf []byte
	err := e.raw.QueryRowContext(e.ctx, `SELECT leaf_index, leaf FROM translog_leaves WHERE log_id = $1 AND seq = $2`,
		string(id), seq).Scan(&index, &leaf)
	if err != nil {
		tb.Fatal(err)
	}
	return index, leaf
}

// allLeaves returns every stored leaf in index order.
func (e *env) allLeaves(tb testing.TB) [][]byte {
	tb.Helper()
	rows, err := e.raw.QueryContext(e.ctx, `SELECT leaf FROM translog_leaves ORDER BY leaf_index`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// rebuild replaces the whole log with leaves: rows, tree nodes and state,
// consistently, as an operator covering their tracks would.
func (e *env) rebuild(tb testing.TB, leaves [][]byte) {
	tb.Helper()
	h := e.log.Hasher()
	cr := (&compact.RangeFactory{Hash: h.HashChildren}).NewEmptyRange(0)
	e.exec(tb, `DELETE FROM translog_leaves`)
	e.exec(tb, `DELETE FROM translog_nodes`)
	for i, b := range leaves {
		l, err := translog.DecodeLeaf(b)
		if err != nil {
			tb.Fatal(err)
		}
		e.exec(tb, `INSERT INTO translog_leaves (leaf_index, entry_id, log_id, seq, leaf) VALUES ($1, $2, $3, $4, $5)`,
			i, l.Entry.ID, string(l.LogID), int64(l.Seq), b)
		var nodes []compact.NodeID
		var hashes [][]byte
		if err := cr.Append(h.HashLeaf(b), func(id compact.NodeID, hash []byte) {
			nodes, hashes = append(nodes, id), append(hashes, hash)
		}); err != nil {
			tb.Fatal(err)
		}
		for j, id := range nodes {
			e.exec(tb, `INSERT INTO translog_nodes (level, idx, hash) VALUES ($1, $2, $3)`, int64(id.Level), int64(id.Index), hashes[j])
		}
	}
	e.exec(tb, `UPDATE translog_state SET tree_size = $1, compact = $2 WHERE id = 1`, len(leaves), slices.Concat(cr.Hashes()...))
}

// resign deletes every stored checkpoint and has the Log sign the tree as
// it now is: the operator's own key signing a rewritten history.
func (e *env) resign(tb testing.TB) {
	tb.Helper()
	e.exec(tb, `DELETE FROM translog_checkpoints`)
	if _, err := e.log.Checkpoint(e.ctx); err != nil {
		tb.Fatal(err)
	}
}

// rechain returns leaves without the entry seq of log id, with that log
// id's later entries renumbered and re-chained, so that its listing shows
// no gap.
func rechain(tb testing.TB, h *translog.Hasher, leaves [][]byte, id translog.LogID, seq uint64) [][]byte {
	tb.Helper()
	var out [][]byte
	var prev []byte
	for _, b := range leaves {
		l, err := translog.DecodeLeaf(b)
		if err != nil {
			tb.Fatal(err)
		}
		if l.LogID == id {
			if l.Seq == seq {
				continue
			}
			if l.Seq > seq {
				l.Seq, l.Prev = l.Seq-1, prev
				if b, err = l.Encode(); err != nil {
					tb.Fatal(err)
				}
			}
			prev = h.HashLeaf(b)
		}
		out = append(out, b)
	}
	return out
}

// withEntry returns leaf b with its entry changed by f, re-encoded.
func withEntry(tb testing.TB, b []byte, f func(*translog.Entry)) []byte {
	tb.Helper()
	l, err := translog.DecodeLeaf(b)
	if err != nil {
		tb.Fatal(err)
	}
	f(&l.Entry)
	out, err := l.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// tamperSetup logs 12 entries (4 per resident), signs a checkpoint that
// resident-a's wallet verifies, then logs 3 more (resident-a's fifth
// among them) and signs again. It returns the env, the wallet and the log
// ids of resident-a and resident-b.
func tamperSetup(t *testing.T, engine string, name suite.Name) (*env, *wallet, translog.LogID, translog.LogID) {
	t.Helper()
	e := newEnv(t, engine, name)
	e.appendN(t, residents, 0, 12)
	if _, err := e.log.Checkpoint(e.ctx); err != nil {
		t.Fatal(err)
	}
	a, err := e.log.LogID(e.ctx, "resident-a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.log.LogID(e.ctx, "resident-b")
	if err != nil {
		t.Fatal(err)
	}
	w := &wallet{a: e.auditor(t), logID: a}
	if err := w.verify(t, e); err != nil {
		t.Fatalf("wallet verify before tampering = %v, want nil", err)
	}
	if w.cp.Size != 12 || w.head.Seq != 4 {
		t.Fatalf("wallet saw size %d and entry %d, want 12 and 4", w.cp.Size, w.head.Seq)
	}
	e.appendN(t, residents, 12, 3)
	if _, err := e.log.Checkpoint(e.ctx); err != nil {
		t.Fatal(err)
	}
	return e, w, a, b
}

func TestTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, e *env, w *wallet, a, b translog.LogID)
		want   []error
	}{
		{"no tampering", func(*testing.T, *env, *wallet, translog.LogID, translog.LogID) {}, nil},
		{"a stored leaf updated", func(t *testing.T, e *env, _ *wallet, a, _ translog.LogID) {
			index, leaf := e.leafOf(t, a, 2)
			e.exec(t, `UPDATE translog_leaves SET leaf = $1 WHERE leaf_index = $2`,
				withEntry(t, leaf, func(en *translog.Entry) { en.Ref = "ffff" }), index)
		}, []error{translog.ErrInclusion, translog.ErrBrokenChain}},
		{"the newest leaf updated", func(t *testing.T, e *env, _ *wallet, a, _ translog.LogID) {
			index, leaf := e.leafOf(t, a, 5)
			e.exec(t, `UPDATE translog_leaves SET leaf = $1 WHERE leaf_index = $2`,
				withEntry(t, leaf, func(en *translog.Entry) { en.Level = translog.LevelHigh }), index)
		}, []error{translog.ErrInclusion}},
		{"a leaf deleted", func(t *testing.T, e *env, _ *wallet, a, _ translog.LogID) {
			index, _ := e.leafOf(t, a, 3)
			e.exec(t, `DELETE FROM translog_leaves WHERE leaf_index = $1`, index)
		}, []error{translog.ErrGap}},
		{"an entry hidden under another log id", func(t *testing.T, e *env, _ *wallet, a, b translog.LogID) {
			index, _ := e.leafOf(t, a, 2)
			e.exec(t, `UPDATE translog_leaves SET log_id = $1, seq = 1000 WHERE leaf_index = $2`, string(b), index)
		}, []error{translog.ErrGap}},
		{"the listing truncated below what the wallet saw", func(t *testing.T, e *env, _ *wallet, a, _ translog.LogID) {
			e.exec(t, `DELETE FROM translog_leaves WHERE log_id = $1 AND seq >= 4`, string(a))
		}, []error{translog.ErrGap}},
		{"two entries swapped", func(t *testing.T, e *env, _ *wallet, a, _ translog.LogID) {
			i2, l2 := e.leafOf(t, a, 2)
			i3, l3 := e.leafOf(t, a, 3)
			e.exec(t, `UPDATE translog_leaves SET leaf = $1 WHERE leaf_index = $2`, l3, i2)
			e.exec(t, `UPDATE translog_leaves SET leaf = $1 WHERE leaf_index = $2`, l2, i3)
		}, []error{translog.ErrBrokenChain, translog.ErrInclusion}},
		{"history rewritten without an entry and re-signed", func(t *testing.T, e *env, _ *wallet, a, _ translog.LogID) {
			e.rebuild(t, rechain(t, e.log.Hasher(), e.allLeaves(t), a, 2))
			e.resign(t)
		}, []error{translog.ErrInconsistent, translog.ErrBrokenChain}},
		{"history rewritten for a wallet that kept only the checkpoint", func(t *testing.T, e *env, w *wallet, a, _ translog.LogID) {
			e.rebuild(t, rechain(t, e.log.Hasher(), e.allLeaves(t), a, 2))
			e.resign(t)
			w.head = translog.Head{}
		}, []error{translog.ErrInconsistent}},
		{"another resident's entry rewritten and re-signed", func(t *testing.T, e *env, _ *wallet, _, b translog.LogID) {
			leaves := e.allLeaves(t)
			index, _ := e.leafOf(t, b, 1)
			leaves[index] = withEntry(t, leaves[index], func(en *translog.Entry) { en.ClientID = "rp-innocent" })
			e.rebuild(t, leaves)
			e.resign(t)
		}, []error{translog.ErrInconsistent}},
		{"the log rolled back below the wallet's checkpoint and re-signed", func(t *testing.T, e *env, _ *wallet, _, _ translog.LogID) {
			e.rebuild(t, e.allLeaves(t)[:10])
			e.resign(t)
		}, []error{translog.ErrInconsistent}},
		{"checkpoints signed by another key", func(t *testing.T, e *env, _ *wallet, _, _ translog.LogID) {
			latest, err := e.log.LatestCheckpoint(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			text, err := latest.Text()
			if err != nil {
				t.Fatal(err)
			}
			forged := signWith(t, newKeys(t, e.keys.Suite().Name()), text)
			e.exec(t, `UPDATE translog_checkpoints SET note = $1 WHERE tree_size = $2`, forged, int64(latest.Size))
		}, []error{translog.ErrBadSignature}},
	}
	for _, name := range suite.Names() {
		t.Run(string(name), func(t *testing.T) {
			forEngines(t, func(t *testing.T, engine string) {
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						e, w, a, b := tamperSetup(t, engine, name)
						tt.tamper(t, e, w, a, b)
						err := w.verify(t, e)
						for _, s := range sentinels {
							if got, want := errors.Is(err, s), slices.Contains(tt.want, s); got != want {
								t.Errorf("wallet verify = %v;\nreports %q: %v, want %v", err, s, got, want)
							}
						}
					})
				}
			})
		})
	}
}

// signWith signs checkpoint text with the active log-signing key of
// keys, under the log's name.
func signWith(tb testing.TB, keys *keystore.Store, text string) []byte {
	tb.Helper()
	_, signer, err := keys.ActiveSigner(keystore.LogSigning)
	if err != nil {
		tb.Fatal(err)
	}
	ns, err := translog.NewNoteSigner(origin, keys.Suite(), signer, nil)
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: text}, ns)
	if err != nil {
		tb.Fatal(err)
	}
	return msg
}

// TestHonestNodeRefusesToSignAFork checks the Log's own guard: after the
// tree was rewritten in the store, a node asked to sign a grown tree
// finds that it does not extend the stored checkpoint and refuses.
func TestHonestNodeRefusesToSignAFork(t *testing.T) {
	forEngines(t, func(t *testing.T, engine string) {
		e, _, _, b := tamperSetup(t, engine, suite.Intl)
		leaves := e.allLeaves(t)
		index, _ := e.leafOf(t, b, 1)
		leaves[index] = withEntry(t, leaves[index], func(en *translog.Entry) { en.ClientID = "rp-innocent" })
		e.rebuild(t, leaves)
		e.appendN(t, residents, 100, 1)
		if _, err := e.log.Checkpoint(e.ctx); !errors.Is(err, translog.ErrInconsistent) {
			t.Errorf("Checkpoint() of a forked tree = %v, want ErrInconsistent", err)
		}
	})
}
