package translog

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/suite"
)

// Auditor verifies what the log serves, on the client side: a wallet, a
// witness or any third party. It needs only the log's origin, its suite
// (for the hash) and the verifier keys it trusts; it never talks to the
// store. Each check fails with the error that names the misbehaviour:
// ErrBadSignature, ErrInclusion, ErrInconsistent, ErrGap, ErrBrokenChain.
type Auditor struct {
	origin    string
	hasher    *Hasher
	verifiers note.Verifiers
}

// NewAuditor returns an Auditor of the log named origin, hashing with
// suite s, that trusts checkpoints signed by any of keys (NewNoteVerifier,
// ParseVerifierKey). Every key must be named origin.
func NewAuditor(s suite.Suite, origin string, keys ...note.Verifier) (*Auditor, error) {
	if !ValidOrigin(origin) {
		return nil, fmt.Errorf("%w: origin %q", ErrConfig, origin)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: an auditor needs at least one verifier key", ErrConfig)
	}
	for _, k := range keys {
		if k.Name() != origin {
			return nil, fmt.Errorf("%w: verifier key %q is not a key of log %q", ErrConfig, k.Name(), origin)
		}
	}
	return &Auditor{origin: origin, hasher: NewHasher(s), verifiers: note.VerifierList(keys...)}, nil
}

// Head is where a resident's chain ends: their log id, the sequence number
// of their last entry and its leaf hash. A wallet keeps the head it saw
// last and passes it to VerifyResidentChain next time.
type Head struct {
	LogID    LogID
	Seq      uint64
	LeafHash []byte
}

// VerifyCheckpoint opens a signed checkpoint note and returns the
// checkpoint it signs. It fails with ErrBadSignature unless a trusted key
// signed it, if a signature by a trusted key fails, or if it is a
// checkpoint of another log; with ErrMalformed if it does not parse. Other
// signatures (witness cosignatures) are ignored, as the note format says.
func (a *Auditor) VerifyCheckpoint(signed []byte) (Checkpoint, error) {
	n, err := note.Open(signed, a.verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return Checkpoint{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return Checkpoint{}, fmt.Errorf("%w: checkpoint note: %w", ErrMalformed, err)
	}
	cp, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Origin != a.origin {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint of log %q, want %q", ErrBadSignature, cp.Origin, a.origin)
	}
	if cp.Size == 0 && !bytes.Equal(cp.Root, a.hasher.EmptyRoot()) {
		return Checkpoint{}, fmt.Errorf("%w: empty tree with a root other than the empty root", ErrMalformed)
	}
	return cp, nil
}

// leafHash returns the leaf hash of r: computed from the leaf when r has
// one (the field beside it is not trusted), given for withheld records.
func (a *Auditor) leafHash(r Record) ([]byte, error) {
	if r.Leaf != nil {
		return a.hasher.HashLeaf(r.Leaf), nil
	}
	if len(r.LeafHash) != HashSize {
		return nil, fmt.Errorf("%w: withheld record %d without a leaf hash", ErrMalformed, r.Index)
	}
	return r.LeafHash, nil
}

// VerifyEntryInclusion checks the inclusion proof (RFC 9162 section
// 2.1.3.2) of record r at its index in the tree of checkpoint cp, which
// VerifyCheckpoint returned. ErrInclusion means the entry's bytes are not
// what the log holds at that index, or the index is outside the tree.
func (a *Auditor) VerifyEntryInclusion(r Record, p [][]byte, cp Checkpoint) error {
	h, err := a.leafHash(r)
	if err != nil {
		return err
	}
	if r.Index >= cp.Size {
		return fmt.Errorf("%w: leaf %d is beyond the checkpoint's %d leaves", ErrInclusion, r.Index, cp.Size)
	}
	if err := proof.VerifyInclusion(a.hasher, r.Index, cp.Size, h, p, cp.Root); err != nil {
		return fmt.Errorf("%w: leaf %d in the tree of %d: %w", ErrInclusion, r.Index, cp.Size, err)
	}
	return nil
}

// VerifyConsistency checks that checkpoint newer extends checkpoint older
// (RFC 9162 section 2.1.4.2), both from VerifyCheckpoint. ErrInconsistent
// means the log was rewritten between them: an entry of the older tree
// was changed or dropped, or the tree shrank, or the two are forks.
func (a *Auditor) VerifyConsistency(older, newer Checkpoint, p [][]byte) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("%w: checkpoints of logs %q and %q", ErrInconsistent, older.Origin, newer.Origin)
	case older.Size > newer.Size:
		return fmt.Errorf("%w: the log shrank from %d to %d leaves", ErrInconsistent, older.Size, newer.Size)
	case older.Size == 0 && !bytes.Equal(older.Root, a.hasher.EmptyRoot()):
		return fmt.Errorf("%w: empty tree with a root other than the empty root", ErrInconsistent)
	}
	if err := proof.VerifyConsistency(a.hasher, older.Size, newer.Size, p, older.Root, newer.Root); err != nil {
		return fmt.Errorf("%w: from %d to %d leaves: %w", ErrInconsistent, older.Size, newer.Size, err)
	}
	return nil
}

