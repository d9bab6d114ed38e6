package enrol

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
)

// verified is what accepted evidence establishes.
type verified struct {
	identity identityRecord
	pathway  Pathway
	ceiling  Assurance
	// portrait is the document portrait (DG2) and its format; empty when
	// the evidence has none, which caps the ceiling at substantial.
	portrait       []byte
	portraitFormat biometric.Format
}

// verifyEvidence checks document evidence, chip or authority, and returns
// the identity it establishes. Refusals wrap ErrEvidenceRefused and the
// document package's error; an unavailable pathway, ErrEvidenceUnavailable.
func (s *Service) verifyEvidence(ctx context.Context, ev Evidence, now time.Time) (verified, error) {
	switch {
	case ev.Chip != nil && ev.Authority != nil:
		return verified{}, fmt.Errorf("%w: give either chip or authority evidence, not both", ErrInvalidRequest)
	case ev.Chip != nil:
		return s.verifyChip(ev.Chip, now)
	case ev.Authority != nil:
		return s.verifyAuthority(ctx, ev.Authority, now)
	}
	return verified{}, fmt.Errorf("%w: no document evidence", ErrInvalidRequest)
}

// verifyChip runs passive authentication with the configured trust store
// and reads the identity from DG1 and the portrait from DG2. An expired
// document is refused by VerifyChip itself.
func (s *Service) verifyChip(c *ChipEvidence, now time.Time) (verified, error) {
	if s.d.Trust == nil {
		return verified{}, fmt.Errorf("%w: chip verification is not configured", ErrEvidenceUnavailable)
	}
	rep, err := emrtd.VerifyChip(c.Dump, s.d.Trust, emrtd.VerifyOptions{Now: now, PrintedMRZ: c.PrintedMRZ})
	if err != nil {
		return verified{}, fmt.Errorf("%w: %w", ErrEvidenceRefused, err)
	}
	m := rep.MRZ
	if m.BirthDate.IsZero() {
		return verified{}, fmt.Errorf("%w: the document does not state a birth date", ErrEvidenceRefused)
	}
	id := identityRecord{
		Name:           m.Name(),
		BirthDate:      m.BirthDate,
		Sex:            m.Sex,
		Nationality:    m.Nationality,
		DocType:        "mrz:" + m.DocumentCode,
		DocumentNumber: m.DocumentNumber,
		IssuingState:   m.IssuingState,
		Expiry:         m.Expiry,
		Verification:   rep.SOD.DocumentSigner.Subject,
	}
	id.AnchorAuthority, id.AnchorPerson = chipAnchor(m)
	v := verified{identity: id, pathway: PathwayChip, ceiling: s.cfg.ChipCeiling}
	// DG2 is mandatory on every eMRTD (ICAO 9303 part 10). A chip dump
	// without it still passes passive authentication (the groups read all
	// verify), but then there is no portrait to match the live face with,
	// and whoever briefly held someone else's passport could enrol it with
	// their own face. So a chip without a readable portrait is refused.
	p := rep.Portrait
	if p == nil || len(p.Data) == 0 {
		return verified{}, fmt.Errorf("%w: %w", ErrEvidenceRefused, ErrNoPortrait)
	}
	v.portrait = p.Data
	v.portraitFormat = biometric.FormatJPEG
	if p.Format == emrtd.ImageJPEG2000 {
		v.portraitFormat = biometric.FormatJPEG2000
	}
	return v, nil
}

// chipAnchor returns the identity anchor of a chip document: the issuing
// state and the personal number of a passport (TD3 optional data) when the
// issuer writes one, which stays with the person across passports; else the
// state and the document number, which does not: a renewed passport without
// a personal number is a new anchor (Upgrade links it to the account).
func chipAnchor(m *document.MRZ) (authority, person string) {
	if m.Format == document.TD3 {
		if pn := strings.Trim(strings.ReplaceAll(m.OptionalData, "<", ""), " "); pn != "" {
			return m.IssuingState, pn
		}
	}
	return m.IssuingState + ":doc:" + m.DocumentCode, m.DocumentNumber
}

// gb11643Types are the documents numbered with the GB 11643 citizen
// identity number: one number for life, whichever of them carries it.
var gb11643Types = map[document.DocType]bool{
	document.ResidentIDCard:         true,
	document.HKMacaoResidencePermit: true,
	document.TaiwanResidencePermit:  true,
}

