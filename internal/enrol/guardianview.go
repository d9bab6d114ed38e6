package enrol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/store"
)

// Held is everything netid holds about a resident, opened for the
// resident's own eyes (or a guardian's, for a minor): the resident API's
// "data held about me". Sealed values are opened here, on request, and
// nowhere stored in the clear.
type Held struct {
	Account  Account
	Identity Identity
	// Phone is the verified phone number (E.164), empty when none.
	Phone string
	// Guardians are the resident's guardians, for a minor.
	Guardians []GuardianView
	// Minors are the minors under the resident's guardianship today.
	Minors []MinorView
	// Locks are the sign-in methods the resident locked.
	Locks Locks
}

// GuardianView is one guardian of a minor as the minor (or the guardian)
// sees the link.
type GuardianView struct {
	GuardianID     string
	InternetNumber credential.InternetNumber
	Relationship   Relationship
	// Evidence is the guardian evidence presented, opened from the
	// minor's sealed copy.
	Evidence GuardianEvidence
	// Kind is how the link was made (LinkApplication, LinkApproval).
	Kind  string
	Since time.Time
}

// MinorView is a minor under a guardian's control, as the guardian sees
// the link.
type MinorView struct {
	MinorID        string
	InternetNumber credential.InternetNumber
	Name           string
	Status         ResidentStatus
	Relationship   Relationship
	Kind           string
	Since          time.Time
	// AdultOn is the day the minor comes of age (Config.AdultAge): from
	// that day on the guardian's control ends by itself.
	AdultOn document.Date
}

// Held returns what netid holds about resident id, opened. ErrNotFound if
// there is no such account or it was deleted; envelope.ErrShredded in the
// chain if its data key is gone.
func (s *Service) Held(ctx context.Context, id string) (Held, error) {
	r, err := s.liveResident(ctx, id)
	if err != nil {
		return Held{}, err
	}
	ident, err := s.Identity(ctx, id)
	if err != nil {
		return Held{}, err
	}
	phoneNumber, err := s.open(ctx, r.ID, fieldPhone, r.Phone)
	if err != nil {
		return Held{}, err
	}
	out := Held{Account: accountOf(r), Identity: ident, Phone: string(phoneNumber)}
	links, err := s.d.Store.GuardianLinksOfMinor(ctx, r.ID)
	if err != nil {
		return Held{}, err
	}
	for _, l := range links {
		g, err := s.d.Store.Resident(ctx, l.GuardianID)
		if err != nil {
			return Held{}, fmt.Errorf("enrol: guardian of %s: %w", r.ID, err)
		}
		var ev GuardianEvidence
		if b, err := s.open(ctx, r.ID, fieldGuardian, l.Evidence); err != nil {
			return Held{}, err
		} else if len(b) > 0 {
			if err := json.Unmarshal(b, &ev); err != nil {
				return Held{}, fmt.Errorf("enrol: open guardian evidence: %w", err)
			}
		}
		ev.Kind = l.EvidenceKind
		out.Guardians = append(out.Guardians, GuardianView{
			GuardianID: g.ID, InternetNumber: credential.InternetNumber(g.InternetNumber), Relationship: l.Relationship,
			Evidence: ev, Kind: l.Kind, Since: l.CreatedAt,
		})
	}
	if out.Minors, err = s.GuardedMinors(ctx, r.ID); err != nil {
		return Held{}, err
	}
	if out.Locks, err = s.Locks(ctx, r.ID); err != nil {
		return Held{}, err
	}
	return out, nil
}

// liveResident returns resident id unless it is missing or deleted
// (ErrNotFound).
func (s *Service) liveResident(ctx context.Context, id string) (ResidentRecord, error) {
	if id == "" {
		return ResidentRecord{}, ErrNotFound
	}
	r, err := s.d.Store.Resident(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && r.Status == StatusDeleted {
		return ResidentRecord{}, ErrNotFound
	}
	return r, err
}

// GuardedMinors returns the minors under guardian guardianID's control
// today, oldest link first: every linked minor whose account exists and
// who is younger than Config.AdultAge on the Service's clock. The age
// comes from the minor's sealed birth date, opened at each call: guardian
// control ends on the 18th birthday by itself, with no job to run.
func (s *Service) GuardedMinors(ctx context.Context, guardianID string) ([]MinorView, error) {
	links, err := s.d.Store.GuardianLinksOfGuardian(ctx, guardianID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []MinorView{}
	for _, l := range links {
		m, ok, err := s.minorView(ctx, l, now)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// GuardianOf returns minor minorID as guardian guardianID controls it, or
// ErrNotAGuardian: when guardianID is not an active adult, is not linked
// to minorID as guardian, or the minor has come of age (the control ended
// on the minor's birthday) or was deleted. The resident API checks it at
// every request a guardian makes on a minor's behalf.
func (s *Service) GuardianOf(ctx context.Context, guardianID, minorID string) (MinorView, error) {
	now := s.now()
	if _, err := s.activeAdult(ctx, guardianID, now); err != nil {
		return MinorView{}, err
	}
	links, err := s.d.Store.GuardianLinksOfMinor(ctx, minorID)
	if err != nil {
		return MinorView{}, err
	}
	for _, l := range links {
		if l.GuardianID != guardianID {
			continue
		}
		m, ok, err := s.minorView(ctx, l, now)
		if err != nil {
			return MinorView{}, err
		}
		if !ok {
			return MinorView{}, fmt.Errorf("%w: the account is no longer under guardianship", ErrNotAGuardian)
		}
		return m, nil
	}
	return MinorView{}, ErrNotAGuardian
}

// minorView returns the minor of link l if it is still under guardianship
// at now: the account exists, is not deleted, and its holder is younger
// than the adult age.
func (s *Service) minorView(ctx context.Context, l GuardianLink, now time.Time) (MinorView, bool, error) {
	r, err := s.liveResident(ctx, l.MinorID)
	if errors.Is(err, ErrNotFound) {
		return MinorView{}, false, nil
	}
	if err != nil {
		return MinorView{}, false, err
	}
	ident, err := s.openIdentity(ctx, r.ID, r.Identity)
	if err != nil {
		return MinorView{}, false, err
	}
	if ident.BirthDate.AgeOn(now) >= s.cfg.AdultAge {
		return MinorView{}, false, nil
	}
	return MinorView{
		MinorID: r.ID, InternetNumber: credential.InternetNumber(r.InternetNumber), Name: ident.Name, Status: r.Status,
		Relationship: l.Relationship, Kind: l.Kind, Since: l.CreatedAt,
		AdultOn: comingOfAge(ident.BirthDate, s.cfg.AdultAge),
	}, true, nil
}

// comingOfAge returns the first day on which a person born on birth is
// age years old, as document.Date.AgeOn counts: the birthday, or 1 March
// for a 29 February in a common year; an unknown month or day counts as
// the first.
func comingOfAge(birth document.Date, age int) document.Date {
	d := document.Date{Year: birth.Year + age, Month: max(birth.Month, 1), Day: max(birth.Day, 1)}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	// time.Date normalises 29 February of a common year to 1 March.
	return document.NewDate(t)
}
