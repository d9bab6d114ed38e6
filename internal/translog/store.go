package translog

import (
	"context"
	"time"

	"github.com/transparency-dev/merkle/compact"
)

// TreeState is the log's one mutable record: the tree size, the compact
// range of the whole tree (the roots of the perfect subtrees that make up
// [0, Size), left to right, which give the root hash and are all Append
// needs to add a leaf), and the two facts fixed when the log began: its
// hash algorithm and the blind-index key of log ids.
type TreeState struct {
	// Hash is the hash algorithm's name ("sha-256", "sm3").
	Hash string
	// LogIDKey is the id of the blind-index key that computes log ids. It
	// must never be retired: every log id would change.
	LogIDKey string
	Size     uint64
	// Compact holds compact.RangeSize(0, Size) hashes.
	Compact [][]byte
}

// StoredLeaf is one entry as the store keeps it: the leaf bytes and, as
// columns for lookups, what they contain.
type StoredLeaf struct {
	Index   uint64
	EntryID string
	LogID   LogID
	Seq     uint64
	Leaf    []byte
}

// Node is the hash of one node of a perfect subtree (level 0: a leaf
// hash).
type Node struct {
	ID   compact.NodeID
	Hash []byte
}

// LeafWrite is what appending one leaf writes: the leaf, the tree nodes
// it completes (its leaf hash and every perfect subtree it closes) and
// the compact range of the grown tree.
type LeafWrite struct {
	Leaf    StoredLeaf
	Nodes   []Node
	Compact [][]byte
}

// StoredCheckpoint is a signed checkpoint as the store keeps it.
type StoredCheckpoint struct {
	Size uint64
	Root []byte
	Time time.Time
	Note []byte
}

// Store keeps the log: its state, leaves, tree nodes and checkpoints.
// Every method joins the transaction carried by ctx (store.TxRunner).
// Errors wrap store.ErrNotFound, store.ErrConflict or
// store.ErrUnavailable as documented.
//
// The tree is stored as every node of every perfect subtree (level 0: leaf
// hashes), written once when the subtree completes and never changed.
// Any proof of the tree at any size up to the current one consists of
// such nodes, so a proof costs one read of O(log n) rows, and appending
// costs one read of the state row and amortised two node writes (at most
// log n + 1).
type Store interface {
	// TranslogState returns the log's state: store.ErrNotFound before
	// PinTranslog.
	TranslogState(ctx context.Context) (TreeState, error)
	// PinTranslog creates the state of an empty log with hash and
	// logIDKey unless a state exists, and returns the recorded state: the
	// first node to ask decides, for ever.
	PinTranslog(ctx context.Context, hash, logIDKey string) (TreeState, error)
	// AppendTranslogLeaf grows the tree from prevSize to prevSize+1, all
	// or nothing: it sets the state's size and compact range if the size
	// is still prevSize (store.ErrConflict if not), and stores w.Leaf at
	// index prevSize and w.Nodes (store.ErrConflict if a leaf with the
	// same index, entry id or (log id, seq) exists, or a node). Run
	// outside a transaction, it runs in its own.
	AppendTranslogLeaf(ctx context.Context, prevSize uint64, w LeafWrite) error
	// TranslogNodes returns the hashes of the nodes ids, in the same
	// order: store.ErrNotFound if any is missing.
	TranslogNodes(ctx context.Context, ids []compact.NodeID) ([][]byte, error)
	// TranslogLeafByEntryID returns the leaf holding entry id:
	// store.ErrNotFound if none.
	TranslogLeafByEntryID(ctx context.Context, id string) (StoredLeaf, error)
	// TranslogLastLeaf returns the leaf with the highest sequence number of
	// log id: store.ErrNotFound if the log id has none.
	TranslogLastLeaf(ctx context.Context, id LogID) (StoredLeaf, error)
	// TranslogLeaves returns up to limit leaves of log id with sequence
	// numbers above afterSeq, in sequence order.
	TranslogLeaves(ctx context.Context, id LogID, afterSeq uint64, limit int) ([]StoredLeaf, error)
	// PutTranslogCheckpoint stores a signed checkpoint: store.ErrConflict
	// if one of the same size exists (nodes serve the first one).
	PutTranslogCheckpoint(ctx context.Context, c StoredCheckpoint) error
	// TranslogCheckpoint returns the checkpoint of tree size size:
	// store.ErrNotFound if none.
	TranslogCheckpoint(ctx context.Context, size uint64) (StoredCheckpoint, error)
	// LatestTranslogCheckpoint returns the checkpoint of the largest tree:
	// store.ErrNotFound if none.
	LatestTranslogCheckpoint(ctx context.Context) (StoredCheckpoint, error)
}
