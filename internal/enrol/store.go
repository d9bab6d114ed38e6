package enrol

import (
	"context"
	"time"

	"github.com/netid/netid/internal/store"
)

// Store keeps the enrolment aggregates: enrolments in progress, residents,
// identity anchors, internet numbers, guardian links, registrars, and the
// state of the sign-in methods (AuthMethodStore, in locks.go). The
// SQL implementation lives in internal/store/sqlstore; the conformance suite
// in internal/store/storetest checks it on both engines.
//
// Every method joins the transaction carried by ctx (store.TxRunner). A
// method that finds nothing returns an error wrapping store.ErrNotFound;
// one that would break a uniqueness or compare-and-set rule, one wrapping
// store.ErrConflict. Byte fields are opaque to the store (keyed hashes,
// ciphertexts); nil and empty are equivalent. Times are handed over in UTC
// at microsecond precision and must come back Equal.
type Store interface {
	store.TxRunner
	AuthMethodStore

	// CreateEnrolment stores a new enrolment (Version 1). ErrConflict if
	// the id exists.
	CreateEnrolment(ctx context.Context, e EnrolmentRecord) error
	// Enrolment returns the enrolment with id.
	Enrolment(ctx context.Context, id string) (EnrolmentRecord, error)
	// UpdateEnrolment replaces the enrolment e.ID if its stored version is
	// prevVersion; e.Version must be greater. ErrConflict if the version
	// differs, ErrNotFound if there is no such enrolment. TokenHash,
	// ResidentID and CreatedAt never change: they must equal the stored
	// ones (ErrConflict otherwise).
	UpdateEnrolment(ctx context.Context, prevVersion int64, e EnrolmentRecord) error
	// DeleteEnrolment deletes the enrolment id. ErrNotFound if none.
	DeleteEnrolment(ctx context.Context, id string) error
	// EnrolmentsExpiredBefore lists up to limit enrolments (any state)
	// whose ExpiresAt is before t, oldest expiry first, for pruning.
	EnrolmentsExpiredBefore(ctx context.Context, t time.Time, limit int) ([]EnrolmentRecord, error)

	// CreateResident stores a new resident (Version 1). ErrConflict if the
	// id, the internet number or a non-empty PhoneIndex is taken.
	CreateResident(ctx context.Context, r ResidentRecord) error
	// Resident returns the resident with id.
	Resident(ctx context.Context, id string) (ResidentRecord, error)
	// ResidentIdentity returns the sealed identity of resident id (empty
	// for a deleted one), as Resident(ctx, id).Identity would, reading
	// only that column: Identity runs at every token and userinfo request.
	ResidentIdentity(ctx context.Context, id string) ([]byte, error)
	// ResidentByNumber returns the resident holding internet number n.
	ResidentByNumber(ctx context.Context, n string) (ResidentRecord, error)
	// ResidentByPhoneIndex returns the resident whose login phone has the
	// blind index idx.
	ResidentByPhoneIndex(ctx context.Context, idx []byte) (ResidentRecord, error)
	// UpdateResident replaces resident r.ID if its stored version is
	// prevVersion; r.Version must be greater. ErrConflict for another
	// version or a PhoneIndex taken by another resident, ErrNotFound if
	// there is no such resident. InternetNumber and CreatedAt never
	// change: they must equal the stored ones (ErrConflict otherwise).
	UpdateResident(ctx context.Context, prevVersion int64, r ResidentRecord) error

	// PutIdentityAnchor records an identity anchor index. ErrConflict if
	// the index is recorded already: the uniqueness rule of "one internet
	// number per identity".
	PutIdentityAnchor(ctx context.Context, a IdentityAnchor) error
	// IdentityAnchor returns the anchor with index idx.
	IdentityAnchor(ctx context.Context, idx []byte) (IdentityAnchor, error)
	// IdentityAnchorsOf returns the anchors of resident id, oldest first.
	IdentityAnchorsOf(ctx context.Context, residentID string) ([]IdentityAnchor, error)

	// PutInternetNumber records a newly assigned internet number.
	// ErrConflict if the number was ever assigned: numbers are never
	// deleted, so never reassigned.
	PutInternetNumber(ctx context.Context, n InternetNumberRecord) error
	// InternetNumber returns the record of number n.
	InternetNumber(ctx context.Context, n string) (InternetNumberRecord, error)
	// RetireInternetNumber marks n retired at t. ErrNotFound if n was never
	// assigned, ErrConflict if it is retired already.
	RetireInternetNumber(ctx context.Context, n string, t time.Time) error

	// PutGuardianLink records a guardian link. ErrConflict if the
	// (MinorID, GuardianID) pair is linked already.
	PutGuardianLink(ctx context.Context, l GuardianLink) error
	// GuardianLinksOfMinor returns the guardians of minorID, oldest first.
	GuardianLinksOfMinor(ctx context.Context, minorID string) ([]GuardianLink, error)
	// GuardianLinksOfGuardian returns the minors of guardianID, oldest
	// first.
	GuardianLinksOfGuardian(ctx context.Context, guardianID string) ([]GuardianLink, error)

	// CreateRegistrar stores a registrar. ErrConflict if the id or the
	// token hash exists.
	CreateRegistrar(ctx context.Context, r RegistrarRecord) error
	// Registrar returns the registrar with id.
	Registrar(ctx context.Context, id string) (RegistrarRecord, error)
	// RegistrarByTokenHash returns the registrar whose token hashes to h.
	RegistrarByTokenHash(ctx context.Context, h []byte) (RegistrarRecord, error)
}

