package oidc

import (
	"context"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/throttle"
)

// ApprovalKind says what a wallet approval is for.
type ApprovalKind string

// The kinds of approval. Both are answered the same way, by a presentation
// signed with the device key of the resident's internet certificate
// (approvals_api.go); they differ in who is being authenticated and where
// the result goes.
const (
	// ApprovalLogin is the second factor of a browser login: the resident
	// has entered the password, and the wallet of that same resident must
	// approve (or the wallet's dynamic code be typed) before the login
	// reaches substantial. One per interaction.
	ApprovalLogin ApprovalKind = "login"
	// ApprovalDevice is an RFC 8628 device authorization: a relying party
	// shows a QR code, any resident's wallet approves it, and the relying
	// party polls the token endpoint with the device code.
	ApprovalDevice ApprovalKind = "device"
)

// ApprovalStatus is where an approval stands. The transitions, each a
// compare-and-set on Version, are pending → approved | denied, approved →
// done (the login continued, or the tokens were issued), and, for a login
// that finished with the dynamic code, pending → done.
type ApprovalStatus string

// The statuses of an approval.
const (
	ApprovalPending  ApprovalStatus = "pending"
	ApprovalApproved ApprovalStatus = "approved"
	ApprovalDenied   ApprovalStatus = "denied"
	ApprovalDone     ApprovalStatus = "done"
)

// Approval is a request waiting for the resident's wallet: the second
// factor of a login (ApprovalLogin) or a device authorization
// (ApprovalDevice). The approval code the resident reads or scans and the
// device code the RP polls with are stored as SHA-256 only.
type Approval struct {
	ID       string
	Kind     ApprovalKind
	ClientID string
	// CodeHash is the SHA-256 of the approval code (the RFC 8628 user
	// code) in its normal form; unique among stored approvals.
	CodeHash []byte
	// DeviceCodeHash is the SHA-256 of the device code (device kind
	// only; empty for a login).
	DeviceCodeHash []byte
	// InteractionID is the login's interaction (login kind only).
	InteractionID string
	// ResidentID is the resident who entered the password (login), or
	// the resident whose wallet decided (device; empty until then).
	ResidentID string
	// Request is the provider's JSON of what is asked; opaque to the
	// store, and it never changes.
	Request []byte
	// Challenge is the random challenge the wallet's presentation must
	// answer.
	Challenge []byte
	Status    ApprovalStatus
	// Decision is the provider's JSON of what was decided (device: the
	// claims released); empty until decided.
	Decision []byte
	// GrantID is the grant the device approval's tokens were issued under
	// (device kind, once done).
	GrantID string
	// PollInterval is the least time between two polls of the token
	// endpoint (device kind; RFC 8628 section 3.5 slow_down raises it).
	PollInterval time.Duration
	// LastPolledAt is the last poll (zero: never).
	LastPolledAt time.Time
	CreatedAt    time.Time
	ExpiresAt    time.Time
	// DecidedAt is when the wallet (or the dynamic code) decided; zero
	// while pending.
	DecidedAt time.Time
	Version   int64
}

// ApprovalStore keeps approvals. Every method joins the transaction ctx
// carries; times and bytes follow the rules of Store. PollInterval is kept
// in whole seconds.
type ApprovalStore interface {
	// CreateApproval stores a new approval (Version 1). ErrConflict if
	// its id or code hash exists, if a device approval's device code hash
	// exists, or if the interaction of a login approval has one already.
	CreateApproval(ctx context.Context, a Approval) error
	// ApprovalByCode returns the approval whose approval code hashes to
	// codeHash, expired or not.
	ApprovalByCode(ctx context.Context, codeHash []byte) (Approval, error)
	// ApprovalByDeviceCode returns the device approval whose device code
	// hashes to deviceCodeHash, expired or not.
	ApprovalByDeviceCode(ctx context.Context, deviceCodeHash []byte) (Approval, error)
	// ApprovalOfInteraction returns the login approval of an interaction.
	ApprovalOfInteraction(ctx context.Context, interactionID string) (Approval, error)
	// UpdateApproval replaces approval a.ID if its stored version is
	// prevVersion; a.Version must be greater. Only ResidentID, Status,
	// Decision, GrantID, PollInterval, LastPolledAt, DecidedAt and Version
	// change; a write that would change another field is ErrConflict, as
	// is another stored version. ErrNotFound if there is none.
	UpdateApproval(ctx context.Context, prevVersion int64, a Approval) error
	// DeleteApproval deletes approval id. ErrNotFound if none.
	DeleteApproval(ctx context.Context, id string) error
	// PruneApprovals deletes the approvals that expired before t and
	// returns how many.
	PruneApprovals(ctx context.Context, t time.Time) (int64, error)
}

// residentDirectory finds the resident a wallet's certificate names. It is
// enrol.Store's method; the store that implements Store implements it.
type residentDirectory interface {
	// ResidentByNumber returns the resident holding internet number n, or
	// an error wrapping store.ErrNotFound.
	ResidentByNumber(ctx context.Context, n string) (enrol.ResidentRecord, error)
}

// certificateRecords tells whether a certificate is revoked, current to
// the second (credential.CertStore's method): the provider reads it from
// the store rather than from a CRL that may be hours old.
type certificateRecords interface {
	// Certificate returns the record of serial (credential.FormatSerial),
	// or an error wrapping store.ErrNotFound.
	Certificate(ctx context.Context, serial string) (credential.CertificateRecord, error)
}

// approvalStores is what Store adds for wallet approvals: the approvals,
// the attempt counters that throttle the lookup of approval codes, and
// the residents and certificates a presentation names.
type approvalStores interface {
	ApprovalStore
	throttle.Store
	residentDirectory
	certificateRecords
}