// VerifyResidentChain checks a resident's complete listing, records from
// sequence number 1 in order (pages concatenated), against itself and
// against known, the head the resident saw last (zero the first time). It
// returns the new head.
//
// ErrGap: a sequence number is skipped (an entry hidden from the listing),
// or the listing ends before known. ErrBrokenChain: an entry's previous
// hash is not its predecessor's leaf hash, numbers repeat or go back, a
// record's number differs from its leaf's, entries of another log id are
// mixed in, a leaf does not decode, or the entry at known's number is not
// the one seen before. Withheld records (Record) take part with their
// leaf hash; the next entry's previous hash covers them.
//
// The chain proves order and completeness among the entries listed; that
// each is in the log is VerifyEntryInclusion's job, and the wallet must do
// both.
func (a *Auditor) VerifyResidentChain(records []Record, known Head) (Head, error) {
	var head Head
	hashes := make([][]byte, 0, len(records))
	for i, r := range records {
		want := uint64(i) + 1
		switch {
		case r.Seq > want:
			return Head{}, fmt.Errorf("%w: entries %d to %d are missing (the listing jumps to %d)", ErrGap, want, r.Seq-1, r.Seq)
		case r.Seq < want:
			return Head{}, fmt.Errorf("%w: entry %d follows entry %d", ErrBrokenChain, r.Seq, want-1)
		}
		h, err := a.leafHash(r)
		if err != nil {
			return Head{}, err
		}
		if r.Leaf != nil {
			leaf, err := DecodeLeaf(r.Leaf)
			if err != nil {
				return Head{}, fmt.Errorf("%w: entry %d: %w", ErrBrokenChain, r.Seq, err)
			}
			switch {
			case leaf.Seq != r.Seq:
				return Head{}, fmt.Errorf("%w: record %d holds entry %d", ErrBrokenChain, r.Seq, leaf.Seq)
			case head.LogID != "" && leaf.LogID != head.LogID:
				return Head{}, fmt.Errorf("%w: entry %d belongs to another log id", ErrBrokenChain, r.Seq)
			case !bytes.Equal(leaf.Prev, head.LeafHash):
				return Head{}, fmt.Errorf("%w: entry %d does not follow entry %d", ErrBrokenChain, r.Seq, r.Seq-1)
			}
			head.LogID = leaf.LogID
		}
		head.Seq, head.LeafHash = r.Seq, h
		hashes = append(hashes, h)
	}
	if known.Seq == 0 {
		return head, nil
	}
	switch {
	case head.Seq < known.Seq:
		return Head{}, fmt.Errorf("%w: the listing ends at entry %d; entry %d was seen before", ErrGap, head.Seq, known.Seq)
	case !bytes.Equal(hashes[known.Seq-1], known.LeafHash):
		return Head{}, fmt.Errorf("%w: entry %d is not the one seen before", ErrBrokenChain, known.Seq)
	case known.LogID != "" && head.LogID != "" && known.LogID != head.LogID:
		return Head{}, fmt.Errorf("%w: the listing is of another log id", ErrBrokenChain)
	}
	if head.LogID == "" {
		head.LogID = known.LogID
	}
	return head, nil
}
