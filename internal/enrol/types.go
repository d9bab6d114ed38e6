package enrol

import (
	"log/slog"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
)

// Pathway is the evidence pathway by which an identity was established
// (DESIGN.md vocabulary). It is recorded on the account and can be upgraded.
type Pathway string

// The evidence pathways.
const (
	// PathwayChip is NFC passive authentication of an ICAO 9303 chip.
	PathwayChip Pathway = Pathway(document.EvidenceChip)
	// PathwayAuthority is online verification with the issuing authority.
	PathwayAuthority Pathway = Pathway(document.EvidenceAuthority)
	// PathwayAssisted is a registrar's attestation of alternative evidence.
	PathwayAssisted Pathway = "assisted"
)

// Assurance is an assurance level (DESIGN.md: acr). The assurance ceiling
// of an account is the highest level its evidence allows a login to reach.
type Assurance string

// The assurance levels, lowest first.
const (
	AssuranceLow         Assurance = "low"
	AssuranceSubstantial Assurance = "substantial"
	AssuranceHigh        Assurance = "high"
)

// Rank orders assurance levels, 1 (low) to 3 (high); anything else ranks
// 0, below low. The OpenID provider and the RP registry compare levels
// with it.
func (a Assurance) Rank() int {
	switch a {
	case AssuranceLow:
		return 1
	case AssuranceSubstantial:
		return 2
	case AssuranceHigh:
		return 3
	}
	return 0
}

// minAssurance returns the lower of a and b.
func minAssurance(a, b Assurance) Assurance {
	if a.Rank() <= b.Rank() {
		return a
	}
	return b
}

// State is where an enrolment stands. The allowed transitions are
//
//	created → phone-verified → face-verified → password-set → completed
//
// one step at a time, each step by its own Service method; nothing goes
// back. Every state before completed expires with the enrolment.
type State string

// The enrolment states.
const (
	// StateCreated: the document evidence was accepted (Start,
	// StartAssisted). Next: the phone (SendPhoneCode then VerifyPhone, or
	// SkipPhone where allowed).
	StateCreated State = "created"
	// StatePhoneVerified: the phone number was confirmed by a one-time
	// code, or skipped where allowed. Next: the face (FaceChallenge then
	// SubmitFace).
	StatePhoneVerified State = "phone-verified"
	// StateFaceVerified: a live face was captured and, when the evidence
	// has a portrait, matched against it. Next: SetPassword.
	StateFaceVerified State = "face-verified"
	// StatePasswordSet: the password was chosen. Next: Complete.
	StatePasswordSet State = "password-set"
	// StateCompleted: the account exists. Nothing follows.
	StateCompleted State = "completed"
)

// Step names the Service call an enrolment expects next, for the wallet
// and for WrongStepError.
type Step string

// The steps.
const (
	StepPhone    Step = "phone"    // SendPhoneCode and VerifyPhone (or SkipPhone)
	StepFace     Step = "face"     // FaceChallenge and SubmitFace
	StepPassword Step = "password" // SetPassword
	StepComplete Step = "complete" // Complete
	StepNone     Step = "none"     // the enrolment is completed
)

// Next returns the step that state s expects.
func (s State) Next() Step {
	switch s {
	case StateCreated:
		return StepPhone
	case StatePhoneVerified:
		return StepFace
	case StateFaceVerified:
		return StepPassword
	case StatePasswordSet:
		return StepComplete
	}
	return StepNone
}

// after returns the state that completing step leads to from s, and false
// when step is not the one s expects: the table of allowed transitions.
func (s State) after(step Step) (State, bool) {
	if s.Next() != step {
		return "", false
	}
	switch step {
	case StepPhone:
		return StatePhoneVerified, true
	case StepFace:
		return StateFaceVerified, true
	case StepPassword:
		return StatePasswordSet, true
	case StepComplete:
		return StateCompleted, true
	}
	return "", false
}

// AgeGroup is what the rules for minors need to know of an age. Age comes
// from the document, on the day of enrolment.
type AgeGroup string

