package enrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// numberAttempts is how many internet numbers Complete draws before giving
// up. With 45 random bits a collision is rare; a retired number is never
// drawn again because its record stays under the primary key.
const numberAttempts = 8

// Complete ends the enrolment. csr is the wallet's PKCS#10 request for its
// device key, carrying the enrolment's CSRNonce (credential.CreateCSR):
// proof of possession, bound to this enrolment. In one transaction it
// assigns the internet number (drawn at random, redrawn on collision),
// records the identity anchor under its uniqueness constraint, creates the
// account (active, or pending-guardian for a minor of 15 to 17), records
// the guardian link of a child's application, moves a consented face
// template to the account, has the CA issue the internet certificate with
// salted commitments to the identity attributes, and closes the enrolment,
// wiping its copies of personal data (the portrait, the phone, the
// identity) so that only the account's remain.
//
// The certificate is issued inside that transaction: the CA records it
// through the same store, so a transaction that rolls back (a concurrent
// enrolment of the same identity, say) leaves neither an account nor a
// certificate record; the signed bytes are never returned. The openings
// and the dynamic-code secret are returned once and never again:
// a retry after success gets ErrWrongStep.
//
// Refusals: ErrBadCSR, ErrDuplicateIdentity (another enrolment of the same
// identity completed first), ErrPhoneInUse, ErrWrongStep.
func (s *Service) Complete(ctx context.Context, id, token string, csrDER []byte) (Completed, error) {
	e, err := s.load(ctx, id, token)
	if err != nil {
		return Completed{}, err
	}
	if err := expect(e, StepComplete); err != nil {
		return Completed{}, err
	}
	csr, err := credential.ParseCSR(s.suite, csrDER, e.CSRNonce)
	if err != nil {
		return Completed{}, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}
	ident, err := s.openIdentity(ctx, e.ResidentID, e.Identity)
	if err != nil {
		return Completed{}, err
	}
	commitments, openings, err := credential.Commit(s.suite, s.rand, attributesOf(ident))
	if err != nil {
		return Completed{}, fmt.Errorf("enrol: commitments: %w", err)
	}
	secret, err := s.random(secretBytes)
	if err != nil {
		return Completed{}, err
	}
	var approval string
	status := StatusActive
	if e.AgeGroup == AgeMinor {
		status = StatusPendingGuardian
		if approval, err = s.approvalCode(); err != nil {
			return Completed{}, err
		}
	}

	// Drawn before the transaction, so that a retry appends the same
	// entry; random, so that the log names no resident.
	eventID, err := s.randomString(12)
	if err != nil {
		return Completed{}, err
	}
	var out Completed
	// The certificate and the enrolment are logged in this transaction.
	err = s.d.Store.InTx(store.WithLogAppend(ctx), func(ctx context.Context) error {
		cur, err := s.load(ctx, id, token)
		if err != nil {
			return err
		}
		if err := expect(cur, StepComplete); err != nil {
			return err
		}
		if cur.Version != e.Version {
			return fmt.Errorf("enrol: enrolment changed concurrently: %w", store.ErrConflict)
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		number, err := s.assignNumber(ctx, credential.InternetNumber(cur.Number), cur.ResidentID, now)
		if err != nil {
			return err
		}
		// The anchor index was made at Start under the key active then.
		// Looking the anchor up under every usable key, in this
		// transaction, keeps a blind-index rotation between two
		// enrolments of one identity from slipping a duplicate past the
		// primary key (SERIALIZABLE on PostgreSQL, one writer on SQLite).
		if _, err := s.findAnchor(ctx, ident); err == nil {
			return ErrDuplicateIdentity
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		err = s.d.Store.PutIdentityAnchor(ctx, IdentityAnchor{
			Index: cur.AnchorIndex, KeyID: cur.AnchorKeyID, ResidentID: cur.ResidentID, Pathway: cur.Pathway, CreatedAt: now,
		})
		if errors.Is(err, store.ErrConflict) {
			return ErrDuplicateIdentity
		}
		if err != nil {
			return err
		}
		r := ResidentRecord{
			ID: cur.ResidentID, InternetNumber: string(number), Status: status, Pathway: cur.Pathway,
			Ceiling: cur.Ceiling, Identity: cur.Identity, Phone: cur.Phone, PasswordHash: cur.PasswordHash,
			RegistrarID: cur.RegistrarID, CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		if cur.PhoneLogin {
			r.PhoneIndex = cur.PhoneIndex
		}
		if cur.KeepTemplate {
			r.Template = cur.Template
		}
		if approval != "" {
			r.ApprovalHash = s.hashSecret(approval)
		}
		if r.DynamicSecret, err = sealDynamicSecret(s.sealer(ctx, cur.ResidentID), secret); err != nil {
			return err
		}
		if err := s.d.Store.CreateResident(ctx, r); err != nil {
			if errors.Is(err, store.ErrConflict) {
				// The id and the number are fresh: the login phone is
				// what another account took meanwhile.
				return ErrPhoneInUse
			}
			return err
		}
		if cur.GuardianID != "" {
			// The guardian must still be an active adult.
			if _, err := s.activeAdult(ctx, cur.GuardianID, now); err != nil {
				return err
			}
			err := s.d.Store.PutGuardianLink(ctx, GuardianLink{
				MinorID: cur.ResidentID, GuardianID: cur.GuardianID, Relationship: cur.Relationship,
				EvidenceKind: cur.GuardianKind, Evidence: cur.GuardianSealed, Kind: LinkApplication, CreatedAt: now,
			})
			if err != nil {
				return err
			}
		}
		issued, err := s.d.Issuer.Issue(ctx, credential.IssueRequest{
			InternetNumber: number, DevicePublicKey: csr.PublicKey, Commitments: commitments,
			Validity: s.cfg.CertificateValidity,
		})
		if err != nil {
			if errors.Is(err, credential.ErrDeviceKey) {
				return fmt.Errorf("%w: %w", ErrBadCSR, err)
			}
			return fmt.Errorf("enrol: issue certificate: %w", err)
		}
		done := EnrolmentRecord{
			ID: cur.ID, TokenHash: cur.TokenHash, ResidentID: cur.ResidentID, State: StateCompleted,
			Pathway: cur.Pathway, AgeGroup: cur.AgeGroup, Ceiling: cur.Ceiling, Number: string(number),
			RegistrarID: cur.RegistrarID, AssistedKind: cur.AssistedKind, GuardianID: cur.GuardianID,
			CreatedAt: cur.CreatedAt, UpdatedAt: now, ExpiresAt: cur.ExpiresAt, Version: cur.Version + 1,
		}
		if err := s.d.Store.UpdateEnrolment(ctx, cur.Version, done); err != nil {
			return err
		}
		if err := s.logAccountEvent(ctx, r.ID, "enrolled-"+eventID, translog.EventEnrolled, r.Ceiling, now); err != nil {
			return err
		}
		out = Completed{
			ResidentID: r.ID, InternetNumber: number, Status: status, Pathway: r.Pathway,
			AssuranceCeiling: r.Ceiling, Certificate: issued.DER, Serial: issued.Record.Serial,
			Openings: openings, DynamicCodeSecret: secret, GuardianApprovalCode: approval,
		}
		return nil
	})
	if err != nil {
		return Completed{}, err
	}
	// The codes are single use and expire anyway; forgetting them now
	// only tidies up, so a failure is logged, not returned.
	if err := s.d.Phone.Forget(ctx, e.ID); err != nil {
		s.log.WarnContext(ctx, "forget phone challenges", "enrolment", e.ID, "err", err)
	}
	s.log.InfoContext(ctx, "enrolment completed", "enrolment", e.ID, "resident", out.ResidentID,
		"status", out.Status, "pathway", out.Pathway, "ceiling", out.AssuranceCeiling)
	return out, nil
}

// assignNumber records an internet number for resident: want if it is
// free, else fresh random ones.
func (s *Service) assignNumber(ctx context.Context, want credential.InternetNumber, resident string, now time.Time) (credential.InternetNumber, error) {
	n := want
	for range numberAttempts {
		if n == "" {
			var err error
			if n, err = credential.NewInternetNumber(s.rand); err != nil {
				return "", fmt.Errorf("enrol: draw internet number: %w", err)
			}
		}
		err := s.d.Store.PutInternetNumber(ctx, InternetNumberRecord{Number: string(n), ResidentID: resident, AssignedAt: now})
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return "", err
		}
		n = ""
	}
	return "", fmt.Errorf("enrol: %d internet number collisions: %w", numberAttempts, store.ErrConflict)
}

// approvalCode draws a guardian approval code: 90 bits in the internet
// number alphabet, grouped for reading aloud.
func (s *Service) approvalCode() (string, error) {
	var parts []string
	for range 2 {
		n, err := credential.NewInternetNumber(s.rand)
		if err != nil {
			return "", fmt.Errorf("enrol: approval code: %w", err)
		}
		parts = append(parts, string(n))
	}
	return parts[0] + "-" + parts[1], nil
}

// attributesOf returns the identity attributes the certificate commits
// to, in canonical form; absent values are left out.
func attributesOf(id identityRecord) []credential.Attribute {
	var out []credential.Attribute
	add := func(name, value string) {
		if value != "" {
			out = append(out, credential.Attribute{Name: name, Value: value})
		}
	}
	add("name", id.Name)
	add("birth_date", id.BirthDate.String())
	add("sex", id.Sex)
	add("nationality", id.Nationality)
	add("document_number", id.DocumentNumber)
	return out
}
