package enrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// pathwayRank orders evidence pathways by strength.
func pathwayRank(p Pathway) int {
	switch p {
	case PathwayAssisted:
		return 1
	case PathwayAuthority:
		return 2
	case PathwayChip:
		return 3
	}
	return 0
}

// Upgrade adds document evidence to an existing account, typically an
// assisted one whose holder has obtained a document, or a passport
// renewed without a personal number. The account keeps its internet
// number; the document's identity anchor is recorded for it too (so the
// document cannot enrol another account), the identity is replaced by the
// document's (an assisted record is kept alongside), and the pathway and
// ceiling rise when the document's are higher.
//
// The password alone is not enough to bind a document: whoever knows it
// and briefly holds another person's passport (its chip opens with the
// printed MRZ) could otherwise take that person's identity anchor, and the
// real holder would be refused at enrolment. So face is required, with a
// challenge from UpgradeChallenge for this resident (see
// checkUpgradeFace): chip evidence needs a live capture matching the
// chip's portrait, as enrolment does, and a chip without a portrait is
// refused (ErrUpgradeNeedsPortrait); authority evidence, which has no
// portrait, needs a live capture, as its enrolment does. The ceiling
// granted stays at most substantial: no template is kept by an upgrade,
// so nothing would let a later login reach high.
//
// residentID is the authenticated resident (the HTTP layer logs them in
// first). Refusals, all before anything is written: ErrInvalidRequest (no
// face), ErrNotLive (challenge missing, forged, expired or another
// account's; attestation invalid or for another challenge or capture),
// ErrFaceMismatch, ErrBadFace, ErrUpgradeNeedsPortrait,
// ErrEvidenceRefused, ErrDuplicateIdentity (the document belongs to
// another account), ErrUpgradeMismatch (its birth date differs from the
// account's), ErrNotFound. Upgrading again with a document already
// anchored to this account changes nothing and succeeds (the face is
// still checked).
func (s *Service) Upgrade(ctx context.Context, residentID string, ev Evidence, face *UpgradeFace) (Upgraded, error) {
	now := s.now()
	if face == nil {
		return Upgraded{}, fmt.Errorf("%w: an upgrade needs a live face capture", ErrInvalidRequest)
	}
	// The challenge first: a MAC is cheaper than passive authentication.
	if err := s.verifyUpgradeChallenge(ctx, residentID, face.Challenge, now); err != nil {
		return Upgraded{}, err
	}
	v, err := s.verifyEvidence(ctx, ev, now)
	if err != nil {
		return Upgraded{}, err
	}
	if err := s.checkUpgradeFace(ctx, residentID, v, face, now); err != nil {
		return Upgraded{}, err
	}
	keyID, idx, err := s.blindIndex(ctx, v.identity.anchorMessage())
	if err != nil {
		return Upgraded{}, err
	}
	ceiling := minAssurance(v.ceiling, AssuranceSubstantial)
	eventID, err := s.randomString(12)
	if err != nil {
		return Upgraded{}, err
	}
	var out Upgraded
	err = s.d.Store.InTx(ctx, func(ctx context.Context) error {
		r, err := s.d.Store.Resident(ctx, residentID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		out = Upgraded{InternetNumber: accountOf(r).InternetNumber, Pathway: r.Pathway, AssuranceCeiling: r.Ceiling}
		if a, err := s.findAnchor(ctx, v.identity); err == nil {
			if a.ResidentID != residentID {
				return ErrDuplicateIdentity
			}
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		old, err := s.openIdentity(ctx, r.ID, r.Identity)
		if err != nil {
			return err
		}
		if old.BirthDate.Complete() && v.identity.BirthDate.Complete() && old.BirthDate != v.identity.BirthDate {
			return ErrUpgradeMismatch
		}
		at := now.UTC().Truncate(time.Microsecond)
		err = s.d.Store.PutIdentityAnchor(ctx, IdentityAnchor{Index: idx, KeyID: keyID, ResidentID: r.ID, Pathway: v.pathway, CreatedAt: at})
		if errors.Is(err, store.ErrConflict) {
			return ErrDuplicateIdentity
		}
		if err != nil {
			return err
		}
		ident := v.identity
		if ident.Assisted == nil {
			ident.Assisted = old.Assisted
		}
		n := r
		if n.Identity, err = sealIdentity(s.sealer(ctx, r.ID), ident); err != nil {
			return err
		}
		if pathwayRank(v.pathway) > pathwayRank(r.Pathway) {
			n.Pathway = v.pathway
		}
		if ceiling.Rank() > r.Ceiling.Rank() {
			n.Ceiling = ceiling
		}
		n.UpdatedAt, n.Version = at, r.Version+1
		if err := s.d.Store.UpdateResident(ctx, r.Version, n); err != nil {
			return err
		}
		out.Pathway, out.AssuranceCeiling = n.Pathway, n.Ceiling
		return s.logAccountEvent(ctx, r.ID, "upgraded-"+eventID, translog.EventEvidenceUpgraded, n.Ceiling, at)
	})
	if err != nil {
		return Upgraded{}, err
	}
	s.log.InfoContext(ctx, "account upgraded", "resident", residentID, "pathway", out.Pathway, "ceiling", out.AssuranceCeiling)
	return out, nil
}