// verifyAuthority checks the number's own rules, then asks the issuing
// authority, which must answer valid.
func (s *Service) verifyAuthority(ctx context.Context, a *AuthorityEvidence, now time.Time) (verified, error) {
	if s.d.Authority == nil {
		return verified{}, fmt.Errorf("%w: the document authority is not configured", ErrEvidenceUnavailable)
	}
	if !a.DocType.Accepts(document.EvidenceAuthority) {
		return verified{}, fmt.Errorf("%w: %w: %q documents cannot be verified with their authority", ErrEvidenceRefused, document.ErrDocType, a.DocType)
	}
	num, err := document.ValidateNumber(a.DocType, a.Number, now)
	if err != nil {
		return verified{}, fmt.Errorf("%w: %w", ErrEvidenceRefused, err)
	}
	q, err := document.AuthorityQuery{DocType: a.DocType, Number: num.Number, Name: a.Name, BirthDate: a.BirthDate}.Normalize(now)
	if err != nil {
		return verified{}, fmt.Errorf("%w: %w", ErrEvidenceRefused, err)
	}
	res, err := s.d.Authority.Verify(ctx, q)
	switch {
	case errors.Is(err, document.ErrAuthorityUnavailable):
		return verified{}, fmt.Errorf("%w: %w", ErrEvidenceUnavailable, err)
	case err != nil:
		return verified{}, fmt.Errorf("%w: %w", ErrEvidenceRefused, err)
	case res.Status != document.StatusValid:
		return verified{}, fmt.Errorf("%w: %w", ErrEvidenceRefused, &AuthorityRefusal{Status: res.Status})
	}
	birth := res.BirthDate
	if birth.IsZero() {
		birth = num.BirthDate
	}
	if birth.IsZero() {
		birth = q.BirthDate
	}
	if birth.IsZero() {
		return verified{}, fmt.Errorf("%w: the authority did not confirm a birth date", ErrEvidenceRefused)
	}
	sex := res.Sex
	if sex == "" {
		sex = num.Sex
	}
	id := identityRecord{
		Name:           q.Name,
		BirthDate:      birth,
		Sex:            sex,
		DocType:        string(a.DocType),
		DocumentNumber: num.Number,
		IssuingState:   "CHN",
		Expiry:         res.Expiry,
		Verification:   res.Authority + ":" + res.VerificationID,
		AnchorPerson:   num.PersonNumber,
	}
	if gb11643Types[a.DocType] {
		id.AnchorAuthority = "CHN"
		if a.DocType == document.ResidentIDCard {
			id.Nationality = "CHN"
		}
	} else {
		id.AnchorAuthority = "CHN:" + string(a.DocType)
	}
	// No portrait: the authority pathway answers yes or no, it does not
	// hand over the photo. So the face is checked for liveness only, and
	// the ceiling stays at most substantial until a document with a
	// portrait is used (Upgrade).
	ceiling := minAssurance(s.cfg.AuthorityCeiling, AssuranceSubstantial)
	return verified{identity: id, pathway: PathwayAuthority, ceiling: ceiling}, nil
}

// AuthorityRefusal is the authority's negative answer, wrapped in an
// ErrEvidenceRefused.
type AuthorityRefusal struct {
	Status document.Status
}

func (e *AuthorityRefusal) Error() string {
	switch e.Status {
	case document.StatusNotFound:
		return "the issuing authority has no such document"
	case document.StatusMismatch:
		return "the name or birth date does not match the document's record"
	case document.StatusRevoked:
		return "the document was reported lost, stolen or cancelled"
	case document.StatusExpired:
		return "the document has expired"
	}
	return fmt.Sprintf("the issuing authority answered %q", e.Status)
}

// normaliseReference canonicalises a registrar-typed reference or issuer:
// upper case, inner whitespace collapsed to one space.
func normaliseReference(s string) string {
	return strings.Join(strings.Fields(strings.ToUpper(s)), " ")
}

// verifyAssisted checks what a registrar recorded and returns the identity
// it establishes. The anchor is the evidence itself (kind, issuer,
// reference): it stops the same registration from enrolling twice, but not
// one person enrolling twice with different evidence, which registrars'
// procedures must prevent.
func (s *Service) verifyAssisted(ev AssistedEvidence, registrarID string, now time.Time) (verified, error) {
	var errs []error
	switch ev.Kind {
	case AssistedRefugeeRegistration, AssistedAsylumRegistration, AssistedBirthCertificate, AssistedAttestation, AssistedOther:
	default:
		errs = append(errs, fmt.Errorf("unknown evidence kind %q", ev.Kind))
	}
	ref := normaliseReference(ev.Reference)
	if ref == "" {
		errs = append(errs, errors.New("empty evidence reference"))
	}
	name := document.NormalizeName(ev.Name)
	if name == "" {
		errs = append(errs, errors.New("empty name"))
	}
	if ev.BirthDate.IsZero() {
		errs = append(errs, errors.New("no birth date"))
	} else if ev.BirthDate.After(document.NewDate(now.UTC())) {
		errs = append(errs, errors.New("birth date in the future"))
	}
	if len(ev.Reference)+len(ev.Issuer)+len(ev.Name)+len(ev.Notes) > 8<<10 {
		errs = append(errs, errors.New("evidence text too long"))
	}
	if err := errors.Join(errs...); err != nil {
		return verified{}, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	id := identityRecord{
		Name:            name,
		BirthDate:       ev.BirthDate,
		Sex:             ev.Sex,
		AnchorAuthority: "assisted:" + string(ev.Kind) + ":" + normaliseReference(ev.Issuer),
		AnchorPerson:    ref,
		Assisted: &assistedRecord{Kind: ev.Kind, Reference: ev.Reference, Issuer: ev.Issuer,
			Notes: ev.Notes, RegistrarID: registrarID},
	}
	ceiling := minAssurance(s.cfg.AssistedCeiling, AssuranceSubstantial)
	return verified{identity: id, pathway: PathwayAssisted, ceiling: ceiling}, nil
}
