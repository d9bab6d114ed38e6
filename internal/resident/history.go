package resident

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// HistoryQuery selects a page of a resident's transparency log.
type HistoryQuery struct {
	// AfterSeq lists the entries with sequence numbers above it (0: from
	// the first).
	AfterSeq uint64
	// Limit is the page size, 1 to translog.MaxListing; 0 means
	// DefaultHistory.
	Limit int
	// SinceSize, when HasSince, is the size of the checkpoint the wallet
	// saw last: the answer then carries the consistency proof from that
	// tree to the checkpoint it returns.
	SinceSize uint64
	HasSince  bool
}

// DefaultHistory is the default page size of History.
const DefaultHistory = 500

// History is a page of a resident's transparency log, with everything a
// wallet needs to check it without trusting the service: the signed
// checkpoint, each entry's inclusion proof in that checkpoint's tree, and
// the consistency proof from the checkpoint the wallet saw before.
type History struct {
	// Origin names the log (the checkpoint's first line).
	Origin string
	// LogID is the resident's pseudonymous log id.
	LogID translog.LogID
	// Checkpoint is the signed checkpoint every proof is against: the
	// latest, or one signed for this answer when the latest does not
	// cover the resident's entries yet.
	Checkpoint translog.SignedCheckpoint
	Entries    []HistoryEntry
	// Consistency is the proof that Checkpoint extends the tree of
	// HistoryQuery.SinceSize; nil when no size was given, or when it is
	// beyond Checkpoint's size (which only a log that shrank can show,
	// and the wallet reports).
	Consistency *Consistency
	// More says whether entries follow the last one (ask again with
	// AfterSeq set to its Seq).
	More bool
}

// HistoryEntry is one record of the resident's listing.
type HistoryEntry struct {
	translog.Record
	// Entry is the decoded leaf; nil for a withheld record.
	Entry *translog.Entry
	// Proof is the inclusion proof of the record in Checkpoint's tree.
	Proof [][]byte
	// Guardian is the internet number of the guardian an entry of a
	// guardian's action names (Ref "guardian:<log id>"), when that
	// guardian is linked to the resident; empty otherwise.
	Guardian credential.InternetNumber
}

// Consistency is a consistency proof between two tree sizes.
type Consistency struct {
	FromSize, ToSize uint64
	Proof            [][]byte
}

// History returns a page of the transparency log of the resident of sess
// (their own only: a guardian does not read a minor's log), with proofs.
func (s *Service) History(ctx context.Context, sess Session, q HistoryQuery) (History, error) {
	if q.Limit == 0 {
		q.Limit = DefaultHistory
	}
	if q.Limit < 1 || q.Limit > translog.MaxListing {
		return History{}, fmt.Errorf("%w: limit %d, want 1 to %d", ErrInvalidRequest, q.Limit, translog.MaxListing)
	}
	id, err := s.d.Log.LogID(ctx, sess.ResidentID)
	if err != nil {
		return History{}, err
	}
	// One more than asked, to know whether more follow.
	recs, err := s.d.Log.Entries(ctx, id, q.AfterSeq, min(q.Limit+1, translog.MaxListing))
	if err != nil {
		return History{}, err
	}
	h := History{Origin: s.d.Log.Origin(), LogID: id, Entries: []HistoryEntry{}}
	if len(recs) > q.Limit {
		recs, h.More = recs[:q.Limit], true
	}
	cp, err := s.d.Log.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return History{}, err
	}
	// Sign a checkpoint now if the latest does not cover the page: the
	// resident should not wait for the publisher to check what just
	// happened. Log.Checkpoint returns the stored one when the tree did
	// not grow, so this signs at most once per new entry.
	if errors.Is(err, store.ErrNotFound) || len(recs) > 0 && recs[len(recs)-1].Index >= cp.Size {
		if cp, err = s.d.Log.Checkpoint(ctx); err != nil {
			return History{}, err
		}
	}
	h.Checkpoint = cp
	guardians, err := s.guardianLogIDs(ctx, sess.ResidentID)
	if err != nil {
		return History{}, err
	}
	for _, r := range recs {
		e := HistoryEntry{Record: r}
		if e.Proof, err = s.d.Log.InclusionProof(ctx, r.Index, cp.Size); err != nil {
			return History{}, err
		}
		if !r.Withheld() {
			leaf, err := translog.DecodeLeaf(r.Leaf)
			if err != nil {
				// Entries withholds what it cannot decode; a leaf that
				// fails here is the store's damage, shown as it is for
				// the wallet to report.
				return History{}, fmt.Errorf("resident: history: %w", err)
			}
			e.Entry = &leaf.Entry
			if ref, ok := strings.CutPrefix(leaf.Entry.Ref, guardianRefPrefix); ok && leaf.Entry.Kind == translog.KindAccountEvent {
				e.Guardian = guardians[translog.LogID(ref)]
			}
		}
		h.Entries = append(h.Entries, e)
	}
	if q.HasSince && q.SinceSize <= cp.Size {
		p, err := s.d.Log.ConsistencyProof(ctx, q.SinceSize, cp.Size)
		if err != nil {
			return History{}, err
		}
		h.Consistency = &Consistency{FromSize: q.SinceSize, ToSize: cp.Size, Proof: p}
	}
	return h, nil
}

// guardianLogIDs maps the log ids of the guardians of resident id to
// their internet numbers.
func (s *Service) guardianLogIDs(ctx context.Context, id string) (map[translog.LogID]credential.InternetNumber, error) {
	h, err := s.d.Residents.Held(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make(map[translog.LogID]credential.InternetNumber, len(h.Guardians))
	for _, g := range h.Guardians {
		lid, err := s.d.Log.LogID(ctx, g.GuardianID)
		if err != nil {
			return nil, err
		}
		out[lid] = g.InternetNumber
	}
	return out, nil
}
