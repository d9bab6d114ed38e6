package translog

import (
	"context"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"

	"github.com/netid/netid/internal/store"
)

// Record is one entry as a resident's listing shows it: where it is in
// the log, the resident's sequence number, and the leaf. While the notice
// of a lawful access is delayed, its record is withheld: Leaf is nil, and
// only its position and leaf hash show, so that the resident can still
// check the chain around it and its inclusion, and can tell a withheld
// entry from one the operator hid.
type Record struct {
	// Index is the leaf index in the log.
	Index uint64
	// Seq is the resident's sequence number (1 for the first entry).
	Seq uint64
	// Leaf is the canonical leaf (DecodeLeaf), nil when withheld.
	Leaf []byte
	// LeafHash is the RFC 6962 leaf hash. Clients recompute it from Leaf
	// when Leaf is present and use this field only for withheld records.
	LeafHash []byte
}

// Withheld reports whether the record's content is withheld.
func (r Record) Withheld() bool { return r.Leaf == nil }

// MaxListing bounds the limit of Entries.
const MaxListing = 1000

// Entries returns up to limit (1 to MaxListing) of the entries of log id,
// those with sequence numbers above afterSeq, in sequence order: a
// resident's own listing, read page by page. A lawful-access entry whose
// notice is delayed past the Log's clock is withheld (Record), and so is a
// leaf the log cannot decode, which the resident's verification then
// reports rather than the service revealing bytes it cannot classify.
func (l *Log) Entries(ctx context.Context, id LogID, afterSeq uint64, limit int) ([]Record, error) {
	if !id.Valid() {
		return nil, fmt.Errorf("translog: entries: %w: log id", ErrMalformed)
	}
	if limit < 1 || limit > MaxListing {
		return nil, fmt.Errorf("translog: entries: %w: limit %d, want 1 to %d", ErrRange, limit, MaxListing)
	}
	leaves, err := l.store.TranslogLeaves(ctx, id, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("translog: entries: %w", err)
	}
	now := l.now()
	out := make([]Record, len(leaves))
	for i, s := range leaves {
		out[i] = Record{Index: s.Index, Seq: s.Seq, Leaf: s.Leaf, LeafHash: l.hasher.HashLeaf(s.Leaf)}
		leaf, err := DecodeLeaf(s.Leaf)
		if err != nil || leaf.Entry.Kind == KindLawfulAccess && leaf.Entry.NoticeDelayedUntil.After(now) {
			out[i].Leaf = nil
		}
	}
	return out, nil
}

// size returns the current tree size (0 before the first append).
func (l *Log) size(ctx context.Context) (uint64, error) {
	st, err := l.store.TranslogState(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return st.Size, nil
}

// InclusionProof returns the RFC 9162 (section 2.1.3) inclusion proof of
// leaf index in the tree of size size, which must not exceed the current
// size (a checkpoint's size). Errors wrap ErrRange when index >= size or
// size is beyond the tree.
func (l *Log) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	cur, err := l.size(ctx)
	if err != nil {
		return nil, fmt.Errorf("translog: inclusion proof: %w", err)
	}
	if size > cur || index >= size {
		return nil, fmt.Errorf("translog: inclusion proof: %w: leaf %d in a tree of %d (the log has %d)", ErrRange, index, size, cur)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("translog: inclusion proof: %w: %w", ErrRange, err)
	}
	return l.rehash(ctx, nodes)
}

// ConsistencyProof returns the RFC 9162 (section 2.1.4) consistency proof
// between the trees of sizes oldSize and newSize (oldSize <= newSize <=
// the current size; empty when oldSize is 0 or equal to newSize).
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([][]byte, error) {
	cur, err := l.size(ctx)
	if err != nil {
		return nil, fmt.Errorf("translog: consistency proof: %w", err)
	}
	if oldSize > newSize || newSize > cur {
		return nil, fmt.Errorf("translog: consistency proof: %w: from %d to %d (the log has %d)", ErrRange, oldSize, newSize, cur)
	}
	return l.consistency(ctx, oldSize, newSize)
}

func (l *Log) consistency(ctx context.Context, oldSize, newSize uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(oldSize, newSize)
	if err != nil {
		return nil, fmt.Errorf("translog: consistency proof: %w: %w", ErrRange, err)
	}
	return l.rehash(ctx, nodes)
}

// rehash reads the nodes a proof needs, in one store call, and folds the
// ephemeral ones.
func (l *Log) rehash(ctx context.Context, nodes proof.Nodes) ([][]byte, error) {
	if len(nodes.IDs) == 0 {
		return [][]byte{}, nil
	}
	hashes, err := l.store.TranslogNodes(ctx, nodes.IDs)
	if err != nil {
		return nil, fmt.Errorf("translog: proof nodes: %w", err)
	}
	return nodes.Rehash(hashes, l.hasher.HashChildren)
}