// The age groups. The issue text says "a child of 14 or under" enrols
// through a guardian and "a resident aged 14–17" under supervision; the two
// ranges overlap at 14. netid reads the first as decisive: age <= 14 is
// a child (guardian application), 15 to 17 a supervised minor (own
// enrolment, pending until a guardian approves), 18 and over an adult.
const (
	AgeChild AgeGroup = "child" // 14 or under: only through a guardian application
	AgeMinor AgeGroup = "minor" // 15 to 17: own enrolment, pending guardian approval
	AgeAdult AgeGroup = "adult" // 18 and over
)

// ageGroupOf returns the age group of a person of age years, under cfg.
func ageGroupOf(age int, cfg Config) AgeGroup {
	switch {
	case age <= cfg.ChildMaxAge:
		return AgeChild
	case age < cfg.AdultAge:
		return AgeMinor
	}
	return AgeAdult
}

// ResidentStatus is the state of an account.
type ResidentStatus string

// The account states.
const (
	// StatusActive: the account can log in.
	StatusActive ResidentStatus = "active"
	// StatusPendingGuardian: a minor of 15 to 17 who enrolled and waits for
	// a guardian's approval (ApproveMinor); the account cannot log in yet.
	StatusPendingGuardian ResidentStatus = "pending-guardian"
)

// Relationship is how a guardian is related to a minor.
type Relationship string

// The relationships netid records.
const (
	RelationshipParent        Relationship = "parent"
	RelationshipLegalGuardian Relationship = "legal-guardian"
)

// GuardianEvidenceKind is what proves a guardian relationship.
type GuardianEvidenceKind string

// The kinds of guardian evidence.
const (
	GuardianEvidenceHouseholdRegister GuardianEvidenceKind = "household-register" // 户口簿
	GuardianEvidenceBirthCertificate  GuardianEvidenceKind = "birth-certificate"  // 出生医学证明
	GuardianEvidenceCourtOrder        GuardianEvidenceKind = "court-order"
	GuardianEvidenceOther             GuardianEvidenceKind = "other"
)

// GuardianEvidence is the evidence of a guardian relationship that the
// guardian presents. Reference (the certificate or register number) is
// personal data: it is sealed under the minor's data key; Kind stays in
// the clear for statistics and audit.
type GuardianEvidence struct {
	Kind      GuardianEvidenceKind
	Reference string
	Notes     string
}

// GuardianApplication is a guardian applying, and consenting, on behalf of
// a child of 14 or under. GuardianID is the resident id that
// AuthenticateResident returned for the guardian: the caller (the HTTP
// layer) authenticates the guardian first.
type GuardianApplication struct {
	GuardianID   string
	Relationship Relationship
	Evidence     GuardianEvidence
	// Consent is the guardian's explicit consent to the processing of the
	// child's data; an application without it is refused.
	Consent bool
}

// MinorApproval is a guardian's approval of a minor of 15 to 17 who
// enrolled in their own name. The minor's wallet shows ApprovalCode (from
// Completed.GuardianApprovalCode) and the internet number to the guardian:
// the code proves that the minor chose this guardian, so that no adult can
// attach themselves to a minor by internet number alone.
type MinorApproval struct {
	InternetNumber string
	ApprovalCode   string
	Relationship   Relationship
	Evidence       GuardianEvidence
}

// ChipEvidence is the content of an eMRTD chip read over NFC.
type ChipEvidence struct {
	Dump emrtd.ChipDump
	// PrintedMRZ is the MRZ read from the data page, lines separated by
	// newlines; when given, the chip's DG1 must equal it.
	PrintedMRZ string
}

// AuthorityEvidence is a document the issuing authority verifies online:
// what the resident claims, as printed on the document.
type AuthorityEvidence struct {
	DocType   document.DocType
	Number    string
	Name      string
	BirthDate document.Date
}

// Evidence is the document evidence of Start and Upgrade: exactly one of
// Chip and Authority.
type Evidence struct {
	Chip      *ChipEvidence
	Authority *AuthorityEvidence
}

// AssistedKind is the kind of alternative evidence a registrar records.
type AssistedKind string

// The kinds of alternative evidence.
const (
	AssistedRefugeeRegistration AssistedKind = "refugee-registration"
	AssistedAsylumRegistration  AssistedKind = "asylum-registration"
	AssistedBirthCertificate    AssistedKind = "birth-certificate"
	AssistedAttestation         AssistedKind = "attestation" // by a known person
	AssistedOther               AssistedKind = "other"
)

