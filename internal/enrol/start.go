package enrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
)

// Start begins a self-service enrolment: it verifies the document evidence
// (chip passive authentication, or the issuing authority), derives the age
// and the identity anchor, applies the rules for minors, and creates the
// enrolment in state created.
//
// Refusals: ErrEvidenceRefused (wrapping the document error),
// ErrEvidenceUnavailable, ErrDuplicateIdentity (the anchor is enrolled
// already), ErrGuardianRequired (14 or under without a guardian
// application), ErrGuardianNotAllowed (a guardian application for someone
// older), ErrNotAGuardian, ErrThrottled, ErrInvalidRequest.
func (s *Service) Start(ctx context.Context, req StartRequest) (Started, error) {
	if req.ClientAddr == "" {
		return Started{}, fmt.Errorf("%w: no client address", ErrInvalidRequest)
	}
	if err := s.allow(ctx, s.startAddress, "address", req.ClientAddr); err != nil {
		return Started{}, err
	}
	now := s.now()
	v, err := s.verifyEvidence(ctx, req.Evidence, now)
	if err != nil {
		return Started{}, err
	}
	return s.create(ctx, v, req.Guardian, "", now)
}

// StartAssisted begins an enrolment that an authenticated registrar makes
// for a person without a foundational document or without an NFC phone
// (registrarID from AuthenticateRegistrar). The alternative evidence and
// the registrar are recorded; the account's pathway is assisted and its
// ceiling substantial. The later steps are those of Start, except that the
// phone may be skipped. guardian follows the rules of Start.
func (s *Service) StartAssisted(ctx context.Context, registrarID string, ev AssistedEvidence, guardian *GuardianApplication) (Started, error) {
	if _, err := s.d.Store.Registrar(ctx, registrarID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Started{}, ErrUnauthorized
		}
		return Started{}, err
	}
	now := s.now()
	v, err := s.verifyAssisted(ev, registrarID, now)
	if err != nil {
		return Started{}, err
	}
	st, err := s.create(ctx, v, guardian, registrarID, now)
	if err == nil {
		s.log.InfoContext(ctx, "assisted enrolment started", "enrolment", st.ID, "registrar", registrarID, "kind", ev.Kind)
	}
	return st, err
}

// create applies the age rules and stores a new enrolment for v.
func (s *Service) create(ctx context.Context, v verified, guardian *GuardianApplication, registrarID string, now time.Time) (Started, error) {
	age := v.identity.BirthDate.AgeOn(now)
	group := ageGroupOf(age, s.cfg)
	switch {
	case group == AgeChild && guardian == nil:
		return Started{}, ErrGuardianRequired
	case group != AgeChild && guardian != nil:
		return Started{}, ErrGuardianNotAllowed
	}
	if guardian != nil {
		if err := s.checkGuardianApplication(ctx, *guardian, now); err != nil {
			return Started{}, err
		}
	}
	// An early answer for the common case; the uniqueness constraint at
	// Complete is what enforces it under concurrency.
	if _, err := s.findAnchor(ctx, v.identity); err == nil {
		return Started{}, ErrDuplicateIdentity
	} else if !errors.Is(err, store.ErrNotFound) {
		return Started{}, err
	}
	keyID, anchorIdx, err := s.blindIndex(ctx, v.identity.anchorMessage())
	if err != nil {
		return Started{}, err
	}

	id, err := s.randomString(idBytes)
	if err != nil {
		return Started{}, err
	}
	token, err := s.randomString(tokenBytes)
	if err != nil {
		return Started{}, err
	}
	residentID, err := s.randomString(idBytes)
	if err != nil {
		return Started{}, err
	}
	nonce, err := s.randomString(nonceBytes)
	if err != nil {
		return Started{}, err
	}
	number, err := credential.NewInternetNumber(s.rand)
	if err != nil {
		return Started{}, fmt.Errorf("enrol: draw internet number: %w", err)
	}
	at := now.UTC().Truncate(time.Microsecond)
	e := EnrolmentRecord{
		ID: id, TokenHash: s.hashSecret(token), ResidentID: residentID,
		State: StateCreated, Pathway: v.pathway, AgeGroup: group, Ceiling: v.ceiling,
		AnchorIndex: anchorIdx, AnchorKeyID: keyID,
		PhoneOptional: registrarID != "" || guardian != nil,
		CSRNonce:      nonce, Number: string(number), RegistrarID: registrarID,
		CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(s.cfg.EnrolmentTTL), Version: 1,
	}
	if v.identity.Assisted != nil {
		e.AssistedKind = v.identity.Assisted.Kind
	}
	if guardian != nil {
		e.GuardianID, e.Relationship, e.GuardianKind = guardian.GuardianID, guardian.Relationship, guardian.Evidence.Kind
	}
	err = s.d.Store.InTx(ctx, func(ctx context.Context) error {
		// The resident's data key is made now, so that everything the
		// enrolment collects is sealed under it from the start, and an
		// abandoned enrolment is erased by shredding it.
		if err := s.d.Envelope.CreateDataKey(ctx, residentID); err != nil {
			return fmt.Errorf("enrol: data key: %w", err)
		}
		rec := e
		var err error
		if rec.Identity, err = sealIdentity(s.sealer(ctx, residentID), v.identity); err != nil {
			return err
		}
		if rec.Portrait, err = s.seal(ctx, residentID, fieldPortrait, v.portrait); err != nil {
			return err
		}
		if guardian != nil {
			if rec.GuardianSealed, err = s.sealJSON(ctx, residentID, fieldGuardian, guardian.Evidence); err != nil {
				return err
			}
		}
		return s.d.Store.CreateEnrolment(ctx, rec)
	})
	if err != nil {
		return Started{}, err
	}
	s.log.InfoContext(ctx, "enrolment started", "enrolment", id, "pathway", v.pathway, "age_group", group)
	return Started{
		ID: id, Token: token, ExpiresAt: e.ExpiresAt, Next: StepPhone, AgeGroup: group,
		Pathway: v.pathway, PhoneOptional: e.PhoneOptional, CSRNonce: nonce,
	}, nil
}

