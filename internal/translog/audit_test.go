package translog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"

	"github.com/netid/netid/internal/crypto/suite"
)

// chain builds n leaves of one log id, chained, and their records at
// leaf indexes 10, 12, 14, ...
func chain(tb testing.TB, h *Hasher, id LogID, n int) []Record {
	tb.Helper()
	var prev []byte
	var out []Record
	for i := range n {
		b, err := Leaf{LogID: id, Seq: uint64(i + 1), Prev: prev, Entry: sample(kinds[i%len(kinds)], i)}.Encode()
		if err != nil {
			tb.Fatal(err)
		}
		prev = h.HashLeaf(b)
		out = append(out, Record{Index: uint64(10 + 2*i), Seq: uint64(i + 1), Leaf: b, LeafHash: prev})
	}
	return out
}

func TestVerifyResidentChain(t *testing.T) {
	s := mustSuite(t, suite.Intl)
	h := NewHasher(s)
	a := &Auditor{origin: testOrigin, hasher: h}
	otherID := LogID(base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{9}, HashSize)))
	good := chain(t, h, testLogID, 5)
	foreign := chain(t, h, otherID, 5)
	mod := func(f func(rs []Record) []Record) []Record {
		rs := slices.Clone(good)
		return f(rs)
	}
	withheld := mod(func(rs []Record) []Record { rs[2].Leaf = nil; return rs })
	headOf := func(i int) Head { return Head{LogID: testLogID, Seq: uint64(i + 1), LeafHash: good[i].LeafHash} }

	tests := []struct {
		name    string
		records []Record
		known   Head
		want    Head
		wantErr error
	}{
		{"complete", good, Head{}, headOf(4), nil},
		{"extends the head seen before", good, headOf(2), headOf(4), nil},
		{"same as the head seen before", good, headOf(4), headOf(4), nil},
		{"a withheld entry", withheld, headOf(2), headOf(4), nil},
		{"empty, nothing seen", nil, Head{}, Head{}, nil},

		{"an entry hidden", mod(func(rs []Record) []Record { return slices.Delete(rs, 1, 2) }), Head{}, Head{}, ErrGap},
		{"the first entry hidden", good[1:], Head{}, Head{}, ErrGap},
		{"the last entries hidden", good[:3], headOf(4), Head{}, ErrGap},
		{"empty after entries were seen", nil, headOf(0), Head{}, ErrGap},
		{"two entries swapped", mod(func(rs []Record) []Record { rs[1], rs[2] = rs[2], rs[1]; return rs }), Head{}, Head{}, ErrGap},
		{"an entry repeated", mod(func(rs []Record) []Record { return slices.Insert(rs, 2, rs[1]) }), Head{}, Head{}, ErrBrokenChain},
		{"record numbered as its predecessor", mod(func(rs []Record) []Record { rs[1].Seq = 1; return rs }), Head{}, Head{}, ErrBrokenChain},
		{"record holding another entry", mod(func(rs []Record) []Record { rs[1].Leaf = rs[2].Leaf; return rs }), Head{}, Head{}, ErrBrokenChain},
		{"an entry replaced", mod(func(rs []Record) []Record { rs[2] = foreign[2]; return rs }), Head{}, Head{}, ErrBrokenChain},
		{"a foreign log's first entry", mod(func(rs []Record) []Record { rs[0] = foreign[0]; return rs }), Head{}, Head{}, ErrBrokenChain},
		{"a leaf that does not decode", mod(func(rs []Record) []Record { rs[3].Leaf = []byte{1, 2, 3}; return rs }), Head{}, Head{}, ErrBrokenChain},
		{"an entry changed after it was seen", good, Head{LogID: testLogID, Seq: 5, LeafHash: bytes.Repeat([]byte{1}, HashSize)}, Head{}, ErrBrokenChain},
		{"another resident's listing", foreign, headOf(2), Head{}, ErrBrokenChain},
		{"withheld record without a hash", mod(func(rs []Record) []Record { rs[2].Leaf, rs[2].LeafHash = nil, nil; return rs }), Head{}, Head{}, ErrMalformed},
		{"withheld record with a false hash", mod(func(rs []Record) []Record {
			rs[2].Leaf, rs[2].LeafHash = nil, bytes.Repeat([]byte{7}, HashSize)
			return rs
		}), Head{}, Head{}, ErrBrokenChain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.VerifyResidentChain(tt.records, tt.known)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyResidentChain() = %v, want nil", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("VerifyResidentChain() head mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("VerifyResidentChain() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// memTree is a Merkle tree in memory, for checking the Auditor without a
// store: every perfect-subtree node, as the store keeps them.
type memTree struct {
	h     *Hasher
	rf    *compact.RangeFactory
	cr    *compact.Range
	nodes map[compact.NodeID][]byte
}

func newMemTree(h *Hasher) *memTree {
	rf := &compact.RangeFactory{Hash: h.HashChildren}
	return &memTree{h: h, rf: rf, cr: rf.NewEmptyRange(0), nodes: map[compact.NodeID][]byte{}}
}

func (m *memTree) add(tb testing.TB, leaf []byte) {
	tb.Helper()
	if err := m.cr.Append(m.h.HashLeaf(leaf), func(id compact.NodeID, h []byte) { m.nodes[id] = h }); err != nil {
		tb.Fatal(err)
	}
}

func (m *memTree) proof(tb testing.TB, n proof.Nodes) [][]byte {
	tb.Helper()
	hs := make([][]byte, len(n.IDs))
	for i, id := range n.IDs {
		hs[i] = m.nodes[id]
	}
	out, err := n.Rehash(hs, m.h.HashChildren)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func (m *memTree) root(tb testing.TB, size uint64) []byte {
	tb.Helper()
	if size == 0 {
		return m.h.EmptyRoot()
	}
	cr := m.rf.NewEmptyRange(0)
	for i := range size {
		if err := cr.Append(m.nodes[compact.NewNodeID(0, i)], nil); err != nil {
			tb.Fatal(err)
		}
	}
	r, err := cr.GetRootHash(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestVerifyInclusionAndConsistency(t *testing.T) {
	for _, name := range suite.Names() {
		t.Run(string(name), func(t *testing.T) {
			h := NewHasher(mustSuite(t, name))
			a := &Auditor{origin: testOrigin, hasher: h}
			m := newMemTree(h)
			records := chain(t, h, testLogID, 13)
			for i := range records {
				records[i].Index = uint64(i)
				m.add(t, records[i].Leaf)
			}
			cp := func(size uint64) Checkpoint {
				return Checkpoint{Origin: testOrigin, Size: size, Root: m.root(t, size)}
			}
			for size := uint64(1); size <= 13; size++ {
				for _, r := range records[:size] {
					ids, err := proof.Inclusion(r.Index, size)
					if err != nil {
						t.Fatal(err)
					}
					p := m.proof(t, ids)
					if err := a.VerifyEntryInclusion(r, p, cp(size)); err != nil {
						t.Errorf("VerifyEntryInclusion(%d in %d) = %v, want nil", r.Index, size, err)
					}
					other := r
					other.Leaf = records[(r.Index+1)%13].Leaf
					if err := a.VerifyEntryInclusion(other, p, cp(size)); !errors.Is(err, ErrInclusion) {
						t.Errorf("VerifyEntryInclusion(another leaf at %d in %d) = %v, want ErrInclusion", r.Index, size, err)
					}
				}
				for old := uint64(0); old <= size; old++ {
					ids, err := proof.Consistency(old, size)
					if err != nil {
						t.Fatal(err)
					}
					p := m.proof(t, ids)
					if err := a.VerifyConsistency(cp(old), cp(size), p); err != nil {
						t.Errorf("VerifyConsistency(%d, %d) = %v, want nil", old, size, err)
					}
					if old > 0 && old < size {
						forked := cp(old)
						forked.Root = h.HashLeaf([]byte("fork"))
						if err := a.VerifyConsistency(forked, cp(size), p); !errors.Is(err, ErrInconsistent) {
							t.Errorf("VerifyConsistency(fork of %d, %d) = %v, want ErrInconsistent", old, size, err)
						}
					}
				}
			}
			if err := a.VerifyEntryInclusion(records[5], nil, cp(5)); !errors.Is(err, ErrInclusion) {
				t.Errorf("VerifyEntryInclusion(leaf 5 in a tree of 5) = %v, want ErrInclusion", err)
			}
			if err := a.VerifyConsistency(cp(6), cp(5), nil); !errors.Is(err, ErrInconsistent) {
				t.Errorf("VerifyConsistency(6, 5) = %v, want ErrInconsistent", err)
			}
			empty := cp(0)
			empty.Root = testRoot
			if err := a.VerifyConsistency(empty, cp(5), nil); !errors.Is(err, ErrInconsistent) {
				t.Errorf("VerifyConsistency(empty tree with a root, 5) = %v, want ErrInconsistent", err)
			}
			other := cp(5)
			other.Origin = "other.example/log"
			if err := a.VerifyConsistency(cp(5), other, nil); !errors.Is(err, ErrInconsistent) {
				t.Errorf("VerifyConsistency(another log) = %v, want ErrInconsistent", err)
			}
		})
	}
}