// EnrolmentRecord is an enrolment in progress as stored. Personal data is
// only in the Sealed fields (envelope ciphertexts under the data key of
// ResidentID, which the enrolment creates) and in keyed hashes.
type EnrolmentRecord struct {
	ID         string
	TokenHash  []byte // suite hash of the capability token
	ResidentID string // drawn at Start: owner of the data key
	State      State
	Pathway    Pathway
	AgeGroup   AgeGroup
	Ceiling    Assurance // the evidence's assurance ceiling so far

	AnchorIndex []byte // blind index of the identity anchor
	AnchorKeyID string // the blind-index key that made it
	Identity    []byte // sealed identityRecord (JSON)
	Portrait    []byte // sealed document portrait; empty without one

	PhoneOptional bool
	Phone         []byte // sealed E.164 number; empty until verified or when skipped
	PhoneIndex    []byte // blind index of the number
	PhoneLogin    bool   // the number becomes a login phone

	FaceChallenge   string    // liveness nonce; empty when none is open
	FaceChallengeAt time.Time // when FaceChallenge was issued
	FaceAttempts    int
	FaceMatched     bool
	Template        []byte // sealed template; empty unless kept
	KeepTemplate    bool
	PasswordHash    string // argon2id PHC string
	CSRNonce        string
	Number          string // candidate internet number, assigned at completion
	GuardianID      string // guardian application (child of 14 or under)
	Relationship    Relationship
	GuardianKind    GuardianEvidenceKind
	GuardianSealed  []byte // sealed GuardianEvidence
	RegistrarID     string // assisted enrolment
	AssistedKind    AssistedKind

	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
	Version   int64
}

// ResidentRecord is an enrolled resident as stored.
type ResidentRecord struct {
	ID             string
	InternetNumber string
	Status         ResidentStatus
	Pathway        Pathway
	Ceiling        Assurance
	Identity       []byte // sealed identityRecord (JSON)
	Phone          []byte // sealed E.164 number; empty when none
	PhoneIndex     []byte // blind index of the login phone; empty when none (unique when set)
	PasswordHash   string
	Template       []byte // sealed face template; empty when not kept
	DynamicSecret  []byte // sealed dynamic-code secret
	RegistrarID    string // the registrar of an assisted enrolment
	ApprovalHash   []byte // hash of the guardian approval code (pending minors)
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// IdentityAnchor ties an identity anchor's blind index to a resident.
type IdentityAnchor struct {
	Index      []byte // keyed MAC of the normalised anchor
	KeyID      string // the blind-index key, for re-indexing after rotation
	ResidentID string
	Pathway    Pathway
	CreatedAt  time.Time
}

// InternetNumberRecord is one assigned internet number. Records are never
// deleted; RetiredAt is set when the account is deleted.
type InternetNumberRecord struct {
	Number     string
	ResidentID string
	AssignedAt time.Time
	RetiredAt  time.Time // zero while in use
}

// GuardianLink records that GuardianID is the guardian of MinorID, with
// its evidence.
type GuardianLink struct {
	MinorID      string
	GuardianID   string
	Relationship Relationship
	EvidenceKind GuardianEvidenceKind
	Evidence     []byte // sealed GuardianEvidence, under the minor's data key
	// Kind is how the link was made: "application" (a guardian enrolled a
	// child) or "approval" (a guardian approved a minor's enrolment).
	Kind      string
	CreatedAt time.Time
}

// RegistrarRecord is a registrar as stored.
type RegistrarRecord struct {
	ID        string
	Name      string
	TokenHash []byte
	CreatedAt time.Time
}