// Status returns the progress of enrolment (id, token).
func (s *Service) Status(ctx context.Context, id, token string) (Status, error) {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return Status{}, err
	}
	return Status{
		ID: e.ID, State: e.State, Next: e.State.Next(), ExpiresAt: e.ExpiresAt, AgeGroup: e.AgeGroup,
		Pathway: e.Pathway, PhoneOptional: e.PhoneOptional, CSRNonce: e.CSRNonce,
	}, nil
}

// load returns enrolment id if token is its capability, refusing a wrong
// token exactly like a missing enrolment (ErrNotFound), an expired one
// (ErrExpired) and one closed after too many failed face matches
// (ErrTooManyAttempts). A completed enrolment is returned whatever its
// expiry, so that a late retry learns it is completed (ErrWrongStep).
func (s *Service) load(ctx context.Context, id, token string) (EnrolmentRecord, error) {
	if id == "" || token == "" {
		return EnrolmentRecord{}, ErrNotFound
	}
	e, err := s.d.Store.Enrolment(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Hash anyway, so that a missing id costs the same as a wrong
		// token.
		s.secretMatches(token, make([]byte, 32))
		return EnrolmentRecord{}, ErrNotFound
	}
	if err != nil {
		return EnrolmentRecord{}, err
	}
	if !s.secretMatches(token, e.TokenHash) {
		return EnrolmentRecord{}, ErrNotFound
	}
	if e.State == StateCompleted {
		return e, nil
	}
	if !s.now().Before(e.ExpiresAt) {
		return EnrolmentRecord{}, ErrExpired
	}
	if e.FaceAttempts >= s.cfg.MaxFaceAttempts {
		return EnrolmentRecord{}, ErrTooManyAttempts
	}
	return e, nil
}

// expect returns a *WrongStepError unless e expects step.
func expect(e EnrolmentRecord, step Step) error {
	if e.State.Next() != step {
		return &WrongStepError{State: e.State, Expected: e.State.Next(), Got: step}
	}
	return nil
}

// advance runs one step's state change as one transaction: it reloads the
// enrolment, checks that it is still at version (nothing else moved it
// since the caller's checks; ErrWrongStep or store.ErrConflict otherwise),
// lets change modify a copy, moves the state along step and writes it
// with a compare-and-set. change must be idempotent: InTx may rerun it.
func (s *Service) advance(ctx context.Context, id, token string, version int64, step Step, change func(ctx context.Context, e *EnrolmentRecord) error) (EnrolmentRecord, error) {
	var out EnrolmentRecord
	err := s.d.Store.InTx(ctx, func(ctx context.Context) error {
		e, err := s.load(ctx, id, token)
		if err != nil {
			return err
		}
		if err := expect(e, step); err != nil {
			return err
		}
		if e.Version != version {
			return fmt.Errorf("enrol: enrolment changed concurrently: %w", store.ErrConflict)
		}
		next, ok := e.State.after(step)
		if !ok {
			return &WrongStepError{State: e.State, Expected: e.State.Next(), Got: step}
		}
		n := e
		if change != nil {
			if err := change(ctx, &n); err != nil {
				return err
			}
		}
		n.State = next
		n.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
		n.Version = e.Version + 1
		if err := s.d.Store.UpdateEnrolment(ctx, e.Version, n); err != nil {
			return err
		}
		out = n
		return nil
	})
	return out, err
}
