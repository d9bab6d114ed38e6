package enrol

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// checkGuardianEvidence refuses an unknown relationship or evidence kind.
func checkGuardianEvidence(rel Relationship, ev GuardianEvidence) error {
	var errs []error
	switch rel {
	case RelationshipParent, RelationshipLegalGuardian:
	default:
		errs = append(errs, fmt.Errorf("unknown relationship %q", rel))
	}
	switch ev.Kind {
	case GuardianEvidenceHouseholdRegister, GuardianEvidenceBirthCertificate, GuardianEvidenceCourtOrder, GuardianEvidenceOther:
	default:
		errs = append(errs, fmt.Errorf("unknown guardian evidence kind %q", ev.Kind))
	}
	if len(ev.Reference)+len(ev.Notes) > 4<<10 {
		errs = append(errs, errors.New("guardian evidence text too long"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return nil
}

// checkGuardianApplication checks a guardian application for a child: the
// guardian's consent, the evidence, and that the guardian is an active
// adult.
func (s *Service) checkGuardianApplication(ctx context.Context, g GuardianApplication, now time.Time) error {
	if err := checkGuardianEvidence(g.Relationship, g.Evidence); err != nil {
		return err
	}
	if !g.Consent {
		return fmt.Errorf("%w: the guardian must consent on the child's behalf", ErrNotAGuardian)
	}
	_, err := s.activeAdult(ctx, g.GuardianID, now)
	return err
}

// activeAdult returns resident id if it is active and an adult on the day
// of now, and ErrNotAGuardian otherwise. The age comes from the sealed
// identity: the database holds no birth date in the clear.
func (s *Service) activeAdult(ctx context.Context, id string, now time.Time) (ResidentRecord, error) {
	if id == "" {
		return ResidentRecord{}, ErrNotAGuardian
	}
	r, err := s.d.Store.Resident(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ResidentRecord{}, ErrNotAGuardian
	}
	if err != nil {
		return ResidentRecord{}, err
	}
	if r.Status != StatusActive {
		return ResidentRecord{}, fmt.Errorf("%w: the guardian's account is not active", ErrNotAGuardian)
	}
	ident, err := s.openIdentity(ctx, r.ID, r.Identity)
	if err != nil {
		return ResidentRecord{}, err
	}
	if ident.BirthDate.AgeOn(now) < s.cfg.AdultAge {
		return ResidentRecord{}, fmt.Errorf("%w: a guardian must be an adult", ErrNotAGuardian)
	}
	return r, nil
}

// ApproveMinor is a guardian's approval of a minor of 15 to 17 who
// enrolled in their own name: it records the guardian link with its
// evidence and activates the minor's account. guardianID is the resident id
// AuthenticateResident returned for the guardian. The minor's approval code
// must match (ErrNotAGuardian otherwise, and for a guardian who is not an
// active adult or is the minor); ErrNotMinor when the account is not
// waiting for approval; ErrNotFound when there is no such account.
// Approving again after success returns ErrNotMinor.
func (s *Service) ApproveMinor(ctx context.Context, guardianID string, a MinorApproval) error {
	if err := checkGuardianEvidence(a.Relationship, a.Evidence); err != nil {
		return err
	}
	number, err := credential.ParseInternetNumber(a.InternetNumber)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	now := s.now()
	if _, err := s.activeAdult(ctx, guardianID, now); err != nil {
		return err
	}
	eventID, err := s.randomString(12)
	if err != nil {
		return err
	}
	err = s.d.Store.InTx(ctx, func(ctx context.Context) error {
		m, err := s.d.Store.ResidentByNumber(ctx, string(number))
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if m.Status != StatusPendingGuardian {
			return ErrNotMinor
		}
		if m.ID == guardianID {
			return ErrNotAGuardian
		}
		if !s.secretMatches(normaliseCode(a.ApprovalCode), m.ApprovalHash) {
			return fmt.Errorf("%w: the approval code does not match", ErrNotAGuardian)
		}
		sealed, err := s.sealJSON(ctx, m.ID, fieldGuardian, a.Evidence)
		if err != nil {
			return err
		}
		at := now.UTC().Truncate(time.Microsecond)
		err = s.d.Store.PutGuardianLink(ctx, GuardianLink{
			MinorID: m.ID, GuardianID: guardianID, Relationship: a.Relationship,
			EvidenceKind: a.Evidence.Kind, Evidence: sealed, Kind: LinkApproval, CreatedAt: at,
		})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		n := m
		n.Status, n.ApprovalHash, n.UpdatedAt, n.Version = StatusActive, nil, at, m.Version+1
		if err := s.d.Store.UpdateResident(ctx, m.Version, n); err != nil {
			return err
		}
		return s.logAccountEvent(ctx, m.ID, "guardian-approved-"+eventID, translog.EventGuardianApproved, m.Ceiling, at)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "minor approved by guardian", "guardian", guardianID, "relationship", a.Relationship)
	return nil
}

// How a guardian link was made.
const (
	LinkApplication = "application" // a guardian enrolled a child of 14 or under
	LinkApproval    = "approval"    // a guardian approved a minor's own enrolment
)

// Guardians returns the guardian links of minor residentID, oldest first,
// with the evidence kind (the sealed evidence stays sealed).
func (s *Service) Guardians(ctx context.Context, residentID string) ([]GuardianLink, error) {
	return s.d.Store.GuardianLinksOfMinor(ctx, residentID)
}

// normaliseCode reads an approval code as a person types it: either case,
// surrounding spaces, and the internet number alphabet's look-alikes (O
// for 0, I and L for 1).
func normaliseCode(code string) string {
	return strings.NewReplacer("O", "0", "I", "1", "L", "1", " ", "").Replace(strings.ToUpper(strings.TrimSpace(code)))
}