// AssistedEvidence is what a registrar records for a person without a
// foundational document or without an NFC phone. Reference is the number
// of the registration or certificate presented (for an attestation: who
// attested); it becomes the identity anchor, namespaced by Kind, so that
// the same registration cannot enrol twice. Everything but Kind is sealed.
type AssistedEvidence struct {
	Kind      AssistedKind
	Reference string
	// Issuer is who issued the evidence (UNHCR, a court, a hospital);
	// part of the anchor, so equal references of different issuers differ.
	Issuer    string
	Name      string
	BirthDate document.Date
	Sex       string
	Notes     string
}

// StartRequest begins a self-service enrolment.
type StartRequest struct {
	Evidence Evidence
	// Guardian is required when the document shows an age of 14 or under
	// (ErrGuardianRequired otherwise) and refused for anyone older.
	Guardian *GuardianApplication
	// ClientAddr is the client's address, for the per-address limit on
	// starts (each start may query a document authority).
	ClientAddr string
}

// Started is what Start and StartAssisted return. Token is the
// enrolment's capability: every later call needs (ID, Token). It is shown
// once; only its hash is stored.
type Started struct {
	ID        string
	Token     string
	ExpiresAt time.Time
	Next      Step
	AgeGroup  AgeGroup
	Pathway   Pathway
	// PhoneOptional says whether SkipPhone is allowed (assisted
	// enrolments and guardian applications).
	PhoneOptional bool
	// CSRNonce is what the wallet puts in its certification request's
	// challengePassword (credential.CreateCSR), binding the device key to
	// this enrolment.
	CSRNonce string
}

// Status is an enrolment's progress, for a wallet that resumes.
type Status struct {
	ID            string
	State         State
	Next          Step
	ExpiresAt     time.Time
	AgeGroup      AgeGroup
	Pathway       Pathway
	PhoneOptional bool
	CSRNonce      string
}

// FaceResult is the outcome of SubmitFace that the resident may see: not
// the score, which is logged for the operator only.
type FaceResult struct {
	// Matched is true when the capture was matched against a document
	// portrait; false when the evidence had no portrait and the capture
	// was only checked for liveness.
	Matched bool
	// TemplateKept is true when the resident consented to keep the
	// template for high-assurance logins.
	TemplateKept bool
}

// Completed is what Complete returns: everything the wallet keeps. The
// openings and the dynamic-code secret are returned here only: netid does
// not store the openings at all, and the secret only sealed.
type Completed struct {
	ResidentID       string
	InternetNumber   credential.InternetNumber
	Status           ResidentStatus
	Pathway          Pathway
	AssuranceCeiling Assurance
	// Certificate is the internet certificate (DER) for the wallet's
	// device key; Serial its serial number (credential.FormatSerial).
	Certificate []byte
	Serial      string
	// Openings are the values and salts of the certificate's commitments.
	Openings []credential.Opening
	// DynamicCodeSecret is the secret of the wallet's dynamic code
	// (credential.NewDynamicCode: RFC 6238, 8 digits, 30 s).
	DynamicCodeSecret []byte
	// GuardianApprovalCode is set for a minor of 15 to 17: the code the
	// minor hands to their guardian for ApproveMinor.
	GuardianApprovalCode string
}

// LogValue keeps the secrets of Completed out of logs.
func (c Completed) LogValue() slog.Value {
	return slog.GroupValue(slog.String("resident", c.ResidentID), slog.String("status", string(c.Status)),
		slog.String("pathway", string(c.Pathway)), slog.String("serial", c.Serial))
}

// Account is what the service tells about an enrolled resident.
type Account struct {
	ID               string
	InternetNumber   credential.InternetNumber
	Status           ResidentStatus
	Pathway          Pathway
	AssuranceCeiling Assurance
	// PhoneLogin says whether the resident may log in by phone number (a
	// child using a guardian's phone may not).
	PhoneLogin bool
	// FaceTemplate says whether a face template is kept for high-assurance
	// logins.
	FaceTemplate bool
	Created      time.Time
}

// Registrar is an accredited enrolment officer, created by the operator.
type Registrar struct {
	ID      string
	Name    string
	Created time.Time
}

// Upgraded is the outcome of Upgrade.
type Upgraded struct {
	InternetNumber   credential.InternetNumber
	Pathway          Pathway
	AssuranceCeiling Assurance
}
